package handlers

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"latchkey/models"
	"latchkey/views"
)

// listRequest reads a paged list's search and cursor: ?q=, ?after= and
// ?before= (see models.PageRequest).
func listRequest(c echo.Context) (string, models.PageRequest) {
	return strings.TrimSpace(c.QueryParam("q")), models.PageRequest{After: c.QueryParam("after"), Before: c.QueryParam("before")}
}

// listPager links to the pages beside one: path with the list's other
// parameters (params, such as q or the audit filters; empty ones are
// left out) and the cursor. target is the element the links swap.
func listPager(path string, params map[string]string, prev, next, target string) views.Pager {
	link := func(dir, cursor string) string {
		if cursor == "" {
			return ""
		}
		q := url.Values{}
		for k, v := range params {
			if v != "" {
				q.Set(k, v)
			}
		}
		q.Set(dir, cursor)
		return path + "?" + q.Encode()
	}
	return views.Pager{PrevURL: link("before", prev), NextURL: link("after", next), Target: target}
}
