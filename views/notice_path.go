package views

import "latchkey/models"

// NoticePath is the console path a notice links to: its subject's page
// (an application's secrets tab, for a client secret; the domain's
// certificates page, for a certificate). A kind without a page links to
// the notifications list.
func NoticePath(kind, domainID, applicationID string) string {
	switch kind {
	case models.KindClientSecret.Name, models.KindClientCertificate.Name:
		return "/domains/" + domainID + "/applications/" + applicationID + "/secrets"
	case models.KindCertificate.Name:
		return "/domains/" + domainID + "/settings/certificates"
	}
	return "/notifications"
}

// noticeLinkText is the words of a notice's link to NoticePath.
func noticeLinkText(kind string) string {
	switch kind {
	case models.KindClientSecret.Name, models.KindClientCertificate.Name:
		return "Open the application's secrets"
	case models.KindCertificate.Name:
		return "Open the domain's certificates"
	}
	return "Open the notifications"
}
