package views

import "encoding/json"

// csrfHeader is the hx-headers value that makes every htmx request carry the
// CSRF token.
func csrfHeader(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}
