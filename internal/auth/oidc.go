package auth

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// OIDCConfig configures OpenID Connect sign-in.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string // https://vigil.example/auth/oidc/callback
	// RoleClaim and UnitClaim name the ID-token claims that carry the
	// user's Vigil role (admin, analyst, officer, viewer) and unit code.
	RoleClaim string
	UnitClaim string
}

// OIDC signs users in with an OpenID Connect provider. The provider is the
// authority for role and unit: they are taken from the ID token at every
// sign-in, and the account is created on first sign-in.
type OIDC struct {
	cfg      OIDCConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// NewOIDC discovers the provider at cfg.Issuer.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, fmt.Errorf("oidc: issuer, client id and redirect URL are required")
	}
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "vigil_role"
	}
	if cfg.UnitClaim == "" {
		cfg.UnitClaim = "vigil_unit"
	}
	p, err := oidc.NewProvider(ctx, cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc: discover %s: %w", cfg.Issuer, err)
	}
	return &OIDC{
		cfg: cfg,
		oauth: oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
			Endpoint: p.Endpoint(), Scopes: []string{oidc.ScopeOpenID, "email", "profile"}},
		verifier: p.Verifier(&oidc.Config{ClientID: cfg.ClientID}),
	}, nil
}

// Flow is the per-login state kept in a short-lived cookie: state, nonce
// and the PKCE verifier, and for whom the sign-in is (Purpose: "" an
// officer, FlowLearner an employee going to their training).
type Flow struct {
	State, Nonce, Verifier string
	Purpose                string
}

// FlowLearner marks the sign-in of an employee (training, /learn): the
// callback makes a learner session, never an officer's.
const FlowLearner = "learn"

// Encode packs the flow for a cookie.
func (f Flow) Encode() string {
	s := f.State + "." + f.Nonce + "." + f.Verifier
	if f.Purpose != "" {
		s += "." + f.Purpose
	}
	return s
}

// DecodeFlow unpacks a flow cookie.
func DecodeFlow(s string) (Flow, bool) {
	parts := strings.Split(s, ".")
	switch {
	case len(parts) == 3:
		return Flow{State: parts[0], Nonce: parts[1], Verifier: parts[2]}, true
	case len(parts) == 4 && parts[3] == FlowLearner:
		return Flow{State: parts[0], Nonce: parts[1], Verifier: parts[2], Purpose: parts[3]}, true
	}
	return Flow{}, false
}

// Start begins a sign-in: the URL to send the browser to and the flow to
// remember.
func (o *OIDC) Start() (string, Flow) {
	return o.StartFor("")
}

// StartFor begins a sign-in for purpose ("" or FlowLearner).
func (o *OIDC) StartFor(purpose string) (string, Flow) {
	f := Flow{State: NewSecret(""), Nonce: NewSecret(""), Verifier: oauth2.GenerateVerifier(), Purpose: purpose}
	url := o.oauth.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier))
	return url, f
}

// Claims are what Vigil reads from an ID token.
type Claims struct {
	Subject string
	Email   string
	Name    string
	Role    Role
	Unit    string
}

// Finish exchanges the code, verifies the ID token and returns its claims.
func (o *OIDC) Finish(ctx context.Context, f Flow, state, code string) (*Claims, error) {
	c, m, err := o.verify(ctx, f, state, code)
	if err != nil {
		return nil, err
	}
	role, _ := m[o.cfg.RoleClaim].(string)
	c.Role = Role(strings.ToLower(role))
	c.Unit, _ = m[o.cfg.UnitClaim].(string)
	if !c.Role.Valid() {
		return nil, errs.Errorf(errs.EFORBIDDEN, "the ID token's %s claim %q is not a Vigil role", o.cfg.RoleClaim, role)
	}
	if c.Unit == "" {
		return nil, errs.Errorf(errs.EFORBIDDEN, "the ID token carries no %s claim", o.cfg.UnitClaim)
	}
	return c, nil
}

// Identity is an employee's verified identity: no role or unit (employees
// hold none), the groups of groupsClaim instead (a list of strings or
// one string).
type Identity struct {
	Subject, Email, Name string
	Groups               []string
}

// FinishIdentity is Finish for an employee's sign-in.
func (o *OIDC) FinishIdentity(ctx context.Context, f Flow, state, code, groupsClaim string) (*Identity, error) {
	c, m, err := o.verify(ctx, f, state, code)
	if err != nil {
		return nil, err
	}
	id := &Identity{Subject: c.Subject, Email: c.Email, Name: c.Name}
	switch v := m[groupsClaim].(type) {
	case string:
		id.Groups = []string{v}
	case []any:
		for _, g := range v {
			if s, ok := g.(string); ok {
				id.Groups = append(id.Groups, s)
			}
		}
	}
	return id, nil
}

// verify exchanges the code and checks the ID token: signature, nonce and
// a verified e-mail address.
func (o *OIDC) verify(ctx context.Context, f Flow, state, code string) (*Claims, map[string]any, error) {
	if state == "" || state != f.State {
		return nil, nil, errs.Errorf(errs.EUNAUTHORIZED, "sign-in state does not match; start again")
	}
	tok, err := o.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return nil, nil, errs.Errorf(errs.EUNAUTHORIZED, "the identity provider refused the sign-in code")
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok {
		return nil, nil, errs.Errorf(errs.EUNAUTHORIZED, "the identity provider sent no ID token")
	}
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, nil, errs.Errorf(errs.EUNAUTHORIZED, "the ID token is not valid: %v", err)
	}
	if sha256.Sum256([]byte(idt.Nonce)) != sha256.Sum256([]byte(f.Nonce)) {
		return nil, nil, errs.Errorf(errs.EUNAUTHORIZED, "the ID token's nonce does not match")
	}
	var m map[string]any
	if err := idt.Claims(&m); err != nil {
		return nil, nil, errs.Errorf(errs.EUNAUTHORIZED, "unreadable ID token claims")
	}
	c := &Claims{Subject: idt.Subject}
	c.Email, _ = m["email"].(string)
	c.Name, _ = m["name"].(string)
	// Absent counts as unverified: the e-mail is what binds the identity
	// to a Vigil account.
	if v, ok := m["email_verified"].(bool); !ok || !v {
		return nil, nil, errs.Errorf(errs.EUNAUTHORIZED, "the identity provider has not verified this e-mail address")
	}
	if c.Email == "" {
		return nil, nil, errs.Errorf(errs.EUNAUTHORIZED, "the ID token carries no e-mail")
	}
	if c.Name == "" {
		c.Name = c.Email
	}
	return c, m, nil
}

// SSOPrincipal finds or creates the user for verified claims and brings its
// role and unit in line with them, recording any change in the audit log.
func (s *Service) SSOPrincipal(ctx context.Context, c *Claims) (*Principal, error) {
	email := strings.ToLower(c.Email)
	var p *Principal
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var unitID int64
		var unitPath string
		err := tx.QueryRow(ctx, `SELECT id, path FROM units WHERE code = ?`, c.Unit).Scan(&unitID, &unitPath)
		if store.IsNoRows(err) {
			return errs.Errorf(errs.EFORBIDDEN, "the ID token names unit %q, which this hub does not know", c.Unit)
		}
		if err != nil {
			return err
		}
		var id int64
		var role, subject, pwHash string
		var curUnit int64
		var disabled bool
		err = tx.QueryRow(ctx, `SELECT id, role, unit_id, disabled, oidc_subject, password_hash FROM users WHERE email = ?`, email).Scan(&id, &role, &curUnit, &disabled, &subject, &pwHash)
		now := store.Now()
		sys := WithPrincipal(ctx, &Principal{Email: "sso:" + email, Role: RoleAdmin, Via: "system"})
		switch {
		case store.IsNoRows(err):
			if err := tx.QueryRow(ctx, `INSERT INTO users (email, name, name_fold, role, unit_id, oidc_subject, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				email, c.Name, i18n.Fold(c.Name), string(c.Role), unitID, c.Subject, now, now).Scan(&id); err != nil {
				return fmt.Errorf("auth: sso create user: %w", err)
			}
			if s.Audit != nil {
				if err := s.Audit(sys, tx, "user.create", "user", strconv.FormatInt(id, 10), unitID, map[string]any{"email": email, "role": c.Role, "unit": c.Unit, "via": "oidc"}); err != nil {
					return err
				}
			}
		case err != nil:
			return fmt.Errorf("auth: sso find user: %w", err)
		default:
			if disabled {
				return errs.Errorf(errs.EUNAUTHORIZED, "this account is disabled")
			}
			if subject != "" && subject != c.Subject {
				return errs.Errorf(errs.EUNAUTHORIZED, "this e-mail is bound to another identity at the provider")
			}
			if subject == "" && pwHash != "" {
				// A local account is never adopted by e-mail alone: that
				// would let whoever controls the address at the provider
				// take it over (and rewrite its role).
				return errs.Errorf(errs.EFORBIDDEN, "a local account already uses this e-mail; sign in with its password, or ask an administrator to remove it before using single sign-on")
			}
			if role != string(c.Role) || curUnit != unitID || subject == "" {
				if _, err := tx.Exec(ctx, `UPDATE users SET role = ?, unit_id = ?, oidc_subject = ?, updated_at = ? WHERE id = ?`, string(c.Role), unitID, c.Subject, now, id); err != nil {
					return fmt.Errorf("auth: sso update user: %w", err)
				}
				if s.Audit != nil {
					if err := s.Audit(sys, tx, "user.update", "user", strconv.FormatInt(id, 10), unitID, map[string]any{"role": c.Role, "unit": c.Unit, "via": "oidc"}); err != nil {
						return err
					}
				}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		p = &Principal{UserID: id, Email: email, Name: c.Name, Role: c.Role, UnitID: unitID, UnitCode: c.Unit, UnitPath: unitPath}
		return nil
	})
	return p, err
}

// FlowCookieMaxAge bounds how long a sign-in may take at the provider.
const FlowCookieMaxAge = 10 * time.Minute
