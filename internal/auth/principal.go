// Package auth knows who is calling and what they may touch: principals and
// roles, the unit-subtree scope, password hashing, sessions, API tokens,
// login throttling and OpenID Connect sign-in.
package auth

import (
	"context"
	"strings"

	"vigil/internal/errs"
	"vigil/internal/store"
)

// Role is what a user may do; where is given by the unit scope.
type Role string

const (
	// RoleAdmin may do everything everywhere.
	RoleAdmin Role = "admin"
	// RoleAnalyst is the central SOC: reads every unit, works alerts and
	// incidents, manages no users and no organisation.
	RoleAnalyst Role = "analyst"
	// RoleOfficer is a unit's security officer: reads and writes inside its
	// own unit subtree.
	RoleOfficer Role = "officer"
	// RoleViewer reads inside its unit subtree.
	RoleViewer Role = "viewer"
)

// Roles lists the roles from most to least powerful.
var Roles = []Role{RoleAdmin, RoleAnalyst, RoleOfficer, RoleViewer}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleAnalyst, RoleOfficer, RoleViewer:
		return true
	}
	return false
}

// Principal is the authenticated caller. It travels in the request context;
// every service method checks it before touching data.
type Principal struct {
	UserID   int64
	Email    string
	Name     string
	Role     Role
	UnitID   int64
	UnitCode string
	// UnitPath is the materialised path of the caller's unit ("/1/7/"); the
	// caller's subtree is every unit whose path starts with it.
	UnitPath string
	// Via says how the caller authenticated: "session", "token", "agent",
	// "system".
	Via string
	// SessionCSRF is the CSRF token of a cookie session.
	SessionCSRF string
	SessionID   string
	IP          string
	// AgentID and HostID identify an endpoint agent (Via "agent"); agents
	// may call only the agent API, for their own host.
	AgentID string
	HostID  int64
}

// System is the principal for work the hub does on its own (first start,
// demo data, scheduled jobs).
var System = &Principal{Email: "system", Name: "Vigil", Role: RoleAdmin, UnitPath: "/", Via: "system"}

type ctxKey int

const (
	principalKey ctxKey = iota
	ipKey
)

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey, p)
}

// FromContext returns the caller, or nil for an anonymous context.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey).(*Principal)
	return p
}

// WithClientIP records the client address for the audit log.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, ipKey, ip)
}

// ClientIP returns the address recorded by WithClientIP.
func ClientIP(ctx context.Context) string {
	s, _ := ctx.Value(ipKey).(string)
	return s
}

// Require returns the caller or an EUNAUTHORIZED error.
func Require(ctx context.Context) (*Principal, error) {
	p := FromContext(ctx)
	if p == nil {
		return nil, errs.Errorf(errs.EUNAUTHORIZED, "authentication required")
	}
	return p, nil
}

// SeesAllUnits reports whether the caller reads every unit.
func (p *Principal) SeesAllUnits() bool {
	return p.Via != "agent" && (p.Role == RoleAdmin || p.Role == RoleAnalyst)
}

// CanRead reports whether the caller may read objects of the unit at path.
func (p *Principal) CanRead(unitPath string) bool {
	if p == nil || p.Via == "agent" {
		return false
	}
	if p.SeesAllUnits() {
		return true
	}
	return p.UnitPath != "" && strings.HasPrefix(unitPath, p.UnitPath)
}

// CheckRead finishes loading one object of the unit at unitPath for p. An
// object that does not exist (err is sql.ErrNoRows or a not-found error)
// and one outside p's subtree both answer notFound, so existence does not
// leak. Any other err — the database failing — is returned as it is, so it
// is logged and answered 500 instead of hiding behind a 404. unitPath is
// called only when err is nil (the object was loaded).
func (p *Principal) CheckRead(err error, unitPath func() string, notFound error) error {
	if err != nil {
		if store.IsNoRows(err) || errs.Code(err) == errs.ENOTFOUND {
			return notFound
		}
		return err
	}
	if !p.CanRead(unitPath()) {
		return notFound
	}
	return nil
}

// CanWrite reports whether the caller may change objects of the unit at path.
func (p *Principal) CanWrite(unitPath string) bool {
	if p == nil || p.Via == "agent" {
		return false
	}
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleOfficer:
		return p.UnitPath != "" && strings.HasPrefix(unitPath, p.UnitPath)
	}
	return false
}

// CanManageUsers reports whether the caller may manage users of the unit at
// path. Admins manage everyone; officers manage officers and viewers inside
// their subtree; analysts and viewers manage no one.
func (p *Principal) CanManageUsers(unitPath string, role Role) bool {
	if p == nil || p.Via == "agent" {
		return false
	}
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleOfficer:
		return (role == RoleOfficer || role == RoleViewer) && strings.HasPrefix(unitPath, p.UnitPath)
	}
	return false
}

// Scope returns an SQL condition and its argument limiting rows to the
// caller's subtree, on a column holding a unit path ("units.path"). For
// callers who see every unit the condition is always true. The one place
// list queries get their scope from.
func (p *Principal) Scope(pathColumn string) (string, []any) {
	if p == nil {
		return "1=0", nil
	}
	if p.SeesAllUnits() {
		return "1=1", nil
	}
	if p.UnitPath == "" || p.Via == "agent" {
		return "1=0", nil
	}
	return pathColumn + ` LIKE ? ESCAPE '\'`, []any{store.LikePrefix(p.UnitPath)}
}
