package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
)

// Gravitee's member endpoints for domains and applications. A member is an
// owner: the one role Latchkey has (owners are who is notified about
// secrets). A domain has any number of owners, an application one. A
// membership's id is its user's id.

// membershipJSON is one of Gravitee's memberships.
type membershipJSON struct {
	ID            string `json:"id"`
	MemberID      string `json:"memberId"`
	MemberType    string `json:"memberType"`
	ReferenceID   string `json:"referenceId"`
	ReferenceType string `json:"referenceType"`
	Role          string `json:"role"`
}

// memberUserJSON is a member's user in the list's metadata.
type memberUserJSON struct {
	DisplayName string `json:"displayName"`
	Email       string `json:"email"`
}

// membershipListJSON is Gravitee's MembershipListItem.
type membershipListJSON struct {
	Memberships []membershipJSON `json:"memberships"`
	Metadata    struct {
		Users map[string]memberUserJSON `json:"users"`
	} `json:"metadata"`
}

// newMembershipJSON is Gravitee's NewMembership.
type newMembershipJSON struct {
	MemberID   string `json:"memberId"`
	MemberType string `json:"memberType"`
	Role       string `json:"role"`
}

// Latchkey's one member role, and the reference types.
const (
	ownerRole      = "OWNER"
	refDomain      = "DOMAIN"
	refApplication = "APPLICATION"
)

func membersOf(refType, refID string, users []models.User) membershipListJSON {
	out := membershipListJSON{Memberships: []membershipJSON{}}
	out.Metadata.Users = map[string]memberUserJSON{}
	for _, u := range users {
		out.Memberships = append(out.Memberships, membershipJSON{ID: u.ID, MemberID: u.ID, MemberType: "USER",
			ReferenceID: refID, ReferenceType: refType, Role: ownerRole})
		out.Metadata.Users[u.ID] = memberUserJSON{DisplayName: u.Name, Email: u.Email}
	}
	return out
}

// readMembership decodes and checks a NewMembership: a user, as owner
// (Gravitee's role names for an owner are accepted too).
func readMembership(c echo.Context, refType string) (string, error) {
	var body newMembershipJSON
	if err := decodeJSON(c, &body); err != nil {
		return "", err
	}
	fields := map[string]string{}
	if strings.TrimSpace(body.MemberID) == "" {
		fields["memberId"] = "memberId is required."
	}
	if t := strings.ToUpper(body.MemberType); t != "" && t != "USER" {
		fields["memberType"] = "memberType must be USER: Latchkey has no groups."
	}
	switch strings.ToUpper(body.Role) {
	case "", ownerRole, refType + "_" + ownerRole, refType + "_PRIMARY_OWNER":
	default:
		fields["role"] = "role must be OWNER (or " + refType + "_OWNER): owners are Latchkey's only members."
	}
	if len(fields) > 0 {
		return "", fieldError(fields)
	}
	return body.MemberID, nil
}

// APIListDomainMembers is GET .../domains/{domain}/members.
func (h *Handler) APIListDomainMembers(c echo.Context) error {
	d, err := h.apiDomain(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, membersOf(refDomain, d.ID, d.Owners))
}

// APIAddDomainMember is POST .../domains/{domain}/members: the user becomes
// an owner (again: no change); 201 with the membership.
func (h *Handler) APIAddDomainMember(c echo.Context) error {
	userID, err := readMembership(c, refDomain)
	if err != nil {
		return err
	}
	d, err := h.apiDomain(c)
	if err != nil {
		return err
	}
	if err := h.Store.AddDomainOwner(c.Request().Context(), actor(c), d.ID, userID); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, membershipJSON{ID: userID, MemberID: userID, MemberType: "USER",
		ReferenceID: d.ID, ReferenceType: refDomain, Role: ownerRole})
}

// APIRemoveDomainMember is DELETE .../domains/{domain}/members/{member}.
func (h *Handler) APIRemoveDomainMember(c echo.Context) error {
	d, err := h.apiDomain(c)
	if err != nil {
		return err
	}
	err = h.Store.RemoveDomainOwner(c.Request().Context(), actor(c), d.ID, c.Param("member"))
	if errors.Is(err, models.ErrNotFound) {
		return apiError(http.StatusNotFound, "Membership [%s] can not be found.", c.Param("member"))
	}
	if err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// APIListApplicationMembers is GET .../applications/{application}/members:
// its owner, if any.
func (h *Handler) APIListApplicationMembers(c echo.Context) error {
	_, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	var owners []models.User
	if a.Owner != nil {
		owners = append(owners, *a.Owner)
	}
	return c.JSON(http.StatusOK, membersOf(refApplication, a.ID, owners))
}

// APIAddApplicationMember is POST .../applications/{application}/members:
// the user becomes the owner, replacing any other (an application has one).
func (h *Handler) APIAddApplicationMember(c echo.Context) error {
	userID, err := readMembership(c, refApplication)
	if err != nil {
		return err
	}
	d, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	if err := h.Store.SetApplicationOwner(c.Request().Context(), actor(c), d.ID, a.ID, userID); err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, membershipJSON{ID: userID, MemberID: userID, MemberType: "USER",
		ReferenceID: a.ID, ReferenceType: refApplication, Role: ownerRole})
}

// APIRemoveApplicationMember is DELETE .../applications/{application}/members/{member}.
func (h *Handler) APIRemoveApplicationMember(c echo.Context) error {
	d, a, err := h.apiApp(c)
	if err != nil {
		return err
	}
	if a.OwnerID == nil || *a.OwnerID != c.Param("member") {
		return apiError(http.StatusNotFound, "Membership [%s] can not be found.", c.Param("member"))
	}
	if err := h.Store.SetApplicationOwner(c.Request().Context(), actor(c), d.ID, a.ID, ""); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
