package org

import (
	"context"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// User is a person who signs in to Vigil.
type User struct {
	ID          int64     `json:"id"`
	Email       string    `json:"email"`
	Name        string    `json:"name"`
	Role        auth.Role `json:"role"`
	Unit        string    `json:"unit"`
	UnitName    string    `json:"unit_name"`
	UnitPath    string    `json:"-"`
	Disabled    bool      `json:"disabled"`
	Locked      bool      `json:"locked"`
	LastLoginAt time.Time `json:"last_login_at,omitzero"`
	CreatedAt   time.Time `json:"created_at"`
}

// UserInput creates a user.
type UserInput struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
	Role     string `json:"role"`
	Unit     string `json:"unit"`
}

// Validate checks and normalises the input.
func (in *UserInput) Validate() error {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Name = strings.TrimSpace(in.Name)
	in.Unit = strings.TrimSpace(in.Unit)
	if in.Email == "" {
		return errs.Invalid("email", "is required")
	}
	if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
		return errs.Invalid("email", "is not an e-mail address")
	}
	if in.Name == "" {
		return errs.Invalid("name", "is required")
	}
	if len(in.Name) > 200 {
		return errs.Invalid("name", "must be at most 200 bytes")
	}
	if !auth.Role(in.Role).Valid() {
		return errs.Invalid("role", "must be one of admin, analyst, officer, viewer")
	}
	if in.Unit == "" {
		return errs.Invalid("unit", "is required")
	}
	return auth.ValidatePassword("password", in.Password)
}

const userColumns = `us.id, us.email, us.name, us.role, u.code, u.name, u.path, us.disabled, us.locked_until, us.last_login_at, us.created_at`

func scanUser(sc interface{ Scan(...any) error }) (*User, error) {
	var u User
	var role string
	var locked, last, created int64
	if err := sc.Scan(&u.ID, &u.Email, &u.Name, &role, &u.Unit, &u.UnitName, &u.UnitPath, &u.Disabled, &locked, &last, &created); err != nil {
		return nil, err
	}
	u.Role = auth.Role(role)
	u.Locked = locked > store.Now()
	u.LastLoginAt, u.CreatedAt = store.Time(last), store.Time(created)
	return &u, nil
}

// CreateUser adds a user. Admins create anyone; officers create officers and
// viewers inside their subtree.
func (s *Service) CreateUser(ctx context.Context, in UserInput) (*User, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role != auth.RoleAdmin && p.Role != auth.RoleOfficer {
		return nil, errs.Forbidden("your role may not manage users")
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	var out *User
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var e error
		out, e = createUser(ctx, tx, p, in, hash)
		return e
	})
	return out, err
}

func createUser(ctx context.Context, tx *store.Tx, p *auth.Principal, in UserInput, hash string) (*User, error) {
	unit, err := unitByCode(ctx, tx, in.Unit)
	if err := p.CheckRead(err, func() string { return unit.Path }, errs.Invalid("unit", "unit %q does not exist", in.Unit)); err != nil {
		return nil, err
	}
	if !p.CanManageUsers(unit.Path, auth.Role(in.Role)) {
		return nil, errs.Forbidden("you may not create a %s in unit %s", in.Role, in.Unit)
	}
	now := store.Now()
	var id int64
	err = tx.QueryRow(ctx, `INSERT INTO users (email, name, name_fold, role, unit_id, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, in.Email, in.Name, i18n.Fold(in.Name), in.Role, unit.ID, hash, now, now).Scan(&id)
	if store.IsUniqueViolation(err) {
		return nil, errs.Conflict("email", "a user with this e-mail already exists")
	}
	if err != nil {
		return nil, fmt.Errorf("org: create user: %w", err)
	}
	u := &User{ID: id, Email: in.Email, Name: in.Name, Role: auth.Role(in.Role), Unit: unit.Code, UnitName: unit.Name, UnitPath: unit.Path, CreatedAt: store.Time(now)}
	after := in
	after.Password = ""
	if err := audit.Append(ctx, tx, audit.Entry{Action: "user.create", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), UnitID: unit.ID,
		After: map[string]any{"email": in.Email, "name": in.Name, "role": in.Role, "unit": in.Unit}}); err != nil {
		return nil, err
	}
	return u, nil
}

// GetUser returns a user the caller may see; others are not found.
func (s *Service) GetUser(ctx context.Context, id int64) (*User, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	u, err := scanUser(s.DB.QueryRow(ctx, `SELECT `+userColumns+` FROM users us JOIN units u ON u.id = us.unit_id WHERE us.id = ?`, id))
	if err := p.CheckRead(err, func() string { return u.UnitPath }, errs.NotFound("user")); err != nil {
		return nil, fmt.Errorf("org: get user %d: %w", id, err)
	}
	return u, nil
}

// UserFilter selects users.
type UserFilter struct {
	Query  string
	Role   string
	Unit   string
	Sort   string // a key of UserSorts; "" is the order users were added
	Desc   bool
	Offset int // rows skipped (pages by position)
	Limit  int
}

// UserSorts are the columns a list of users sorts by.
var UserSorts = map[string]string{
	"name":       "us.name_fold",
	"email":      "us.email",
	"role":       "CASE us.role WHEN 'admin' THEN 1 WHEN 'analyst' THEN 2 WHEN 'officer' THEN 3 ELSE 4 END",
	"unit":       "u.code",
	"status":     "CASE WHEN us.disabled THEN 2 ELSE 1 END",
	"last_login": "us.last_login_at",
	"created":    "us.created_at",
}

// UserSortKeys lists the keys of UserSorts.
var UserSortKeys = []string{"name", "email", "role", "unit", "status", "last_login", "created"}

// ListUsers returns a page of the users in the caller's scope that match
// f, in f's order, and how many match in all.
func (s *Service) ListUsers(ctx context.Context, f UserFilter) ([]*User, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("us.id", f.Limit, 100).Scope(p, "u.path")
	if f.Query != "" {
		l.Where(`(us.name_fold LIKE ? ESCAPE '\' OR us.email LIKE ? ESCAPE '\')`,
			store.LikeContains(i18n.Fold(f.Query)), store.LikeContains(strings.ToLower(f.Query)))
	}
	if f.Role != "" {
		l.Where("us.role = ?", f.Role)
	}
	if f.Unit != "" {
		l.Where("u.code = ?", f.Unit)
	}
	if f.Sort != "" {
		expr, ok := UserSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(UserSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+userColumns, ` FROM users us JOIN units u ON u.id = us.unit_id`, scanUser)
	if err != nil {
		return nil, 0, fmt.Errorf("org: list users: %w", err)
	}
	return out, total, nil
}

// UserPatch changes a user; nil fields stay.
type UserPatch struct {
	Name     *string `json:"name"`
	Role     *string `json:"role"`
	Unit     *string `json:"unit"`
	Disabled *bool   `json:"disabled"`
	Password *string `json:"password"`
	// CurrentPassword is required when users change their own password.
	CurrentPassword *string `json:"current_password"`
	Unlock          bool    `json:"unlock"`
}

// ownPasswordOnly reports whether patch changes nothing but the password,
// which users may do to themselves whatever their role.
func (patch UserPatch) ownPasswordOnly() bool {
	return patch.Password != nil && patch.Name == nil && patch.Role == nil && patch.Unit == nil && patch.Disabled == nil && !patch.Unlock
}

// UpdateUser applies patch. The caller must be allowed to manage the user
// both as it is and as it will be (no promoting out of one's reach). Users
// change their own password with their current one (a stolen session or
// token must not become a permanent takeover), whatever their role; an
// administrator or officer resetting someone else's needs none and the
// audit log calls it a reset.
func (s *Service) UpdateUser(ctx context.Context, id int64, patch UserPatch) (*User, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	self := id == p.UserID && p.UserID != 0
	if self && patch.Password != nil {
		if patch.CurrentPassword == nil || *patch.CurrentPassword == "" {
			return nil, errs.Invalid("current_password", "is required to change your own password")
		}
		// Checked before the transaction: the check counts wrong tries,
		// which must stick even though the change is refused.
		if err := auth.VerifyCurrentPassword(ctx, s.DB, id, *patch.CurrentPassword); err != nil {
			return nil, err
		}
	}
	var out *User
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		u, err := scanUser(tx.QueryRow(ctx, `SELECT `+userColumns+` FROM users us JOIN units u ON u.id = us.unit_id WHERE us.id = ?`, id))
		if err := p.CheckRead(err, func() string { return u.UnitPath }, errs.NotFound("user")); err != nil {
			return fmt.Errorf("org: update user %d: %w", id, err)
		}
		ownPassword := self && patch.ownPasswordOnly()
		if !ownPassword && !p.CanManageUsers(u.UnitPath, u.Role) {
			return errs.Forbidden("you may not change this user")
		}
		before := map[string]any{"name": u.Name, "role": u.Role, "unit": u.Unit, "disabled": u.Disabled}
		name, role, unitCode, disabled := u.Name, string(u.Role), u.Unit, u.Disabled
		if patch.Name != nil {
			name = strings.TrimSpace(*patch.Name)
			if name == "" || len(name) > 200 {
				return errs.Invalid("name", "must be 1-200 bytes")
			}
		}
		if patch.Role != nil {
			role = *patch.Role
			if !auth.Role(role).Valid() {
				return errs.Invalid("role", "must be one of admin, analyst, officer, viewer")
			}
		}
		if patch.Unit != nil {
			unitCode = *patch.Unit
		}
		if patch.Disabled != nil {
			disabled = *patch.Disabled
		}
		if u.ID == p.UserID && (disabled || role != string(u.Role)) {
			return errs.Forbidden("you may not disable yourself or change your own role")
		}
		unit, err := unitByCode(ctx, tx, unitCode)
		if err := p.CheckRead(err, func() string { return unit.Path }, errs.Invalid("unit", "unit %q does not exist", unitCode)); err != nil {
			return err
		}
		if !ownPassword && !p.CanManageUsers(unit.Path, auth.Role(role)) {
			return errs.Forbidden("you may not make this user a %s in unit %s", role, unitCode)
		}
		now := store.Now()
		if _, err := tx.Exec(ctx, `UPDATE users SET name = ?, name_fold = ?, role = ?, unit_id = ?, disabled = ?, updated_at = ? WHERE id = ?`,
			name, i18n.Fold(name), role, unit.ID, disabled, now, id); err != nil {
			return fmt.Errorf("org: update user: %w", err)
		}
		after := map[string]any{"name": name, "role": role, "unit": unitCode, "disabled": disabled}
		if patch.Password != nil {
			if err := auth.ValidatePassword("password", *patch.Password); err != nil {
				return err
			}
			hash, err := auth.HashPassword(*patch.Password)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, id); err != nil {
				return fmt.Errorf("org: update user: %w", err)
			}
			if err := auth.ClearLockout(ctx, tx, id); err != nil {
				return err
			}
			// A new password shuts out whoever had the old one: their
			// sessions end and their API tokens stop working. Users
			// changing their own keep the session they changed it in.
			keep := ""
			if self {
				keep = p.SessionID
			}
			if err := endSessionsAndTokens(ctx, tx, id, keep); err != nil {
				return err
			}
			// ("password" itself is a key the audit log redacts.)
			after["password_change"] = "reset"
			if self {
				after["password_change"] = "own"
			}
		}
		if patch.Unlock {
			if err := auth.ClearLockout(ctx, tx, id); err != nil {
				return err
			}
			after["unlocked"] = true
		}
		if disabled || role != string(u.Role) || unitCode != u.Unit {
			// A change of power ends the user's sessions; tokens are
			// re-read with the user on every request, so they follow.
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
				return fmt.Errorf("org: update user: %w", err)
			}
		}
		if err := audit.Append(ctx, tx, audit.Entry{Action: "user.update", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), UnitID: unit.ID, Before: before, After: after}); err != nil {
			return err
		}
		u.Name, u.Role, u.Unit, u.UnitName, u.UnitPath, u.Disabled = name, auth.Role(role), unit.Code, unit.Name, unit.Path, disabled
		out = u
		return nil
	})
	return out, err
}

func appendUserAudit(ctx context.Context, tx *store.Tx, action string, id, unitID int64) error {
	return audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), UnitID: unitID, Note: "via vigil users reset-password"})
}

// endSessionsAndTokens signs a user out everywhere but the session keep
// (a hash, or "") and revokes their API tokens (after a password change or
// reset).
func endSessionsAndTokens(ctx context.Context, tx *store.Tx, userID int64, keep string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, userID, keep); err != nil {
		return fmt.Errorf("org: end sessions: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0`, store.Now(), userID); err != nil {
		return fmt.Errorf("org: revoke tokens: %w", err)
	}
	return nil
}

// CountUsers returns how many users the caller sees.
func (s *Service) CountUsers(ctx context.Context) (int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return 0, err
	}
	scope, args := p.Scope("u.path")
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM users us JOIN units u ON u.id = us.unit_id WHERE `+scope, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("org: count users: %w", err)
	}
	return n, nil
}
