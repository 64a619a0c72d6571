package web

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"latchkey/handlers"
	"latchkey/models"
	"latchkey/views"
)

// publicError is what a person may be told about a failed request.
type publicError struct {
	status           int
	heading, message string
}

// classify maps an error to a status and a message. Internal errors get a
// generic message; their text is only logged.
func classify(err error) (publicError, bool) {
	var he *echo.HTTPError
	switch {
	case errors.Is(err, models.ErrNotFound):
		return publicError{http.StatusNotFound, "Not found", "This page does not exist, or what it showed has been deleted."}, false
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
	if fe, ok := models.AsFieldErrors(err); ok {
		return publicError{http.StatusBadRequest, "Invalid input", fe.Error()}, false
	}
	return publicError{http.StatusInternalServerError, "Something went wrong", "Latchkey could not complete this request. The problem has been logged; try again in a moment."}, true
}

// consoleErrorHandler renders errors as pages (or as JSON for non-HTML
// clients), logging only internal errors.
func consoleErrorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if handlers.IsAPIPath(c.Request().URL.Path) {
			writeAPIError(log, err, c)
			return
		}
		pe, internal := classify(err)
		if internal {
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
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
		if rerr := views.Error(page).Render(c.Request().Context(), c.Response()); rerr != nil {
			log.Error("render error page", "err", rerr)
		}
	}
}

// writeAPIError answers a Management API error, always as JSON
// {"message","http_status"} (never an HTML page, whatever failed: routing,
// the body limit, a handler, a models rule), logging only internal errors.
func writeAPIError(log *slog.Logger, err error, c echo.Context) {
	ae, internal := handlers.APIErrorFor(err)
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
		pe, internal := classify(err)
		if internal {
			log.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
		}
		_ = c.JSON(pe.status, map[string]any{"message": pe.message, "http_status": pe.status})
	}
}
