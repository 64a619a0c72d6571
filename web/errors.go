package web

// The one place errors become answers: pageError for the console's pages,
// apiError for the Management API's JSON. Both go by the models' error
// codes (and echo's and net/http's typed errors), never by message text.

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"latchkey/handlers"
	"latchkey/models"
	"latchkey/views"
)

// retryAfter is what a client is told to wait while the database is
// unavailable.
const retryAfter = "5"

// statusClientClosed is logged (never seen by anyone) for a request whose
// client went away before its answer: nginx's 499.
const statusClientClosed = 499

// publicError is what a person may be told about a failed request.
type publicError struct {
	status           int
	heading, message string
}

// pageError maps an error to a status and a message for a page. Internal
// errors get a generic message; their text is only logged.
func pageError(err error) (publicError, bool) {
	var he *echo.HTTPError
	switch {
	case errors.Is(err, middleware.ErrCSRFInvalid):
		return publicError{http.StatusForbidden, "Form expired", "This form could not be accepted because its security token is missing or out of date. Go back, reload the page and try again."}, false
	case errors.As(err, &he):
		pe := publicError{status: he.Code, heading: http.StatusText(he.Code)}
		switch he.Code {
		case http.StatusNotFound:
			pe.heading, pe.message = "Not found", "This page does not exist."
		case http.StatusForbidden:
			pe.heading, pe.message = "Not allowed", "You do not have permission to do this."
			if msg, ok := he.Message.(string); ok {
				pe.message = msg
			}
		case http.StatusBadRequest:
			pe.heading, pe.message = "Bad request", "The request could not be understood. If it came from a form, reload the page and try again."
		case http.StatusMethodNotAllowed:
			pe.message = "This address does not accept that kind of request."
		case http.StatusRequestEntityTooLarge:
			pe.message = "The request is too large."
		default:
			pe.message = "The request could not be completed."
		}
		return pe, he.Code >= 500
	}
	switch models.ErrorCode(err) {
	case models.CodeNotFound:
		return publicError{http.StatusNotFound, "Not found", "This page does not exist, or what it showed has been deleted."}, false
	case models.CodeForbidden:
		return publicError{http.StatusForbidden, "Not allowed", "You do not have permission to do this."}, false
	case models.CodeInvalid, models.CodeConflict, models.CodeLimit:
		msg := models.ConsoleText(err)
		if fe, ok := err.(models.FieldErrors); ok {
			msg = fe.Error()
		}
		return publicError{http.StatusBadRequest, "Invalid input", msg}, false
	case models.CodeStale:
		return publicError{http.StatusConflict, "Changed meanwhile", models.ConsoleText(err)}, false
	case models.CodeUnavailable:
		return publicError{http.StatusServiceUnavailable, "Temporarily unavailable", "Latchkey cannot reach its database at the moment. Try again in a few seconds."}, true
	}
	return publicError{http.StatusInternalServerError, "Something went wrong", "Latchkey could not complete this request. The problem has been logged; try again in a moment."}, true
}

// apiError maps any error met while serving the Management API to the
// answer; internal reports an unexpected error, whose text is only logged
// (the caller gets a generic message). Bad input never maps to a 500.
func apiError(err error) (ae *handlers.APIError, internal bool) {
	var (
		he  *echo.HTTPError
		mbe *http.MaxBytesError
	)
	switch {
	case errors.As(err, &ae):
		return ae, false
	case errors.As(err, &mbe):
		return &handlers.APIError{Status: http.StatusRequestEntityTooLarge, Message: "The request body is too large: the limit is 1 MiB."}, false
	case errors.As(err, &he):
		return httpAPIError(he), he.Code >= 500
	}
	switch models.ErrorCode(err) {
	case models.CodeNotFound:
		return &handlers.APIError{Status: http.StatusNotFound, Message: "The requested resource does not exist."}, false
	case models.CodeForbidden:
		return &handlers.APIError{Status: http.StatusForbidden, Message: "You do not have permission to do this."}, false
	case models.CodeInvalid, models.CodeConflict, models.CodeLimit:
		return &handlers.APIError{Status: http.StatusBadRequest, Message: models.APIText(err), Fields: apiFields(err)}, false
	case models.CodeStale:
		return &handlers.APIError{Status: http.StatusConflict, Message: models.APIText(err)}, false
	case models.CodeUnavailable:
		return &handlers.APIError{Status: http.StatusServiceUnavailable,
			Message: "Latchkey cannot reach its database at the moment. Try again in a few seconds.",
			Header:  http.Header{"Retry-After": {retryAfter}}}, true
	}
	return &handlers.APIError{Status: http.StatusInternalServerError, Message: "Latchkey could not complete this request. The problem has been logged; try again in a moment."}, true
}

// apiFields is a rule error's per-field messages under the API's field
// names.
func apiFields(err error) map[string]string {
	var e *models.Error
	if errors.As(err, &e) {
		if e.APIFields != nil {
			return e.APIFields
		}
		return e.Fields
	}
	if fe, ok := models.AsFieldErrors(err); ok {
		return fe
	}
	return nil
}

// httpAPIError words echo's own errors (routing, body limit) for the API.
func httpAPIError(he *echo.HTTPError) *handlers.APIError {
	msg := http.StatusText(he.Code)
	switch he.Code {
	case http.StatusNotFound:
		msg = "No such endpoint. The API is described at /management/openapi.json."
	case http.StatusMethodNotAllowed:
		msg = "This endpoint does not accept this method."
	case http.StatusRequestEntityTooLarge:
		msg = "The request body is too large: the limit is 1 MiB."
	case http.StatusUnsupportedMediaType:
		msg = "Send the request body as JSON, with Content-Type: application/json."
	default:
		if m, ok := he.Message.(string); ok && he.Code < 500 {
			msg = m
		}
	}
	return &handlers.APIError{Status: he.Code, Message: msg}
}

// clientGone reports whether the request's client went away, so that what
// failed afterwards (a read for the answer, the answer's write) is nobody's
// problem: the change, if any, is committed with its event, and nobody is
// there to tell.
func clientGone(err error, c echo.Context) bool {
	if c.Request().Context().Err() == nil {
		return false
	}
	switch models.ErrorCode(err) {
	case "", models.CodeUnavailable: // a connection cut short, a cancelled query
		return true
	}
	return errors.Is(err, context.Canceled)
}

// consoleErrorHandler renders errors as pages (or as JSON for the
// Management API), logging only internal errors.
func consoleErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if clientGone(err, c) {
			log.Info("client went away", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
			c.Response().WriteHeader(statusClientClosed)
			return
		}
		if handlers.IsAPIPath(c.Request().URL.Path) {
			writeAPIError(log, err, c)
			return
		}
		pe, internal := pageError(err)
		if internal {
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		}
		if pe.status == http.StatusServiceUnavailable {
			c.Response().Header().Set("Retry-After", retryAfter)
		}
		if c.Request().Method == http.MethodHead {
			_ = c.NoContent(pe.status)
			return
		}
		csrf, _ := c.Get(handlers.CSRFKey).(string)
		page := views.ErrorPage{
			Page:   views.Page{Title: pe.heading, User: handlers.CurrentUser(c), CSRF: csrf},
			Status: pe.status, Heading: pe.heading, Message: pe.message,
		}
		c.Response().Header().Set(echo.HeaderContentType, echo.MIMETextHTMLCharsetUTF8)
		c.Response().WriteHeader(pe.status)
		// The page is rendered whatever became of the request's context.
		if rerr := views.Error(page).Render(context.WithoutCancel(c.Request().Context()), c.Response()); rerr != nil {
			log.Error("render error page", "err", rerr)
		}
	}
}

// writeAPIError answers a Management API error, always as JSON
// {"message","http_status"} (never an HTML page, whatever failed: routing,
// the body limit, a handler, a models rule), logging only internal errors.
func writeAPIError(log *slog.Logger, err error, c echo.Context) {
	ae, internal := apiError(err)
	if internal {
		log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	// Errors raised before the security headers were set (the body limit
	// runs first) must not be cached or sniffed either.
	c.Response().Header().Set("Cache-Control", "no-store")
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	for k, vs := range ae.Header {
		for _, v := range vs {
			c.Response().Header().Add(k, v)
		}
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	_ = c.JSON(ae.Status, ae.Body())
}

// jsonErrorHandler answers gateway errors as JSON.
func jsonErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		pe, internal := pageError(err)
		if internal {
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		}
		_ = c.JSON(pe.status, map[string]any{"message": pe.message, "http_status": pe.status})
	}
}
