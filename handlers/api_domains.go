package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// expirySettingsJSON is Gravitee's secretExpirationSettings, as the API
// shows a stored policy. The unit and duration are exactly what was saved;
// expiryTimeSeconds is Gravitee's form, approximate for MONTHS and YEARS
// (30 and 365 days), which are calendar units in Latchkey.
type expirySettingsJSON struct {
	Enabled            bool    `json:"enabled"`
	ExpiryTimeSeconds  *int64  `json:"expiryTimeSeconds"`
	ExpiryTimeUnit     *string `json:"expiryTimeUnit"`
	ExpiryTimeDuration *int    `json:"expiryTimeDuration"`
}

// unitSeconds gives each unit's length for expiryTimeSeconds.
var unitSeconds = map[string]int64{
	models.UnitSeconds: 1,
	models.UnitMinutes: 60,
	models.UnitHours:   3600,
	models.UnitDays:    86400,
	models.UnitWeeks:   7 * 86400,
	models.UnitMonths:  30 * 86400,
	models.UnitYears:   365 * 86400,
}

func expiryJSON(p models.ExpiryPolicy) expirySettingsJSON {
	out := expirySettingsJSON{Enabled: p.Enabled}
	if p.Unit == "" {
		return out
	}
	unit := p.Unit
	out.ExpiryTimeUnit = &unit
	if p.Unit == models.UnitNone {
		var never int64 // Gravitee's "enabled with 0 seconds": never expires
		out.ExpiryTimeSeconds = &never
		return out
	}
	if p.Duration > 0 {
		d := p.Duration
		secs := unitSeconds[p.Unit] * int64(d)
		out.ExpiryTimeDuration, out.ExpiryTimeSeconds = &d, &secs
	}
	return out
}

// expiryInputJSON is a policy as given to the API: Gravitee's
// {"enabled","expiryTimeSeconds"} or Latchkey's unit and duration.
type expiryInputJSON struct {
	Enabled            *bool   `json:"enabled"`
	ExpiryTimeSeconds  *int64  `json:"expiryTimeSeconds"`
	ExpiryTimeUnit     *string `json:"expiryTimeUnit"`
	ExpiryTimeDuration *int64  `json:"expiryTimeDuration"`
}

// expiryInput turns policy settings given to the API into the models'
// input, merged with the current policy: a unit without a duration keeps the
// current duration, and the reverse. path is the settings' JSON path, for
// messages; app admits the unit NONE (only for an application's override).
// expiryTimeSeconds 0 is Gravitee's "never expires", for both. The result
// has been validated.
func expiryInput(in *expiryInputJSON, cur models.ExpiryPolicy, path string, app bool) (models.ExpiryInput, error) {
	field := func(name string) string { return path + "." + name }
	if in.Enabled == nil {
		return models.ExpiryInput{}, fieldError(map[string]string{field("enabled"): field("enabled") + " is required."})
	}
	unit, dur, durGiven, never := cur.Unit, int64(cur.Duration), false, false
	durField := field("expiryTimeDuration")
	if s := in.ExpiryTimeSeconds; s != nil {
		if in.ExpiryTimeUnit != nil || in.ExpiryTimeDuration != nil {
			// Settings copied from a GET carry all three; accept them
			// when they agree, and use the exact unit and duration.
			if !expiryAgrees(in) {
				return models.ExpiryInput{}, fieldError(map[string]string{path: "Give either " + field("expiryTimeSeconds") +
					", or " + field("expiryTimeUnit") + " with " + field("expiryTimeDuration") + "; when giving both, they must agree."})
			}
			// A domain's "never" read back (NONE, 0 seconds) is taken
			// back as Gravitee's 0 seconds.
			never = *s == 0
		} else {
			durField, durGiven = field("expiryTimeSeconds"), true
			switch {
			case *s < 0:
				return models.ExpiryInput{}, fieldError(map[string]string{durField: durField + " must not be negative."})
			case *s == 0:
				// Gravitee's "never expires", enabled or not: stored as
				// such, so the settings read back as sent.
				unit, dur, never = models.UnitNone, 0, true
			default:
				unit, dur = models.UnitSeconds, *s
			}
		}
	}
	if in.ExpiryTimeUnit != nil {
		unit = strings.ToUpper(strings.TrimSpace(*in.ExpiryTimeUnit))
	}
	if in.ExpiryTimeDuration != nil {
		dur, durGiven = *in.ExpiryTimeDuration, true
	}
	mi := models.ExpiryInput{Enabled: *in.Enabled, Unit: unit, Duration: strconv.FormatInt(dur, 10), Never: never}
	if unit == models.UnitNone || (dur == 0 && !durGiven) {
		mi.Duration = "" // "required" rather than "at least 1"
	}
	units := models.ExpiryUnits
	if app {
		units = models.AppExpiryUnits
	}
	if _, fe := mi.ParseAPI(app, durField); fe != nil {
		out := map[string]string{}
		unitField := field("expiryTimeUnit")
		if _, bad := fe["unit"]; bad {
			if in.ExpiryTimeUnit == nil && in.ExpiryTimeSeconds == nil {
				out[unitField] = unitField + " is required when enabled is true (or give " + field("expiryTimeSeconds") + ")."
			} else {
				out[unitField] = fmt.Sprintf("%s must be one of %s.", unitField, strings.Join(units, ", "))
			}
		}
		if msg, bad := fe["duration"]; bad {
			out[durField] = msg
		}
		return models.ExpiryInput{}, fieldError(out)
	}
	return mi, nil
}

// expiryAgrees reports whether settings giving expiryTimeSeconds together
// with a unit (and a duration, except for NONE) describe the same expiry.
func expiryAgrees(in *expiryInputJSON) bool {
	if in.ExpiryTimeSeconds == nil || in.ExpiryTimeUnit == nil {
		return false
	}
	unit := strings.ToUpper(strings.TrimSpace(*in.ExpiryTimeUnit))
	if in.ExpiryTimeDuration == nil {
		return unit == models.UnitNone && *in.ExpiryTimeSeconds == 0
	}
	return unitSeconds[unit]*(*in.ExpiryTimeDuration) == *in.ExpiryTimeSeconds
}

// domainJSON is a domain as the API shows it.
type domainJSON struct {
	ID                       string             `json:"id"`
	HRID                     string             `json:"hrid"`
	Name                     string             `json:"name"`
	Description              string             `json:"description"`
	Enabled                  bool               `json:"enabled"`
	CreatedAt                int64              `json:"createdAt"`
	UpdatedAt                int64              `json:"updatedAt"`
	SecretExpirationSettings expirySettingsJSON `json:"secretExpirationSettings"`
	DataPlaneID              string             `json:"dataPlaneId"`
}

func toDomainJSON(d *models.Domain) domainJSON {
	return domainJSON{
		ID: d.ID, HRID: d.HRID, Name: d.Name, Description: d.Description, Enabled: d.Enabled,
		CreatedAt: epochMillis(d.CreatedAt), UpdatedAt: epochMillis(d.UpdatedAt),
		SecretExpirationSettings: expiryJSON(d.SecretPolicy()), DataPlaneID: d.DataPlaneID,
	}
}

// domainCreateJSON is the body of POST .../domains.
type domainCreateJSON struct {
	Name           string           `json:"name"`
	HRID           string           `json:"hrid"`
	Description    string           `json:"description"`
	Enabled        *bool            `json:"enabled"`
	SecretSettings *expiryInputJSON `json:"secretSettings"`
	// DataPlaneID is stored and shown; Latchkey has one gateway.
	DataPlaneID string `json:"dataPlaneId"`
}

// domainPatchJSON is the body of PATCH .../domains/{domain}: only the
// fields given change.
type domainPatchJSON struct {
	Name           *string          `json:"name"`
	HRID           *string          `json:"hrid"`
	Description    *string          `json:"description"`
	Enabled        *bool            `json:"enabled"`
	SecretSettings *expiryInputJSON `json:"secretSettings"`
}

func domainURL(d *models.Domain) string { return APIPrefix + "/domains/" + d.ID }

// apiDomain loads the domain named in the path by id or hrid.
func (h *Handler) apiDomain(c echo.Context) (*models.Domain, error) {
	d, err := h.Store.DomainByRef(c.Request().Context(), c.Param("domain"))
	if errors.Is(err, models.ErrNotFound) {
		return nil, apiError(http.StatusNotFound, "Domain [%s] can not be found.", c.Param("domain"))
	}
	return d, err
}

// APIListDomains is GET .../domains: the domains whose name, hrid or
// description contains ?q=, by name, a page at a time.
func (h *Handler) APIListDomains(c echo.Context) error {
	pageNo, size, err := paging(c, 50, 500)
	if err != nil {
		return err
	}
	ds, err := h.Store.Domains(c.Request().Context(), c.QueryParam("q"))
	if err != nil {
		return err
	}
	out := make([]domainJSON, len(ds))
	for i := range ds {
		out[i] = toDomainJSON(&ds[i])
	}
	return c.JSON(http.StatusOK, pageOf(out, pageNo, size))
}

// APICreateDomain is POST .../domains. The caller becomes the domain's
// owner, as in the console.
func (h *Handler) APICreateDomain(c echo.Context) error {
	var body domainCreateJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	var policy *models.ExpiryInput
	if body.SecretSettings != nil {
		in, err := expiryInput(body.SecretSettings, models.ExpiryPolicy{}, "secretSettings", false)
		if err != nil {
			return err
		}
		policy = &in
	}
	in := models.DomainInput{Name: body.Name, HRID: body.HRID, Description: body.Description, Enabled: true,
		OwnerIDs: []string{CurrentUser(c).ID}, DataPlaneID: body.DataPlaneID}
	if body.Enabled != nil {
		in.Enabled = *body.Enabled
	}
	ctx := c.Request().Context()
	d, err := h.Store.CreateDomain(ctx, actor(c), in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return apiFieldErrors(fe, nil)
	}
	if err != nil {
		return err
	}
	if policy != nil {
		if err := h.apiSaveDomainPolicy(c, d, *policy); err != nil {
			return err
		}
	}
	if d, err = h.Store.DomainByID(ctx, d.ID); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, domainURL(d))
	return c.JSON(http.StatusCreated, toDomainJSON(d))
}

// apiSaveDomainPolicy stores an already validated domain policy (the models
// audit the change as for the console).
func (h *Handler) apiSaveDomainPolicy(c echo.Context, d *models.Domain, in models.ExpiryInput) error {
	_, _, err := h.Store.UpdateDomainSecretPolicy(c.Request().Context(), actor(c), d.ID, in)
	if fe, ok := models.AsFieldErrors(err); ok {
		return apiFieldErrors(fe, map[string]string{"unit": "secretSettings.expiryTimeUnit", "duration": "secretSettings.expiryTimeDuration"})
	}
	return err
}

// APIGetDomainByHRID is GET .../domains/_hrid/{hrid} (Gravitee's): the
// domain of that hrid only, never matched by id.
func (h *Handler) APIGetDomainByHRID(c echo.Context) error {
	d, err := h.Store.DomainByHRID(c.Request().Context(), c.Param("hrid"))
	if errors.Is(err, models.ErrNotFound) {
		return apiError(http.StatusNotFound, "Domain [%s] can not be found.", c.Param("hrid"))
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toDomainJSON(d))
}

// APIGetDomain is GET .../domains/{domain}.
func (h *Handler) APIGetDomain(c echo.Context) error {
	d, err := h.apiDomain(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toDomainJSON(d))
}

// APIPatchDomain is PATCH .../domains/{domain}: changes the fields given,
// including the client-secret policy (secretSettings). Everything is
// validated before anything is stored.
func (h *Handler) APIPatchDomain(c echo.Context) error {
	var body domainPatchJSON
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	d, err := h.apiDomain(c)
	if err != nil {
		return err
	}
	var policy *models.ExpiryInput
	if body.SecretSettings != nil {
		in, err := expiryInput(body.SecretSettings, d.SecretPolicy(), "secretSettings", false)
		if err != nil {
			return err
		}
		policy = &in
	}
	ctx := c.Request().Context()
	if body.Name != nil || body.HRID != nil || body.Description != nil || body.Enabled != nil {
		in := models.DomainInput{Name: d.Name, HRID: d.HRID, Description: d.Description, Enabled: d.Enabled}
		for _, o := range d.Owners {
			in.OwnerIDs = append(in.OwnerIDs, o.ID)
		}
		setIf(&in.Name, body.Name)
		setIf(&in.HRID, body.HRID)
		setIf(&in.Description, body.Description)
		setIf(&in.Enabled, body.Enabled)
		if d, err = h.Store.UpdateDomain(ctx, actor(c), d.ID, in); err != nil {
			if fe, ok := models.AsFieldErrors(err); ok {
				return apiFieldErrors(fe, nil)
			}
			return err
		}
	}
	if policy != nil {
		if err := h.apiSaveDomainPolicy(c, d, *policy); err != nil {
			return err
		}
	}
	if d, err = h.Store.DomainByID(ctx, d.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toDomainJSON(d))
}

// setIf copies a given (non-nil) PATCH field over the current value.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// APIDeleteDomain is DELETE .../domains/{domain}: the domain, its
// applications and their secrets. No confirmation: the API caller asked.
func (h *Handler) APIDeleteDomain(c echo.Context) error {
	d, err := h.apiDomain(c)
	if err != nil {
		return err
	}
	if _, err := h.Store.DeleteDomain(c.Request().Context(), actor(c), d.ID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
