package models

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Roles a user can have.
const (
	RoleAdmin  = "admin"  // may change everything
	RoleViewer = "viewer" // may read everything, change nothing but their own password
)

// User is a person who signs in to the console.
type User struct {
	ID           string `gorm:"primaryKey;size:36"`
	Email        string `gorm:"uniqueIndex;size:254;not null"`
	Name         string `gorm:"size:64;not null"`
	PasswordHash string `gorm:"not null"`
	Role         string `gorm:"size:16;not null"`
	Disabled     bool   `gorm:"not null;default:false"`
	// PasswordChangedAt lets sessions issued before a password change be
	// refused.
	PasswordChangedAt time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// IsAdmin reports whether the user may change things.
func (u *User) IsAdmin() bool { return u != nil && u.Role == RoleAdmin && !u.Disabled }

// NewUser is the input for creating a user.
type NewUser struct {
	Email, Name, Password, Role string
}

// ValidRole reports whether r names a role.
func ValidRole(r string) bool { return r == RoleAdmin || r == RoleViewer }

func (in *NewUser) validate() FieldErrors {
	errs := FieldErrors{}
	var msg string
	if in.Email, msg = NormalizeEmail(in.Email); msg != "" {
		errs["email"] = msg
	}
	if in.Name, msg = cleanName(in.Name); msg != "" {
		errs["name"] = msg
	}
	if msg = ValidatePassword(in.Password, in.Email); msg != "" {
		errs["password"] = msg
	}
	if !ValidRole(in.Role) {
		errs["role"] = "Choose admin or viewer."
	}
	return errs
}

// CreateUser validates and stores a new user.
func (s *Store) CreateUser(ctx context.Context, actor Actor, in NewUser) (*User, error) {
	var u *User
	err := s.write(ctx, func(tx *gorm.DB) error {
		var err error
		if u, err = s.createUser(tx, in); err != nil {
			return err
		}
		return s.audit(tx, actor, AuditEvent{Type: EventUserCreated, TargetID: u.ID, TargetName: u.Email, Detail: "role " + u.Role})
	})
	return u, err
}

func (s *Store) createUser(tx *gorm.DB, in NewUser) (*User, error) {
	if errs := in.validate(); len(errs) > 0 {
		return nil, errs
	}
	var n int64
	if err := tx.Model(&User{}).Where("email = ?", in.Email).Count(&n).Error; err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, FieldErrors{"email": "A user with this email already exists."}
	}
	hash, err := HashPassword(tx.Statement.Context, in.Password)
	if err != nil {
		return nil, err
	}
	u := &User{ID: newID(), Email: in.Email, Name: in.Name, PasswordHash: hash, Role: in.Role, PasswordChangedAt: s.now()}
	if err := tx.Create(u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, FieldErrors{"email": "A user with this email already exists."}
		}
		return nil, err
	}
	return u, nil
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&User{}).Count(&n).Error
	return n, err
}

// UserByID returns a user or ErrNotFound.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	var u User
	if err := s.db.WithContext(ctx).First(&u, "id = ?", id).Error; err != nil {
		return nil, notFound(err)
	}
	return &u, nil
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	var us []User
	err := s.db.WithContext(ctx).Order("lower(name), email").Find(&us).Error
	return us, err
}

// Authenticate returns the enabled user with this email and password, or
// nil when they do not match. It costs the same time whether or not the
// account exists. It returns ErrPasswordBusy, having verified nothing, when
// too many passwords are being verified at once.
func (s *Store) Authenticate(ctx context.Context, email, password string) (*User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var u User
	err := s.db.WithContext(ctx).First(&u, "email = ?", email).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_, err := VerifyPassword(ctx, dummyHash, password)
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	ok, err := VerifyPassword(ctx, u.PasswordHash, password)
	if err != nil || !ok || u.Disabled {
		return nil, err
	}
	return &u, nil
}

// UnknownIdentity is what the audit log records for a failed sign-in
// whose e-mail names no account: what was typed may be a password typed
// into the wrong field, which must never be stored.
const UnknownIdentity = "(unknown account)"

// LoginIdentity returns what the audit log may record as the identity of
// a failed sign-in: the e-mail when it is an existing user's, else
// UnknownIdentity.
func (s *Store) LoginIdentity(ctx context.Context, email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !storableText(email) || email == "" {
		return UnknownIdentity, nil
	}
	var n int64
	if err := s.db.WithContext(ctx).Model(&User{}).Where("email = ?", email).Count(&n).Error; err != nil {
		return "", err
	}
	if n == 0 {
		return UnknownIdentity, nil
	}
	return email, nil
}

// UserUpdate is what an administrator may change about a user.
type UserUpdate struct {
	Name     string
	Role     string
	Disabled bool
}

// UpdateUser changes a user's name, role and disabled flag. An administrator
// cannot demote or disable themselves, and the last enabled administrator
// cannot be demoted or disabled, so the console can never be locked.
func (s *Store) UpdateUser(ctx context.Context, actor Actor, id string, in UserUpdate) (*User, error) {
	actorID := actor.UserID
	errs := FieldErrors{}
	var msg string
	if in.Name, msg = cleanName(in.Name); msg != "" {
		errs["name"] = msg
	}
	if !ValidRole(in.Role) {
		errs["role"] = "Choose admin or viewer."
	}
	var u User
	err := s.write(ctx, func(tx *gorm.DB) error {
		if err := tx.First(&u, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		old := u
		losesAdmin := u.Role == RoleAdmin && !u.Disabled && (in.Role != RoleAdmin || in.Disabled)
		if losesAdmin && actorID == id {
			errs["role"] = "You cannot remove your own administrator access."
		} else if losesAdmin {
			var admins int64
			if err := tx.Model(&User{}).Where("role = ? AND disabled = ?", RoleAdmin, false).Count(&admins).Error; err != nil {
				return err
			}
			if admins <= 1 {
				errs["role"] = "At least one enabled administrator must remain."
			}
		}
		if len(errs) > 0 {
			return errs
		}
		u.Name, u.Role, u.Disabled = in.Name, in.Role, in.Disabled
		if err := tx.Save(&u).Error; err != nil {
			return err
		}
		if err := s.endSessionsOnUpdate(tx, actor, old, u); err != nil {
			return err
		}
		return s.audit(tx, actor, AuditEvent{Type: EventUserUpdated, TargetID: u.ID, TargetName: u.Email,
			Detail: "role " + old.Role + " → " + u.Role + ", disabled " + boolWord(old.Disabled) + " → " + boolWord(u.Disabled)})
	})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

func boolWord(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// ChangePassword replaces a user's password after checking the current one.
func (s *Store) ChangePassword(ctx context.Context, actor Actor, id, current, next, confirm string) error {
	var u User
	if err := s.db.WithContext(ctx).First(&u, "id = ?", id).Error; err != nil {
		return notFound(err)
	}
	errs := FieldErrors{}
	ok, err := VerifyPassword(ctx, u.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		errs["current"] = "Current password is not correct."
	}
	if msg := ValidatePassword(next, u.Email); msg != "" {
		errs["password"] = msg
	} else if next != confirm {
		errs["confirm"] = "The two passwords do not match."
	}
	if len(errs) > 0 {
		return errs
	}
	return s.setPassword(ctx, actor, &u, next, "")
}

// setPassword hashes password (at the password gate) and stores it for u,
// ending every session of u in the same transaction (the one that asked
// too: the console starts it a new one), with its audit event; detail
// tells an administrator's reset from a change.
func (s *Store) setPassword(ctx context.Context, actor Actor, u *User, password, detail string) error {
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return err
	}
	return s.write(ctx, func(tx *gorm.DB) error {
		err := tx.Model(u).Updates(map[string]any{"password_hash": hash, "password_changed_at": s.now()}).Error
		if err != nil {
			return err
		}
		if _, err := s.endSessions(tx, actor, u.ID, u.Email, "", sessionEndPasswordChange); err != nil {
			return err
		}
		return s.audit(tx, actor, AuditEvent{Type: EventPasswordChanged, TargetID: u.ID, TargetName: u.Email, Detail: detail})
	})
}

// SignedIn records a successful sign-in of u. The sign-in itself lives in
// a cookie or a token; its event is a write of its own, detached from the
// request like every write.
func (s *Store) SignedIn(ctx context.Context, actor Actor, u *User, detail string) error {
	return s.write(ctx, func(tx *gorm.DB) error {
		return s.audit(tx, actor, AuditEvent{Type: EventLogin, ActorID: u.ID, ActorEmail: u.Email, Detail: detail})
	})
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}
