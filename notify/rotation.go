package notify

import (
	"context"
	"time"

	"github.com/google/uuid"

	"latchkey/models"
	"latchkey/models/ledger"
)

// NotifyRotations tells each rotated domain's owners that its system
// certificate was rotated automatically (certrotate.Worker.OnRotated):
// an event models.NoticeCertificateRotated of the certificate kind, whose
// subject is the new certificate, through the ledger like every notice —
// console, e-mail, webhook and log, each decided exactly once (the
// ledger's key), even should two nodes report the same rotation. It does
// nothing while the certificate source is switched off
// (services.notifier.enabled, services.notifier.certificate.enabled). The
// run is recorded for the Notifications page like a scheduled one.
func (n *Notifier) NotifyRotations(ctx context.Context, rotations []models.Rotation) (*models.NotificationRun, error) {
	src := n.source(models.KindCertificate.Name)
	if src == nil || !src.enabled || src.wording.Rotated == "" || len(rotations) == 0 {
		return nil, nil
	}
	run := &models.NotificationRun{ID: uuid.NewString(), Host: n.host}
	if err := n.store.StartNotificationRun(ctx, run); err != nil {
		return nil, err
	}
	err := n.decideAndDeliver(ctx, run, false, func(_ time.Time, decide func(*configured, []plannedEntry) error, _ func() error) error {
		entries, err := n.rotationEntries(ctx, src, rotations)
		if err != nil || len(entries) == 0 {
			return err
		}
		run.Scanned += len(rotations)
		return decide(src, entries)
	})
	if err != nil {
		run.Error = err.Error()
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := n.store.FinishNotificationRun(fctx, run); ferr != nil && err == nil {
		err = ferr
	}
	return run, err
}

// rotationEntries are the ledger entries of the rotations' notices: the
// new certificates as they are now (one deleted since is left out), told
// to their domains' owners.
func (n *Notifier) rotationEntries(ctx context.Context, src *configured, rotations []models.Rotation) ([]plannedEntry, error) {
	refs := make([]models.SubjectRef, 0, len(rotations))
	var domains []string
	for _, r := range rotations {
		if r.New != nil {
			refs = append(refs, models.SubjectRef{Kind: src.kind.Name, ID: r.New.ID})
			domains = append(domains, r.New.DomainID)
		}
	}
	subjects, err := n.store.SubjectsOf(ctx, refs)
	if err != nil {
		return nil, err
	}
	owners, err := n.store.DomainOwners(ctx, domains)
	if err != nil {
		return nil, err
	}
	var entries []plannedEntry
	for _, ref := range refs {
		sub, ok := subjects[ref]
		if !ok {
			continue
		}
		s := &sub
		key := ledger.NoticeKey{SubjectID: s.ID, ExpiresAt: s.ExpiresAt, Event: src.wording.Rotated}
		entries = n.expand(entries, src, key, s, recipients(owners[s.DomainID], nil, s.Owners))
	}
	return entries, nil
}
