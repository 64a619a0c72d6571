package views

import "latchkey/models"

// NoticePath is the console path a notice links to: its subject's page
// (an application's secrets tab, for a client secret). A kind without a
// page links to the notifications list.
func NoticePath(kind, domainID, applicationID string) string {
	if kind == models.KindClientSecret.Name {
		return "/domains/" + domainID + "/applications/" + applicationID + "/secrets"
	}
	return "/notifications"
}
