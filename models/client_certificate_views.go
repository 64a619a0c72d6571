package models

import "context"

// DeleteClientCertificateTyped deletes a client certificate of app once
// the console's typed confirmation equals its description exactly, as
// DeleteSecret does for secrets; a mismatch changes nothing and is
// recorded as a FAILURE. Comparing before DeleteClientCertificate's
// transaction is safe: a client certificate's description never changes.
func (s *Store) DeleteClientCertificateTyped(ctx context.Context, actor Actor, app *Application, id, confirm string) (*ClientCertificate, error) {
	cc, err := s.ClientCertificateByID(ctx, app.ID, id)
	if err != nil {
		return nil, err
	}
	if confirm != cc.Description {
		return nil, s.refused(ctx, actor, clientCertificateEvent(EventClientCertificateDeleted, app, cc),
			FieldErrors{"confirm": "Type the client certificate's description exactly to confirm."})
	}
	return s.DeleteClientCertificate(ctx, actor, app.DomainID, app.ID, id)
}
