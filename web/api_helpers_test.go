package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"latchkey/models"
)

// Helpers for the Management API tests: a client that sends JSON with a
// bearer token and checks every request it makes and every response it
// gets against the OpenAPI document the server itself serves, so the
// document cannot drift from the API.

// apiPrefix is Gravitee's resource prefix.
const apiPrefix = "/management/organizations/DEFAULT/environments/DEFAULT"

// openAPI is the served document, loaded and routed once per env.
type openAPI struct {
	doc    *openapi3.T
	router routers.Router
	// errorSchema validates error bodies of requests the document has no
	// route for (unknown paths, wrong methods).
	errorSchema *openapi3.Schema
}

// apiDoc fetches /management/openapi.json from the server under test and
// loads it, pointed at the test server.
func (e *env) apiDoc() *openAPI {
	e.t.Helper()
	res, err := http.Get(e.ts.URL + "/management/openapi.json")
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		e.t.Fatalf("GET /management/openapi.json: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		e.t.Fatalf("load OpenAPI document: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		e.t.Fatalf("OpenAPI document is invalid: %v", err)
	}
	doc.Servers = openapi3.Servers{{URL: e.ts.URL + "/management"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		e.t.Fatalf("route OpenAPI document: %v", err)
	}
	return &openAPI{doc: doc, router: router, errorSchema: doc.Components.Schemas["Error"].Value}
}

// apiClient calls the Management API as one token holder.
type apiClient struct {
	t     *testing.T
	env   *env
	hc    *http.Client
	doc   *openAPI
	token string
}

var apiDocs sync.Map // *env → *openAPI

// api returns a client sending token as its bearer token ("" sends none).
func (e *env) api(token string) *apiClient {
	e.t.Helper()
	doc, ok := apiDocs.Load(e)
	if !ok {
		doc, _ = apiDocs.LoadOrStore(e, e.apiDoc())
		e.t.Cleanup(func() { apiDocs.Delete(e) })
	}
	return &apiClient{t: e.t, env: e, hc: &http.Client{}, doc: doc.(*openAPI), token: token}
}

// withHTTP returns a copy of the client sending through hc (a browser's
// cookie jar, say).
func (a *apiClient) withHTTP(hc *http.Client) *apiClient {
	b := *a
	b.hc = hc
	return &b
}

// callOpt adjusts one call.
type callOpt func(*apiCall)

type apiCall struct {
	contentType string
	raw         []byte
	headers     http.Header
	invalid     bool
	basic       *[2]string
	unsized     bool
	uncheckable bool
}

// rawBody sends body exactly as given, with this Content-Type ("" for none).
func rawBody(contentType string, body []byte) callOpt {
	return func(c *apiCall) { c.contentType, c.raw = contentType, body }
}

// unsized sends the body without a Content-Length (chunked), so only
// reading it can find it too large.
func unsized() callOpt { return func(c *apiCall) { c.unsized = true } }

// withHeader adds a request header.
func withHeader(name, value string) callOpt {
	return func(c *apiCall) { c.headers.Set(name, value) }
}

// basicAuth sends HTTP Basic credentials instead of the bearer token.
func basicAuth(user, password string) callOpt {
	return func(c *apiCall) { c.basic = &[2]string{user, password} }
}

// invalidRequest marks a request the test sends on purpose against the
// document (bad JSON, wrong content type, no token, unknown path...): the
// validator must reject it, so the document states the rule the server
// enforces. Its response is still validated.
func invalidRequest() callOpt { return func(c *apiCall) { c.invalid = true } }

// requestUncheckable marks a bad request the validator cannot recognise
// as such; only its response is checked.
func requestUncheckable() callOpt { return func(c *apiCall) { c.uncheckable = true } }

// apiResponse is an answer with its body.
type apiResponse struct {
	t      *testing.T
	req    string
	Status int
	Header http.Header
	Body   []byte
}

// do sends one request. body is marshalled to JSON unless rawBody is given;
// nil sends no body. Any 500 fails the test.
func (a *apiClient) do(method, path string, body any, opts ...callOpt) *apiResponse {
	a.t.Helper()
	call := &apiCall{headers: http.Header{}}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			a.t.Fatal(err)
		}
		call.contentType, call.raw = "application/json", b
	}
	for _, o := range opts {
		o(call)
	}
	newReq := func() *http.Request {
		var r io.Reader
		if call.raw != nil {
			r = bytes.NewReader(call.raw)
			if call.unsized {
				r = io.MultiReader(r) // a reader of unknown length
			}
		}
		req, err := http.NewRequest(method, a.env.ts.URL+path, r)
		if err != nil {
			a.t.Fatal(err)
		}
		if call.contentType != "" {
			req.Header.Set("Content-Type", call.contentType)
		}
		if call.basic != nil {
			req.SetBasicAuth(call.basic[0], call.basic[1])
		} else if a.token != "" {
			req.Header.Set("Authorization", "Bearer "+a.token)
		}
		for k, vs := range call.headers {
			req.Header[k] = vs
		}
		return req
	}
	res, err := a.hc.Do(newReq())
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	resBody, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	r := &apiResponse{t: a.t, req: method + " " + path, Status: res.StatusCode, Header: res.Header, Body: resBody}
	if res.StatusCode >= 500 {
		a.t.Fatalf("%s: status %d\n%s", r.req, res.StatusCode, resBody)
	}
	// Every answer under /management is JSON (or empty) and never cached.
	if res.StatusCode != http.StatusNoContent && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		a.t.Errorf("%s: Content-Type %q, want JSON\n%s", r.req, res.Header.Get("Content-Type"), resBody)
	}
	if got := res.Header.Get("Cache-Control"); got != "no-store" {
		a.t.Errorf("%s: Cache-Control %q, want no-store", r.req, got)
	}
	a.validate(newReq(), call, r)
	return r
}

// validate checks a request and its response against the document.
func (a *apiClient) validate(req *http.Request, call *apiCall, r *apiResponse) {
	a.t.Helper()
	invalid := call.invalid
	ctx := context.Background()
	route, params, err := a.doc.router.FindRoute(req)
	if err != nil {
		if !invalid {
			a.t.Errorf("%s is not in the OpenAPI document: %v", r.req, err)
		}
		// No operation to check against: the body must still be an Error.
		var v any
		if jerr := json.Unmarshal(r.Body, &v); jerr != nil {
			a.t.Errorf("%s: error body is not JSON: %v\n%s", r.req, jerr, r.Body)
		} else if verr := a.doc.errorSchema.VisitJSON(v); verr != nil {
			a.t.Errorf("%s: error body breaks the Error schema: %v\n%s", r.req, verr, r.Body)
		}
		return
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    checkCredentials,
		SkipSettingDefaults:   true,
		IncludeResponseStatus: true,
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	err = openapi3filter.ValidateRequest(ctx, in)
	switch {
	case call.uncheckable:
	case invalid && err == nil:
		a.t.Errorf("%s: sent as breaking the OpenAPI document, but the document allows it", r.req)
	case !invalid && err != nil:
		a.t.Errorf("%s: request breaks the OpenAPI document: %v", r.req, err)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.Status, Header: r.Header, Options: opts}
	out.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		a.t.Errorf("%s: response %d breaks the OpenAPI document: %v\n%s", r.req, r.Status, err, r.Body)
	}
}

// checkCredentials is the validator's check of a security requirement: the
// header of the right scheme must be present (whether the token is good is
// the server's business).
func checkCredentials(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	scheme := strings.ToLower(in.SecurityScheme.Scheme)
	if !strings.HasPrefix(strings.ToLower(h), scheme+" ") {
		return errors.New("no " + scheme + " credentials")
	}
	return nil
}

// get, post, patch and del are do with a method.
func (a *apiClient) get(path string, opts ...callOpt) *apiResponse {
	a.t.Helper()
	return a.do(http.MethodGet, path, nil, opts...)
}

func (a *apiClient) post(path string, body any, opts ...callOpt) *apiResponse {
	a.t.Helper()
	return a.do(http.MethodPost, path, body, opts...)
}

func (a *apiClient) patch(path string, body any, opts ...callOpt) *apiResponse {
	a.t.Helper()
	return a.do(http.MethodPatch, path, body, opts...)
}

func (a *apiClient) del(path string, opts ...callOpt) *apiResponse {
	a.t.Helper()
	return a.do(http.MethodDelete, path, nil, opts...)
}

// want checks the status.
func (r *apiResponse) want(status int) *apiResponse {
	r.t.Helper()
	if r.Status != status {
		r.t.Fatalf("%s: status %d, want %d\n%s", r.req, r.Status, status, r.Body)
	}
	return r
}

// decode unmarshals the body into v.
func (r *apiResponse) decode(v any) {
	r.t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		r.t.Fatalf("%s: decode %T: %v\n%s", r.req, v, err, r.Body)
	}
}

// apiErr is the error body.
type apiErr struct {
	Message    string            `json:"message"`
	HTTPStatus int               `json:"http_status"`
	Fields     map[string]string `json:"fields"`
}

// wantError checks an error answer: its status, that http_status repeats
// it, and that the message contains msg.
func (r *apiResponse) wantError(status int, msg string) apiErr {
	r.t.Helper()
	r.want(status)
	var e apiErr
	r.decode(&e)
	if e.HTTPStatus != status {
		r.t.Errorf("%s: http_status %d, want %d", r.req, e.HTTPStatus, status)
	}
	if !strings.Contains(e.Message, msg) {
		r.t.Errorf("%s: message %q, want it to contain %q", r.req, e.Message, msg)
	}
	return e
}

// apiToken signs in through POST /management/auth/token.
func (e *env) apiToken(email, password string) string {
	e.t.Helper()
	var out struct {
		AccessToken string `json:"access_token"`
	}
	e.api("").post("/management/auth/token", nil, basicAuth(email, password)).want(http.StatusOK).decode(&out)
	return out.AccessToken
}

// personalToken creates a personal token directly in the store.
func (e *env) personalToken(userID, name string, readOnly bool) *models.NewAPIToken {
	e.t.Helper()
	nt, err := e.store.CreateAPIToken(e.ctx, models.Actor{}, userID, models.APITokenInput{Name: name, ReadOnly: readOnly})
	if err != nil {
		e.t.Fatalf("create API token: %v", err)
	}
	return nt
}

// Resource JSON as the tests read it.
type (
	apiExpiry struct {
		Enabled            bool    `json:"enabled"`
		ExpiryTimeSeconds  *int64  `json:"expiryTimeSeconds"`
		ExpiryTimeUnit     *string `json:"expiryTimeUnit"`
		ExpiryTimeDuration *int    `json:"expiryTimeDuration"`
	}
	apiDomain struct {
		ID, HRID, Name, Description string
		Enabled                     bool
		CreatedAt, UpdatedAt        int64
		SecretExpirationSettings    apiExpiry
	}
	apiApp struct {
		ID, Domain, Name, Description, Type string
		Enabled                             bool
		Settings                            struct {
			OAuth struct {
				ClientID     string   `json:"clientId"`
				ClientSecret string   `json:"clientSecret"`
				Scopes       []string `json:"scopes"`
			} `json:"oauth"`
			SecretExpirationSettings apiExpiry
		}
	}
	apiSecret struct {
		ID, Name, Status, Hint, Secret string
		CreatedAt                      int64
		ExpiresAt, LastUsedAt          *int64
	}
)

// domainPath, appPath and secretPath build resource paths.
func domainPath(ref string) string { return apiPrefix + "/domains/" + ref }

func appPathAPI(domainRef, appID string) string {
	return domainPath(domainRef) + "/applications/" + appID
}

func secretPathAPI(domainRef, appID, secretID string) string {
	return appPathAPI(domainRef, appID) + "/secrets/" + secretID
}
