package training

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// SSOIdentity is what the identity provider vouches for at an employee's
// SSO sign-in (a verified ID token).
type SSOIdentity struct {
	Subject string
	Email   string
	Name    string
	Groups  []string // the values of the groups claim
}

// ErrNotEmployee answers an SSO sign-in by someone who is neither on the
// list of employees nor in a mapped group.
var ErrNotEmployee = errs.Errorf(errs.EFORBIDDEN, "you are not on the list of employees, nor in a directory group the hub knows: ask your unit's officer")

// GroupsClaim is the ID-token claim SSO sign-in reads the groups from.
func (s *Service) GroupsClaim(ctx context.Context) (string, error) {
	d, err := s.directory(ctx)
	if err != nil {
		return "", err
	}
	return d.GroupsClaim, nil
}

// SSOSignIn signs an employee in from a verified ID token and syncs them
// from its groups claim: the first mapped group (in the order of the
// settings) gives the unit. Someone unknown in a mapped group is added;
// someone known is moved and renamed as the token says, unless the LDAP
// sync brought them in (the directory is then the authority and the
// token only signs them in). A disabled person, or an unknown one in no
// mapped group, is refused. It returns the learner session's cookie.
func (s *Service) SSOSignIn(ctx context.Context, id SSOIdentity) (string, *Learner, error) {
	email := strings.ToLower(strings.TrimSpace(id.Email))
	if email == "" || !validEmail(email) || len(email) > maxEmail {
		return "", nil, errs.Errorf(errs.EUNAUTHORIZED, "the ID token carries no e-mail")
	}
	name := clean(id.Name)
	if name == "" {
		name = email
	}
	d, err := s.directory(ctx)
	if err != nil {
		return "", nil, err
	}
	var unitID int64
	var unitCode string
	for _, g := range d.Groups {
		if slices.ContainsFunc(id.Groups, func(v string) bool { return strings.EqualFold(strings.TrimSpace(v), g.Group) }) {
			u, err := s.unitByCode(ctx, g.Unit)
			if err != nil {
				return "", nil, err
			}
			unitID, unitCode = u.ID, u.Code
			break
		}
	}
	var cookie string
	var l *Learner
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		now := store.Micros(s.now())
		var pid, curUnit int64
		var curName, source string
		var disabled bool
		err := tx.QueryRow(ctx, `SELECT id, unit_id, name, source, disabled FROM training_people WHERE email = ?`, email).Scan(&pid, &curUnit, &curName, &source, &disabled)
		sys := auth.WithPrincipal(ctx, &auth.Principal{Email: "sso:" + email, Role: auth.RoleAdmin, Via: "system"})
		switch {
		case store.IsNoRows(err):
			if unitID == 0 {
				return ErrNotEmployee
			}
			if err := tx.QueryRow(ctx, `INSERT INTO training_people (unit_id, name, email, source, directory_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				unitID, name, email, SourceOIDC, id.Subject, now, now).Scan(&pid); err != nil {
				return err
			}
			if err := audit.Append(sys, tx, audit.Entry{Action: "training.sso_enrol", ObjectType: "employee", ObjectID: strconv.FormatInt(pid, 10), UnitID: unitID,
				After: map[string]any{"email": email, "name": name, "unit": unitCode, "via": "oidc groups"}}); err != nil {
				return err
			}
		case err != nil:
			return err
		case source == SourceLDAP:
			if disabled {
				return ErrNotEmployee
			}
		case unitID != 0 && (curUnit != unitID || curName != name || disabled):
			if _, err := tx.Exec(ctx, `UPDATE training_people SET unit_id = ?, name = ?, disabled = FALSE, source = ?, directory_id = ?, updated_at = ? WHERE id = ?`,
				unitID, name, SourceOIDC, id.Subject, now, pid); err != nil {
				return err
			}
			if err := audit.Append(sys, tx, audit.Entry{Action: "training.sso_enrol", ObjectType: "employee", ObjectID: strconv.FormatInt(pid, 10), UnitID: unitID,
				Before: map[string]any{"name": curName, "disabled": disabled}, After: map[string]any{"name": name, "unit": unitCode, "via": "oidc groups"}}); err != nil {
				return err
			}
		case disabled:
			return ErrNotEmployee
		}
		cookie, l, err = s.startSession(ctx, tx, pid, "sso")
		return err
	})
	if err != nil {
		if errs.Code(err) != "" && errs.Code(err) != errs.EINTERNAL {
			return "", nil, err
		}
		return "", nil, fmt.Errorf("training: sso sign in: %w", err)
	}
	return cookie, l, nil
}
