package models

import (
	"context"
	"errors"

	"gorm.io/gorm"
)

// Users and owners as the Management API manages them (issue 17): deleting
// a user, an administrator's password reset, and the owners of domains and
// applications (Gravitee's members), who are the people notified about
// their secrets.

// EventUserDeleted is the audit event of a deleted user.
const EventUserDeleted = "USER_DELETED"

// DeleteUser removes a user; their API tokens, notices and domain
// ownerships go with them, and applications they owned have no owner. An
// administrator cannot delete themselves, and the last enabled
// administrator cannot be deleted, so the console can never be locked.
func (s *Store) DeleteUser(ctx context.Context, actor Actor, id string) (*User, error) {
	var u User
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&u, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		if actor.UserID == id {
			return &Error{Code: CodeInvalid, Message: "You cannot delete your own account."}
		}
		if u.Role == RoleAdmin && !u.Disabled {
			var admins int64
			if err := tx.Model(&User{}).Where("role = ? AND disabled = ?", RoleAdmin, false).Count(&admins).Error; err != nil {
				return err
			}
			if admins <= 1 {
				return &Error{Code: CodeInvalid, Message: "At least one enabled administrator must remain."}
			}
		}
		if err := tx.Delete(&u).Error; err != nil {
			return err
		}
		return s.audit(tx, actor, AuditEvent{Type: EventUserDeleted, TargetID: u.ID, TargetName: u.Email})
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// ResetPassword sets a user's password without the current one (an
// administrator's reset). It ends the user's console sessions in the same
// transaction, as any password change does.
func (s *Store) ResetPassword(ctx context.Context, actor Actor, id, password string) error {
	var u User
	if err := s.db.WithContext(ctx).First(&u, "id = ?", id).Error; err != nil {
		return notFound(err)
	}
	if msg := ValidatePassword(password, u.Email); msg != "" {
		return FieldErrors{"password": msg}
	}
	return s.setPassword(ctx, actor, &u, password, "reset by an administrator")
}

// ErrNoSuchMember is returned when the user to add as an owner does not
// exist.
var ErrNoSuchMember = &Error{Code: CodeInvalid, Message: "The member must be an existing user's id.",
	Fields: map[string]string{"memberId": "The member must be an existing user's id."}}

// AddDomainOwner makes a user an owner of a domain (adding an owner twice
// changes nothing and records nothing).
func (s *Store) AddDomainOwner(ctx context.Context, actor Actor, domainID, userID string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		var d Domain
		if err := tx.Preload("Owners").First(&d, "id = ?", domainID).Error; err != nil {
			return notFound(err)
		}
		var u User
		if err := tx.First(&u, "id = ?", userID).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNoSuchMember
			}
			return err
		}
		for _, o := range d.Owners {
			if o.ID == userID {
				return nil
			}
		}
		if err := tx.Model(&d).Association("Owners").Append(&u); err != nil {
			return err
		}
		ev := domainEvent(EventDomainUpdated, &d)
		ev.Detail = "owner added: " + u.Email
		return s.audit(tx, actor, ev)
	})
}

// RemoveDomainOwner removes a user from a domain's owners; ErrNotFound when
// they are not one.
func (s *Store) RemoveDomainOwner(ctx context.Context, actor Actor, domainID, userID string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		var d Domain
		if err := tx.First(&d, "id = ?", domainID).Error; err != nil {
			return notFound(err)
		}
		res := tx.Exec("DELETE FROM domain_owners WHERE domain_id = ? AND user_id = ?", domainID, userID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		var u User
		if err := tx.First(&u, "id = ?", userID).Error; err != nil {
			return err
		}
		ev := domainEvent(EventDomainUpdated, &d)
		ev.Detail = "owner removed: " + u.Email
		return s.audit(tx, actor, ev)
	})
}

// SetApplicationOwner makes userID the application's owner (an application
// has one), or leaves it without one when userID is "".
func (s *Store) SetApplicationOwner(ctx context.Context, actor Actor, domainID, appID, userID string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		var a Application
		if err := tx.First(&a, "id = ? AND domain_id = ?", appID, domainID).Error; err != nil {
			return notFound(err)
		}
		var owner *string
		detail := "owner removed"
		if userID != "" {
			var u User
			if err := tx.First(&u, "id = ?", userID).Error; err != nil {
				if errors.Is(err, gorm.ErrRecordNotFound) {
					return ErrNoSuchMember
				}
				return err
			}
			owner, detail = &u.ID, "owner set: "+u.Email
		}
		if err := tx.Model(&a).Update("owner_id", owner).Error; err != nil {
			return err
		}
		ev := appEvent(EventApplicationUpdated, &a)
		ev.Detail = detail
		return s.audit(tx, actor, ev)
	})
}
