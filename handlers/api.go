package handlers

// The Management API: Gravitee-compatible JSON under /management, for
// automation. Its handlers (api_*.go) call the same models functions as the
// console's, which record the same audit events; this file holds what they
// share: request-parsing errors, JSON decoding, bearer authentication and
// the OpenAPI document. Errors become answers in web/errors.go.

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"

	"latchkey/models"
)

// APIPrefix is the Gravitee path prefix of the Management API's resources:
// one organization and one environment, both called DEFAULT.
const APIPrefix = "/management/organizations/DEFAULT/environments/DEFAULT"

// TokenKey is the context key of the API token that authenticated a
// Management API request.
const TokenKey = "latchkey.apitoken"

// IsAPIPath reports whether a request path belongs to the Management API,
// whose answers (errors included) are always JSON.
func IsAPIPath(path string) bool {
	return path == "/management" || strings.HasPrefix(path, "/management/")
}

// APIError is a Management API error: its status, a message for the
// caller, and optionally a message per input field.
type APIError struct {
	Status  int
	Message string
	// Fields maps an input field (a dotted JSON path such as
	// "secretSettings.expiryTimeUnit") to its problem.
	Fields map[string]string
	// Header holds headers the answer must carry (WWW-Authenticate,
	// Retry-After).
	Header http.Header
}

func (e *APIError) Error() string { return e.Message }

// APIErrorBody is the JSON body of every Management API error, Gravitee's
// shape plus the optional per-field messages.
type APIErrorBody struct {
	Message    string            `json:"message"`
	HTTPStatus int               `json:"http_status"`
	Fields     map[string]string `json:"fields,omitempty"`
}

// Body returns the error's JSON body.
func (e *APIError) Body() APIErrorBody {
	return APIErrorBody{Message: e.Message, HTTPStatus: e.Status, Fields: e.Fields}
}

func apiError(status int, format string, args ...any) *APIError {
	return &APIError{Status: status, Message: fmt.Sprintf(format, args...)}
}

// fieldError is a 400 naming the fields at fault; the message joins the
// fields' messages, which each say what to fix.
func fieldError(fields map[string]string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Message: models.JoinMessages(fields), Fields: fields}
}

// apiFieldErrors renames the models' field names to the API's (the console
// calls a secret's name its "description", for instance); fields missing
// from names keep their name.
func apiFieldErrors(fe models.FieldErrors, names map[string]string) *APIError {
	out := make(map[string]string, len(fe))
	for k, msg := range fe {
		if n, ok := names[k]; ok {
			k = n
		}
		out[k] = msg
	}
	return fieldError(out)
}

// --- JSON ---------------------------------------------------------------

// decodeJSON reads a JSON object body into dst strictly: the Content-Type
// must be JSON (415), the body one well-formed object (400) with no unknown
// field and every value of the right type (400, naming the field).
func decodeJSON(c echo.Context, dst any) error {
	ct := c.Request().Header.Get(echo.HeaderContentType)
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
		return apiError(http.StatusUnsupportedMediaType, "Send the request body as JSON, with Content-Type: application/json.")
	}
	// The body limit bounds what is read here (413 beyond 1 MiB).
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return jsonProblem(err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		// encoding/json reports an unknown field with an untyped error:
		// find the field by walking the body against dst's type instead
		// of reading the error's text.
		if name, ok := unknownField(body, reflect.TypeOf(dst)); ok {
			return apiError(http.StatusBadRequest, "Unknown field %s: see /management/openapi.json for the fields this endpoint accepts.", strconv.Quote(name))
		}
		return jsonProblem(err)
	}
	// One object only: trailing data means the body is not what the caller
	// thinks it is.
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return apiError(http.StatusBadRequest, "Malformed JSON: the body must hold exactly one JSON object.")
	}
	if bytes.Contains(body, []byte(`\u0000`)) && hasNUL(body) {
		return apiError(http.StatusBadRequest, "Text must not contain NUL characters (\\u0000).")
	}
	return nil
}

// hasNUL reports whether any string in a JSON document, key or value,
// holds a NUL character: PostgreSQL refuses them in text, so they must be
// refused as bad input before they reach it.
func hasNUL(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch v := v.(type) {
		case string:
			return strings.ContainsRune(v, 0)
		case []any:
			return slices.ContainsFunc(v, walk)
		case map[string]any:
			for k, x := range v {
				if strings.ContainsRune(k, 0) || walk(x) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// jsonProblem explains a decoding error to the caller.
func jsonProblem(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
		he  *echo.HTTPError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &he), errors.As(err, &mbe):
		return err // the body limit
	case errors.Is(err, io.EOF):
		return apiError(http.StatusBadRequest, "The request body is empty: send a JSON object.")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiError(http.StatusBadRequest, "Malformed JSON: the body ends too early.")
	case errors.As(err, &syn):
		return apiError(http.StatusBadRequest, "Malformed JSON at byte %d: %s.", syn.Offset, strings.TrimPrefix(syn.Error(), "json: "))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return apiError(http.StatusBadRequest, "The request body must be a JSON object, not %s.", article(typ.Value))
		}
		field := strings.TrimPrefix(typ.Field, ".")
		return fieldError(map[string]string{field: fmt.Sprintf("%s must be %s, not %s.", field, jsonKind(typ.Type.String()), article(typ.Value))})
	}
	return apiError(http.StatusBadRequest, "Malformed JSON.")
}

// unknownField returns the first object key in body, in document order,
// that no field of t (a struct, or a pointer, slice or map leading to
// one) accepts, as encoding/json matches keys (case-insensitively).
func unknownField(body []byte, t reflect.Type) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	name, found, _ := walkUnknown(dec, t)
	return name, found
}

// walkUnknown reads one JSON value from dec, checking objects' keys
// against t; err reports malformed JSON (left to the decoder's own error).
func walkUnknown(dec *json.Decoder, t reflect.Type) (string, bool, error) {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	tok, err := dec.Token()
	if err != nil {
		return "", false, err
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return "", false, nil
	}
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
		elem = t.Elem()
	}
	for dec.More() {
		child := elem
		if delim == '{' {
			tok, err := dec.Token()
			if err != nil {
				return "", false, err
			}
			key, _ := tok.(string)
			if t != nil && t.Kind() == reflect.Struct {
				f, ok := jsonField(t, key)
				if !ok {
					return key, true, nil
				}
				child = f
			}
		}
		if name, found, err := walkUnknown(dec, child); found || err != nil {
			return name, found, err
		}
	}
	_, err = dec.Token() // the closing delimiter
	return "", false, err
}

// jsonField finds the type of the struct field that decodes key.
func jsonField(t reflect.Type, key string) (reflect.Type, bool) {
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if strings.EqualFold(name, key) {
			return f.Type, true
		}
	}
	return nil, false
}

// jsonKind names the JSON type a Go type is decoded from.
func jsonKind(goType string) string {
	goType = strings.TrimLeft(goType, "*")
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

// article turns the decoder's description of a value ("number 1.5",
// "string", "array") into words.
func article(v string) string {
	switch {
	case strings.HasPrefix(v, "number"):
		return "a " + v
	case v == "array", v == "object":
		return "an " + v
	case v == "bool":
		return "true or false"
	}
	return "a " + v
}

// epochMillis is the API's time format.
func epochMillis(t time.Time) int64 { return t.UnixMilli() }

// optMillis is epochMillis for optional times: nil is JSON null.
func optMillis(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

// page is Gravitee's paged list.
type page[T any] struct {
	Data        []T `json:"data"`
	CurrentPage int `json:"currentPage"`
	TotalCount  int `json:"totalCount"`
}

// maxPage bounds page numbers, so offsets cannot overflow.
const maxPage = 1_000_000

// paging reads Gravitee's zero-based page and its size from the query.
func paging(c echo.Context, defaultSize, maxSize int) (pageNo, size int, err error) {
	errs := map[string]string{}
	pageNo, size = 0, defaultSize
	if raw := c.QueryParam("page"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 0 || n > maxPage {
			errs["page"] = fmt.Sprintf("page must be a whole number from 0 (the first page) to %d.", maxPage)
		}
		pageNo = n
	}
	if raw := c.QueryParam("size"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > maxSize {
			errs["size"] = fmt.Sprintf("size must be a whole number from 1 to %d.", maxSize)
		}
		size = n
	}
	if len(errs) > 0 {
		return 0, 0, fieldError(errs)
	}
	return pageNo, size, nil
}

// pageOf cuts one page out of a whole list.
func pageOf[T any](all []T, pageNo, size int) page[T] {
	p := page[T]{Data: []T{}, CurrentPage: pageNo, TotalCount: len(all)}
	// Compare before multiplying: a huge page number must not overflow.
	if pageNo <= len(all)/size {
		if start := pageNo * size; start < len(all) {
			p.Data = all[start:min(start+size, len(all))]
		}
	}
	return p
}

// --- Authentication -------------------------------------------------------

const bearerRealm = `Bearer realm="Latchkey Management API"`

func unauthorized(msg, challenge string) *APIError {
	e := apiError(http.StatusUnauthorized, "%s", msg)
	e.Header = http.Header{"Www-Authenticate": {challenge}}
	return e
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, value, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	value = strings.TrimSpace(value)
	return value, value != ""
}

// APIAuth authenticates a Management API request by its bearer token: a
// personal token from the Account page or one issued by
// POST /management/auth/token. Only the Authorization header counts: a
// console session cookie must never authenticate the API, which has no
// CSRF protection (a cookie is sent by any page that makes the browser
// call). The token's owner becomes the current user, so role checks and
// the audit trail work as in the console.
func (h *Handler) APIAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(UserKey, nil) // forget any user the session cookie named
		value, ok := bearerToken(c.Request())
		if !ok {
			return unauthorized("Authentication required: send an API token as \"Authorization: Bearer <token>\". Create one on the Account page or with POST /management/auth/token.", bearerRealm)
		}
		t, err := h.Store.AuthenticateAPIToken(c.Request().Context(), value)
		if errors.Is(err, models.ErrInvalidToken) {
			return unauthorized("The API token is invalid, expired or revoked.", bearerRealm+`, error="invalid_token"`)
		}
		if err != nil {
			return err
		}
		c.Set(UserKey, t.User)
		c.Set(TokenKey, t)
		return next(c)
	}
}

// APIRequireWrite refuses changes made with a read-only token or by a
// viewer. It runs after APIAuth.
func APIRequireWrite(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		t, _ := c.Get(TokenKey).(*models.APIToken)
		switch {
		case t == nil:
			return unauthorized("Authentication required.", bearerRealm)
		case !t.User.IsAdmin():
			return apiError(http.StatusForbidden, "Your role is read-only: ask an administrator to make this change.")
		case !t.CanWrite():
			return apiError(http.StatusForbidden, "This API token is read-only: create a token without the read-only option to make changes.")
		}
		return next(c)
	}
}

// IssueAPIToken is POST /management/auth/token: HTTP Basic credentials
// (email and password) in exchange for a bearer token valid for an hour.
// Failures count towards the same limit as console sign-ins, so the API is
// no second way to guess passwords.
func (h *Handler) IssueAPIToken(c echo.Context) error {
	email, password, ok := c.Request().BasicAuth()
	const basicRealm = `Basic realm="Latchkey Management API", charset="UTF-8"`
	if !ok {
		return unauthorized("Send your email and password with HTTP Basic authentication.", basicRealm)
	}
	email = strings.ToLower(strings.TrimSpace(email))
	u, refused, err := h.signIn(c, email, password, "Management API")
	if err != nil {
		return err
	}
	switch {
	case refused == nil:
	case refused.status == http.StatusTooManyRequests:
		e := apiError(http.StatusTooManyRequests, "Too many failed sign-in attempts. Try again in %d second(s).", refused.retrySeconds())
		e.Header = http.Header{"Retry-After": {strconv.Itoa(refused.retrySeconds())}}
		return e
	case refused.status == http.StatusServiceUnavailable:
		e := apiError(http.StatusServiceUnavailable, "%s", models.ErrPasswordBusy.Message)
		e.Header = http.Header{"Retry-After": {strconv.Itoa(refused.retrySeconds())}}
		return e
	default:
		return unauthorized("Email or password is not correct.", basicRealm)
	}
	nt, err := h.Store.IssueAPIToken(c.Request().Context(), actor(c), u)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, apiTokenResponse{
		AccessToken: nt.Value, TokenType: "bearer",
		ExpiresAt: epochMillis(*nt.ExpiresAt), ExpiresIn: int64(models.IssuedTokenLifetime / time.Second),
	})
}

type apiTokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresAt   int64  `json:"expires_at"`
	ExpiresIn   int64  `json:"expires_in"`
}

// --- OpenAPI document -------------------------------------------------------

//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON converts the embedded YAML document once.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonable(doc)); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	return buf.Bytes(), nil
})

// jsonable turns YAML maps with non-string keys (such as unquoted status
// codes) into maps JSON can encode.
func jsonable(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = jsonable(x)
		}
		return v
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[fmt.Sprint(k)] = jsonable(x)
		}
		return out
	case []any:
		for i, x := range v {
			v[i] = jsonable(x)
		}
	}
	return v
}

// OpenAPI serves the Management API's OpenAPI 3 document as JSON. It needs
// no authentication: it describes the API, and holds nothing secret.
func (h *Handler) OpenAPI(c echo.Context) error {
	doc, err := openAPIJSON()
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, doc)
}
