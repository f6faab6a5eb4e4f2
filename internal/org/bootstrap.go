package org

import (
	"context"
	"fmt"
	"strings"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Root unit of a new hub: the headquarters every other unit hangs under.
const (
	RootCode = "BHXHVN"
	RootName = "Bảo hiểm xã hội Việt Nam"
)

// EnsureRoot creates the root unit when the hub has no units.
func (s *Service) EnsureRoot(ctx context.Context) (*Unit, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM units WHERE parent_id IS NULL`).Scan(&n); err != nil {
		return nil, fmt.Errorf("org: ensure root: %w", err)
	}
	if n > 0 {
		var code string
		if err := s.DB.QueryRow(ctx, `SELECT code FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&code); err != nil {
			return nil, fmt.Errorf("org: ensure root: %w", err)
		}
		return s.GetUnit(ctx, code)
	}
	return s.CreateUnit(ctx, UnitInput{Code: RootCode, Name: RootName, Kind: KindHeadquarters})
}

// EnsureAdmin creates the first administrator when the hub has none. It
// returns the password it set ("" when the admin already existed); when
// password is empty a random one is generated for the caller to show once.
func (s *Service) EnsureAdmin(ctx context.Context, email, password string) (generated string, created bool, err error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	email = strings.ToLower(strings.TrimSpace(email))
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE role = ?`, string(auth.RoleAdmin)).Scan(&n); err != nil {
		return "", false, fmt.Errorf("org: ensure admin: %w", err)
	}
	if n > 0 {
		return "", false, nil
	}
	root, err := s.EnsureRoot(ctx)
	if err != nil {
		return "", false, err
	}
	if password == "" {
		password = auth.RandomPassword()
		generated = password
	}
	_, err = s.CreateUser(ctx, UserInput{Email: email, Name: "Quản trị hệ thống", Password: password, Role: string(auth.RoleAdmin), Unit: root.Code})
	if err != nil {
		if e, ok := errs.As(err); ok && e.Field == "password" {
			return "", false, fmt.Errorf("VIGIL_ADMIN_PASSWORD %s", e.Message)
		}
		return "", false, err
	}
	return generated, true, nil
}

// ResetPassword sets a user's password and unlocks it (maintenance command:
// works on the database directly, for an admin locked out of the UI).
func ResetPassword(ctx context.Context, db *store.DB, email, password string) error {
	if err := auth.ValidatePassword("password", password); err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	ctx = auth.WithPrincipal(ctx, auth.System)
	return db.InTx(ctx, func(tx *store.Tx) error {
		var id, unitID int64
		err := tx.QueryRow(ctx, `SELECT id, unit_id FROM users WHERE email = ?`, strings.ToLower(email)).Scan(&id, &unitID)
		if store.IsNoRows(err) {
			return errs.NotFound("user " + email)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = 0, disabled = ?, updated_at = ? WHERE id = ?`, hash, false, store.Now(), id); err != nil {
			return err
		}
		if err := auth.ClearLockout(ctx, tx, id); err != nil {
			return err
		}
		if err := endSessionsAndTokens(ctx, tx, id, ""); err != nil {
			return err
		}
		return appendUserAudit(ctx, tx, "user.password_reset", id, unitID)
	})
}
