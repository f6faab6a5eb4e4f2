package auth

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"vigil/internal/errs"
	"vigil/internal/store"
)

// Session lifetimes. The lockout policy is in lockout.go.
const (
	SessionLifetime = 12 * time.Hour
	SessionIdle     = 2 * time.Hour
)

// Auditor records security events; the audit package provides it (auth
// cannot import audit, which imports auth).
type Auditor func(ctx context.Context, tx *store.Tx, action, objectType, objectID string, unitID int64, after any) error

// Service authenticates callers.
type Service struct {
	DB       *store.DB
	Audit    Auditor
	Throttle *Throttle
}

const principalColumns = `us.id, us.email, us.name, us.role, u.id, u.code, u.path`

func scanPrincipal(sc interface{ Scan(...any) error }) (*Principal, error) {
	var p Principal
	var role string
	if err := sc.Scan(&p.UserID, &p.Email, &p.Name, &role, &p.UnitID, &p.UnitCode, &p.UnitPath); err != nil {
		return nil, err
	}
	p.Role = Role(role)
	return &p, nil
}

// ErrBadCredentials is the one answer for an unknown account, a wrong
// password, a disabled account and a locked one, so a caller cannot tell
// which it was; it says what the owner of a locked account needs to know.
var ErrBadCredentials = errs.Errorf(errs.EUNAUTHORIZED, "wrong e-mail or password (after %d wrong tries sign-in pauses for %d minutes)",
	AddressMaxFailures, int(AddressLockout.Minutes()))

// ErrThrottled answers an address that tries too fast, whichever accounts.
var ErrThrottled = &errs.Error{Code: errs.ETOOMANY, Message: "too many sign-in attempts from your address; wait a minute", RetryAfter: time.Minute}

// Login checks email and password and returns the principal. Attempts are
// limited per client address (Throttle), per account and address, and per
// account (lockout.go); every refusal but the throttle's is ErrBadCredentials.
func (s *Service) Login(ctx context.Context, email, password string) (*Principal, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	ip := ClientIP(ctx)
	address := ThrottleKey(ip)
	if s.Throttle != nil && !s.Throttle.Allow(address) {
		return nil, ErrThrottled
	}
	// What is typed as an e-mail is checked before it goes anywhere: the
	// audit log must not grow by whatever an anonymous caller sends.
	if len(email) > 254 || len(password) > 1024 {
		CheckDummy(password[:min(len(password), 1024)])
		if err := s.audit(ctx, nil, "auth.login_failed", "user", "malformed", 0, map[string]any{"reason": "malformed e-mail"}); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	var (
		p        *Principal
		hash     string
		disabled bool
		locked   int64
	)
	row := s.DB.QueryRow(ctx, `SELECT `+principalColumns+`, us.password_hash, us.disabled, us.locked_until
		FROM users us JOIN units u ON u.id = us.unit_id WHERE us.email = ?`, email)
	var role string
	p = &Principal{}
	err := row.Scan(&p.UserID, &p.Email, &p.Name, &role, &p.UnitID, &p.UnitCode, &p.UnitPath, &hash, &disabled, &locked)
	if store.IsNoRows(err) {
		CheckDummy(password)
		if err := s.audit(ctx, nil, "auth.login_failed", "user", "unknown:"+HashSecret(email)[:16], 0, map[string]any{"reason": "unknown account"}); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, fmt.Errorf("auth: login: %w", err)
	}
	p.Role = Role(role)
	now := time.Now()
	userID := strconv.FormatInt(p.UserID, 10)
	// The attempt is counted before the password is checked, so a burst
	// sent in parallel gets no more tries than the same attempts in a row.
	n, lastSuccess, err := attempt(ctx, s.DB, p.UserID, address, now)
	if err != nil {
		return nil, err
	}
	if n > AddressMaxFailures {
		CheckDummy(password)
		if err := s.audit(ctx, nil, "auth.login_failed", "user", userID, p.UnitID, map[string]any{"reason": "locked for this address"}); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	if lastSuccess < now.Add(-KnownAddressFor).UnixMicro() {
		lockedOut, err := accountLocked(ctx, s.DB, p.UserID, address, locked, now)
		if err != nil {
			return nil, err
		}
		if lockedOut {
			CheckDummy(password)
			if err := s.audit(ctx, nil, "auth.login_failed", "user", userID, p.UnitID, map[string]any{"reason": "account locked"}); err != nil {
				return nil, err
			}
			return nil, ErrBadCredentials
		}
	}
	if hash == "" || !CheckPassword(hash, password) || disabled {
		reason := "wrong password"
		if disabled {
			reason = "disabled"
		}
		if err := s.audit(ctx, nil, "auth.login_failed", "user", userID, p.UnitID, map[string]any{"reason": reason, "locked": n == AddressMaxFailures}); err != nil {
			return nil, err
		}
		return nil, ErrBadCredentials
	}
	if err := succeeded(ctx, s.DB, p.UserID, address, now); err != nil {
		return nil, err
	}
	if _, err := s.DB.Exec(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, now.UnixMicro(), p.UserID); err != nil {
		return nil, fmt.Errorf("auth: login: %w", err)
	}
	p.IP = ip
	return p, nil
}

// ThrottleKey is what sign-in attempts are counted against: the IPv4
// address, or the /64 of an IPv6 address (one host owns a whole /64).
func ThrottleKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || a.Is4() || a.Is4In6() {
		return ip
	}
	pfx, err := a.Prefix(64)
	if err != nil { // cannot happen: 64 bits fit every IPv6 address
		return ip
	}
	return pfx.String()
}

// audit records a security event, in tx or a transaction of its own. A
// sign-in the audit log cannot record fails: the log must not miss it.
func (s *Service) audit(ctx context.Context, tx *store.Tx, action, objectType, objectID string, unitID int64, after any) error {
	if s.Audit == nil {
		return nil
	}
	if tx != nil {
		return s.Audit(ctx, tx, action, objectType, objectID, unitID, after)
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		return s.Audit(ctx, tx, action, objectType, objectID, unitID, after)
	})
}

// Session is a signed-in browser.
type Session struct {
	Token string // the cookie value; only its hash is stored
	CSRF  string
	Until time.Time
}

// CreateSession starts a session for p and logs the sign-in.
func (s *Service) CreateSession(ctx context.Context, p *Principal, userAgent string) (*Session, error) {
	sess := &Session{Token: NewSecret(""), CSRF: NewSecret(""), Until: time.Now().Add(SessionLifetime)}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := store.Now()
		if _, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, csrf, created_at, expires_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			HashSecret(sess.Token), p.UserID, sess.CSRF, now, store.Micros(sess.Until), now, ClientIP(ctx), userAgent); err != nil {
			return fmt.Errorf("auth: create session: %w", err)
		}
		ctx := WithPrincipal(ctx, p)
		if s.Audit != nil {
			return s.Audit(ctx, tx, "auth.login", "user", strconv.FormatInt(p.UserID, 10), p.UnitID, map[string]any{"via": "password"})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sess, nil
}

// SessionPrincipal returns the principal of a live session cookie, sliding
// its idle timeout.
func (s *Service) SessionPrincipal(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, nil
	}
	id := HashSecret(token)
	var csrf string
	var expires, lastSeen int64
	var disabled bool
	p := &Principal{}
	var role string
	err := s.DB.QueryRow(ctx, `SELECT `+principalColumns+`, s.csrf, s.expires_at, s.last_seen_at, us.disabled
		FROM sessions s JOIN users us ON us.id = s.user_id JOIN units u ON u.id = us.unit_id WHERE s.id = ?`, id).
		Scan(&p.UserID, &p.Email, &p.Name, &role, &p.UnitID, &p.UnitCode, &p.UnitPath, &csrf, &expires, &lastSeen, &disabled)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: session: %w", err)
	}
	now := time.Now()
	if disabled || expires < now.UnixMicro() || now.Sub(store.Time(lastSeen)) > SessionIdle {
		if _, err := s.DB.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, id); err != nil {
			return nil, fmt.Errorf("auth: end expired session: %w", err)
		}
		return nil, nil
	}
	if now.Sub(store.Time(lastSeen)) > time.Minute {
		// Writing on every request would serialise reads on SQLite; a
		// minute's precision is enough for an idle timeout.
		if _, err := s.DB.Exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, now.UnixMicro(), id); err != nil {
			return nil, fmt.Errorf("auth: session: %w", err)
		}
	}
	p.Role = Role(role)
	p.Via = "session"
	p.SessionCSRF = csrf
	p.SessionID = id
	return p, nil
}

// EndSession signs a browser out.
func (s *Service) EndSession(ctx context.Context, token string) error {
	p := FromContext(ctx)
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, HashSecret(token)); err != nil {
			return fmt.Errorf("auth: end session: %w", err)
		}
		if p != nil && s.Audit != nil {
			return s.Audit(ctx, tx, "auth.logout", "user", strconv.FormatInt(p.UserID, 10), p.UnitID, nil)
		}
		return nil
	})
}

// PurgeSessions deletes expired sessions and forgotten sign-in failures (a
// scheduled job).
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	res, err := s.DB.Exec(ctx, `DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?`, store.Now(), time.Now().Add(-SessionIdle).UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("auth: purge sessions: %w", err)
	}
	if err := purgeLoginFailures(ctx, s.DB, time.Now()); err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// APIToken is a stored token; the secret is shown once at creation.
type APIToken struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	UserID     int64     `json:"user_id"`
	UserEmail  string    `json:"user,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

// Active reports whether the token can still be used.
func (t *APIToken) Active() bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || t.ExpiresAt.After(time.Now()))
}

// MaxTokenLifetime bounds API tokens; a leaked token must die on its own.
const MaxTokenLifetime = 366 * 24 * time.Hour

// CreateToken issues an API token acting as the caller. It returns the
// secret, which is never stored.
func (s *Service) CreateToken(ctx context.Context, name string, expiresIn time.Duration) (*APIToken, string, error) {
	p, err := Require(ctx)
	if err != nil {
		return nil, "", err
	}
	if p.UserID == 0 {
		return nil, "", errs.Forbidden("only a user may own API tokens")
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return nil, "", errs.Invalid("name", "must be 1-100 bytes")
	}
	if expiresIn == 0 {
		expiresIn = 90 * 24 * time.Hour
	}
	if expiresIn < time.Minute || expiresIn > MaxTokenLifetime {
		return nil, "", errs.Invalid("expires_in", "must be from 1 minute to %d days", int(MaxTokenLifetime/(24*time.Hour)))
	}
	secret := NewSecret(TokenPrefix)
	t := &APIToken{Name: name, Prefix: DisplayPrefix(secret), UserID: p.UserID, UserEmail: p.Email, CreatedAt: time.Now().UTC(), ExpiresAt: time.Now().Add(expiresIn).UTC()}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			p.UserID, name, HashSecret(secret), t.Prefix, store.Micros(t.CreatedAt), store.Micros(t.ExpiresAt)).Scan(&t.ID); err != nil {
			return fmt.Errorf("auth: create token: %w", err)
		}
		if s.Audit != nil {
			return s.Audit(ctx, tx, "token.create", "api_token", strconv.FormatInt(t.ID, 10), p.UnitID,
				map[string]any{"name": name, "prefix": t.Prefix, "expires_at": t.ExpiresAt})
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// TokenFilter selects API tokens: the caller's, or with All every user's
// (administrators only), newest first unless Sort says.
type TokenFilter struct {
	All    bool
	Sort   string // a key of TokenSorts
	Desc   bool
	Offset int // rows skipped (pages by position)
	Limit  int
}

// TokenSorts are the columns a list of API tokens sorts by.
var TokenSorts = map[string]string{
	"name":      "t.name",
	"user":      "us.email",
	"created":   "t.created_at",
	"expires":   "CASE WHEN t.expires_at = 0 THEN 9223372036854775807 ELSE t.expires_at END",
	"last_used": "t.last_used_at",
}

// TokenSortKeys lists the keys of TokenSorts.
var TokenSortKeys = []string{"name", "user", "created", "expires", "last_used"}

// ListTokens returns a page of the caller's tokens (an administrator's
// with All: everyone's) and how many there are in all.
func (s *Service) ListTokens(ctx context.Context, f TokenFilter) ([]*APIToken, int, error) {
	p, err := Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("t.id DESC", f.Limit, 100)
	if !(f.All && p.Role == RoleAdmin) {
		l.Where("t.user_id = ?", p.UserID)
	}
	if f.Sort != "" {
		expr, ok := TokenSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(TokenSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT t.id, t.name, t.prefix, t.user_id, us.email, t.created_at, t.expires_at, t.last_used_at, t.revoked_at`,
		` FROM api_tokens t JOIN users us ON us.id = t.user_id`, scanToken)
	if err != nil {
		return nil, 0, fmt.Errorf("auth: list tokens: %w", err)
	}
	return out, total, nil
}

func scanToken(sc store.Scanner) (*APIToken, error) {
	var t APIToken
	var c, e, l, r int64
	if err := sc.Scan(&t.ID, &t.Name, &t.Prefix, &t.UserID, &t.UserEmail, &c, &e, &l, &r); err != nil {
		return nil, err
	}
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = store.Time(c), store.Time(e), store.Time(l), store.Time(r)
	return &t, nil
}

// RevokeToken revokes one of the caller's tokens (admins: anyone's).
func (s *Service) RevokeToken(ctx context.Context, id int64) error {
	p, err := Require(ctx)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var owner int64
		var revoked int64
		err := tx.QueryRow(ctx, `SELECT user_id, revoked_at FROM api_tokens WHERE id = ?`, id).Scan(&owner, &revoked)
		if store.IsNoRows(err) || (err == nil && owner != p.UserID && p.Role != RoleAdmin) {
			return errs.NotFound("API token")
		}
		if err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		if revoked != 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ?`, store.Now(), id); err != nil {
			return fmt.Errorf("auth: revoke token: %w", err)
		}
		if s.Audit != nil {
			return s.Audit(ctx, tx, "token.revoke", "api_token", strconv.FormatInt(id, 10), p.UnitID, nil)
		}
		return nil
	})
}

// TokenPrincipal authenticates a bearer API token.
func (s *Service) TokenPrincipal(ctx context.Context, secret string) (*Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 100 {
		return nil, nil
	}
	var tokenID, expires, revoked, lastUsed int64
	var disabled bool
	p := &Principal{}
	var role string
	err := s.DB.QueryRow(ctx, `SELECT `+principalColumns+`, t.id, t.expires_at, t.revoked_at, t.last_used_at, us.disabled
		FROM api_tokens t JOIN users us ON us.id = t.user_id JOIN units u ON u.id = us.unit_id WHERE t.token_hash = ?`, HashSecret(secret)).
		Scan(&p.UserID, &p.Email, &p.Name, &role, &p.UnitID, &p.UnitCode, &p.UnitPath, &tokenID, &expires, &revoked, &lastUsed, &disabled)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth: token: %w", err)
	}
	now := time.Now()
	if disabled || revoked != 0 || (expires != 0 && expires < now.UnixMicro()) {
		return nil, nil
	}
	if now.Sub(store.Time(lastUsed)) > time.Minute {
		if _, err := s.DB.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now.UnixMicro(), tokenID); err != nil {
			return nil, fmt.Errorf("auth: token: %w", err)
		}
	}
	p.Role = Role(role)
	p.Via = "token"
	return p, nil
}
