package views

import (
	"encoding/json"

	"latchkey/models"
)

// csrfHeader is the hx-headers value that makes every htmx request carry the
// CSRF token.
func csrfHeader(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

// hridExample is the id the form's hint shows: what was typed when it is a
// valid id, never invalid input repeated back as if it would work.
func hridExample(typed string) string {
	if typed == "" || models.ValidateHRID(typed) != "" {
		return "my-domain"
	}
	return typed
}
