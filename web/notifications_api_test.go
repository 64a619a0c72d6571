package web_test

import (
	"net/http"
	"testing"
	"time"

	"latchkey/models"
)

// The Management API's notification list names each notice's subject in
// the field for its kind (issue 18): a client secret's id in "secret" (with
// its "application"), a certificate's in "certificate", never in "secret".
// Both shapes validate against the OpenAPI document.
func TestNotificationAPINamesCertificates(t *testing.T) {
	n := newNotifyEnv(t)
	certPEM, keyPEM := selfSigned(t, time.Now().Add(2*24*time.Hour))
	cert, err := n.store.CreateOwnCertificate(n.ctx, models.Actor{}, n.domain.ID, models.OwnCertificateInput{
		Name: "partner", CertificatePEM: []byte(certPEM), PrivateKeyPEM: []byte(keyPEM)})
	if err != nil {
		t.Fatal(err)
	}
	n.runNotifier()
	api := n.api(n.personalToken(n.user.ID, "bell", true).Value)
	var list []map[string]any
	api.get("/management/user/notifications").want(http.StatusOK).decode(&list)
	var secret, certificate map[string]any
	for _, item := range list {
		switch item["type"] {
		case models.NoticeWillExpire:
			secret = item
		case models.NoticeCertificateWillExpire:
			certificate = item
		}
	}
	if secret == nil || certificate == nil {
		t.Fatalf("want a secret's and a certificate's notice, got %v", list)
	}
	if secret["secret"] != n.secret || secret["application"] != n.app.ID {
		t.Errorf("the secret's notice: secret %v, application %v; want %s, %s", secret["secret"], secret["application"], n.secret, n.app.ID)
	}
	if _, ok := secret["certificate"]; ok {
		t.Errorf("the secret's notice has a certificate field: %v", secret)
	}
	if certificate["certificate"] != cert.ID {
		t.Errorf("the certificate's notice: certificate %v, want %s", certificate["certificate"], cert.ID)
	}
	if v, ok := certificate["secret"]; ok {
		t.Errorf("the certificate's notice puts %v in secret", v)
	}
	if certificate["domain"] != n.domain.ID {
		t.Errorf("the certificate's notice: domain %v, want %s", certificate["domain"], n.domain.ID)
	}
}
