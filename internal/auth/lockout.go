package auth

import (
	"context"
	"fmt"
	"time"

	"vigil/internal/errs"
	"vigil/internal/store"
)

// Lockout policy. Wrong passwords are counted per account and client
// address (ThrottleKey: an IPv4 address or an IPv6 /64), in the database so
// the count holds across hub processes:
//
//   - AddressMaxFailures wrong passwords for one account from one address,
//     each within AddressLockout of the last, stop that address from
//     trying that account until AddressLockout has passed without a try.
//     Guessing the admin's password from one address locks that address
//     out, not the admin.
//   - The account-wide limit is slower: when the other addresses together
//     have AccountMaxFailures recent wrong passwords (each address counting
//     for at most AddressMaxFailures, so it takes several addresses), the
//     account is locked for AccountLockout, except from addresses the
//     owner signed in from in the last KnownAddressFor.
//
// A locked attempt gets the same answer as a wrong password, after the same
// argon2 work, as does an unknown account: the answer does not tell which
// accounts exist. The per-address throttle (Throttle) limits how fast one
// address tries accounts at all.
const (
	AddressMaxFailures = 5
	AddressLockout     = 15 * time.Minute
	AccountMaxFailures = 20
	AccountLockout     = 15 * time.Minute
	KnownAddressFor    = 30 * 24 * time.Hour
)

// attempt counts one password attempt for (user, address) before the
// password is checked, so attempts sent in parallel cannot all pass the
// check before any is counted. It returns the attempts in the current run
// (this one included) and when the owner last signed in from there.
func attempt(ctx context.Context, db *store.DB, userID int64, address string, now time.Time) (n int, lastSuccess int64, err error) {
	err = db.QueryRow(ctx, `INSERT INTO login_failures (user_id, address, failures, last_failure_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (user_id, address) DO UPDATE SET
			failures = CASE WHEN login_failures.last_failure_at < ? THEN 1 ELSE login_failures.failures + 1 END,
			last_failure_at = excluded.last_failure_at
		RETURNING failures, last_success_at`,
		userID, address, now.UnixMicro(), now.Add(-AddressLockout).UnixMicro()).Scan(&n, &lastSuccess)
	if err != nil {
		return 0, 0, fmt.Errorf("auth: count sign-in attempt: %w", err)
	}
	return n, lastSuccess, nil
}

// succeeded clears the run of failures for (user, address) and marks the
// address as one the owner uses.
func succeeded(ctx context.Context, db *store.DB, userID int64, address string, now time.Time) error {
	if _, err := db.Exec(ctx, `UPDATE login_failures SET failures = 0, last_success_at = ? WHERE user_id = ? AND address = ?`,
		now.UnixMicro(), userID, address); err != nil {
		return fmt.Errorf("auth: clear sign-in failures: %w", err)
	}
	return nil
}

// accountLocked reports whether the account-wide limit holds against
// address: the account was locked (users.locked_until) or the other
// addresses' recent failures reach AccountMaxFailures, in which case the
// lock is recorded so administrators see it.
func accountLocked(ctx context.Context, db *store.DB, userID int64, address string, lockedUntil int64, now time.Time) (bool, error) {
	if lockedUntil > now.UnixMicro() {
		return true, nil
	}
	var others int
	if err := db.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN failures > ? THEN ? ELSE failures END), 0) FROM login_failures
		WHERE user_id = ? AND address <> ? AND last_failure_at >= ?`,
		AddressMaxFailures, AddressMaxFailures, userID, address, now.Add(-AccountLockout).UnixMicro()).Scan(&others); err != nil {
		return false, fmt.Errorf("auth: count sign-in failures: %w", err)
	}
	if others < AccountMaxFailures {
		return false, nil
	}
	if _, err := db.Exec(ctx, `UPDATE users SET locked_until = ? WHERE id = ? AND locked_until <= ?`,
		now.Add(AccountLockout).UnixMicro(), userID, now.UnixMicro()); err != nil {
		return false, fmt.Errorf("auth: lock account: %w", err)
	}
	return true, nil
}

// ClearLockout lifts every lock on an account (an administrator's unlock,
// a password reset).
func ClearLockout(ctx context.Context, tx *store.Tx, userID int64) error {
	if _, err := tx.Exec(ctx, `UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = ?`, userID); err != nil {
		return fmt.Errorf("auth: unlock: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE login_failures SET failures = 0 WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("auth: unlock: %w", err)
	}
	return nil
}

// purgeLoginFailures forgets addresses with neither a recent failure nor
// a recent sign-in.
func purgeLoginFailures(ctx context.Context, db *store.DB, now time.Time) error {
	if _, err := db.Exec(ctx, `DELETE FROM login_failures WHERE last_failure_at < ? AND last_success_at < ?`,
		now.Add(-AddressLockout).UnixMicro(), now.Add(-KnownAddressFor).UnixMicro()); err != nil {
		return fmt.Errorf("auth: purge sign-in failures: %w", err)
	}
	return nil
}

// ErrWrongCurrentPassword answers a wrong current password when a user
// changes their own, and a run of them from one address.
var ErrWrongCurrentPassword = errs.Invalid("current_password", "is not your current password (after %d wrong tries, wait %d minutes)",
	AddressMaxFailures, int(AddressLockout.Minutes()))

// VerifyCurrentPassword checks the password of the signed-in user userID,
// as changing one's own password requires: a stolen session or token must
// not become a permanent takeover. Wrong tries count against the caller's
// address like wrong sign-ins, so a thief cannot guess on.
func VerifyCurrentPassword(ctx context.Context, db *store.DB, userID int64, password string) error {
	now := time.Now()
	address := ThrottleKey(ClientIP(ctx))
	if len(password) > 1024 {
		password = password[:1024]
	}
	n, _, err := attempt(ctx, db, userID, address, now)
	if err != nil {
		return err
	}
	var hash string
	if err := db.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = ?`, userID).Scan(&hash); err != nil {
		return fmt.Errorf("auth: current password: %w", err)
	}
	if n > AddressMaxFailures {
		CheckDummy(password)
		return ErrWrongCurrentPassword
	}
	if hash == "" || !CheckPassword(hash, password) {
		return ErrWrongCurrentPassword
	}
	return succeeded(ctx, db, userID, address, now)
}
