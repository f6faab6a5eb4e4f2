package natreport

import (
	"context"
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Profile is a unit's reporting profile: who reports (the forms' blocks 1
// and 2) and how its reports are numbered. A unit never saved has one
// made of its name and its first point of contact.
type Profile struct {
	Unit             string `json:"unit"`
	UnitName         string `json:"unit_name"`
	OrgName          string `json:"org_name"`
	Address          string `json:"address"`
	Phone            string `json:"phone"`
	Email            string `json:"email"`
	OwnerBody        string `json:"owner_body"`
	MemberCode       string `json:"member_code"`
	ISP              string `json:"isp"`
	SecurityProvider string `json:"security_provider"`
	// ContactID picks the contact person from the unit's points of contact;
	// 0 uses the names typed below.
	ContactID       int64  `json:"contact_id"`
	ContactName     string `json:"contact_name"`
	ContactPosition string `json:"contact_position"`
	ContactPhone    string `json:"contact_phone"`
	ContactEmail    string `json:"contact_email"`
	SignerName      string `json:"signer_name"`
	SignerTitle     string `json:"signer_title"`
	// NumberPrefix follows the sequence in a report's number: "007/BC-A"
	// ("BC-<unit code>" when empty).
	NumberPrefix string `json:"number_prefix"`
	Saved        bool   `json:"saved"`
	UpdatedBy    string `json:"updated_by,omitempty"`
}

const maxProfileText = 500

// unitRow is a unit as the reports need it.
type unitRow struct {
	ID         int64
	Code, Name string
	Path       string
}

func (s *Service) unitByCode(ctx context.Context, q store.Queryer, code string) (*unitRow, error) {
	var u unitRow
	err := q.QueryRowContext(ctx, s.DB.Rebind(`SELECT id, code, name, path FROM units WHERE code = ?`), code).Scan(&u.ID, &u.Code, &u.Name, &u.Path)
	if store.IsNoRows(err) {
		return nil, errs.NotFound("unit " + code)
	}
	if err != nil {
		return nil, fmt.Errorf("natreport: unit %s: %w", code, err)
	}
	return &u, nil
}

func (s *Service) unitByID(ctx context.Context, q store.Queryer, id int64) (*unitRow, error) {
	var u unitRow
	err := q.QueryRowContext(ctx, s.DB.Rebind(`SELECT id, code, name, path FROM units WHERE id = ?`), id).Scan(&u.ID, &u.Code, &u.Name, &u.Path)
	if store.IsNoRows(err) {
		return nil, errs.NotFound(fmt.Sprintf("unit %d", id))
	}
	if err != nil {
		return nil, fmt.Errorf("natreport: unit %d: %w", id, err)
	}
	return &u, nil
}

// callerUnit is the unit a request names (code) or, with none, the
// caller's own unit (the root unit for those who belong to none); it
// must be in the caller's scope.
func (s *Service) callerUnit(ctx context.Context, code string) (*unitRow, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if code == "" {
		if p.UnitCode != "" {
			code = p.UnitCode
		} else {
			root, err := rootPath(ctx, s.DB)
			if err != nil {
				return nil, err
			}
			var c string
			if err := s.DB.QueryRow(ctx, `SELECT code FROM units WHERE path = ?`, root).Scan(&c); err != nil {
				return nil, errs.NotFound("unit")
			}
			code = c
		}
	}
	u, err := s.unitByCode(ctx, s.DB, code)
	if err != nil {
		return nil, err
	}
	if !p.CanRead(u.Path) {
		return nil, errs.NotFound("unit " + code)
	}
	return u, nil
}

// Profile returns a unit's reporting profile (code "" the caller's unit).
func (s *Service) Profile(ctx context.Context, code string) (*Profile, error) {
	u, err := s.callerUnit(ctx, code)
	if err != nil {
		return nil, err
	}
	return s.profile(ctx, s.DB, u)
}

func (s *Service) profile(ctx context.Context, q store.Queryer, u *unitRow) (*Profile, error) {
	pr := &Profile{Unit: u.Code, UnitName: u.Name}
	var updated int64
	err := q.QueryRowContext(ctx, s.DB.Rebind(`SELECT org_name, address, phone, email, owner_body, member_code, isp, security_provider, contact_id,
		contact_name, contact_position, contact_phone, contact_email, signer_name, signer_title, number_prefix, updated_by, updated_at
		FROM natreport_profiles WHERE unit_id = ?`), u.ID).Scan(&pr.OrgName, &pr.Address, &pr.Phone, &pr.Email, &pr.OwnerBody, &pr.MemberCode,
		&pr.ISP, &pr.SecurityProvider, &pr.ContactID, &pr.ContactName, &pr.ContactPosition, &pr.ContactPhone, &pr.ContactEmail,
		&pr.SignerName, &pr.SignerTitle, &pr.NumberPrefix, &pr.UpdatedBy, &updated)
	switch {
	case store.IsNoRows(err):
		pr.OrgName = u.Name
	case err != nil:
		return nil, fmt.Errorf("natreport: profile %s: %w", u.Code, err)
	default:
		pr.Saved = true
	}
	// The contact person: the one chosen, else the one typed, else the
	// unit's first point of contact.
	cq := `SELECT name, position, phone, email FROM contacts WHERE unit_id = ? AND id = ?`
	args := []any{u.ID, pr.ContactID}
	if pr.ContactID == 0 {
		cq, args = `SELECT name, position, phone, email FROM contacts WHERE unit_id = ? ORDER BY id LIMIT 1`, []any{u.ID}
	}
	if pr.ContactID != 0 || pr.ContactName == "" {
		var n, pos, ph, em string
		err := q.QueryRowContext(ctx, s.DB.Rebind(cq), args...).Scan(&n, &pos, &ph, &em)
		if err != nil && !store.IsNoRows(err) {
			return nil, fmt.Errorf("natreport: profile contact: %w", err)
		}
		if err == nil {
			pr.ContactName, pr.ContactPosition, pr.ContactPhone, pr.ContactEmail = n, pos, ph, em
		}
	}
	return pr, nil
}

// Prefix is the prefix of the profile's report numbers.
func (pr *Profile) Prefix() string {
	if pr.NumberPrefix != "" {
		return pr.NumberPrefix
	}
	return "BC-" + pr.Unit
}

// SetProfile saves a unit's reporting profile, as a user who may write in
// the unit (its officers, administrators).
func (s *Service) SetProfile(ctx context.Context, code string, in Profile) (*Profile, error) {
	u, err := s.callerUnit(ctx, code)
	if err != nil {
		return nil, err
	}
	p := auth.FromContext(ctx)
	if !p.CanWrite(u.Path) {
		return nil, errs.Forbidden("only the unit's officers and administrators change its reporting profile")
	}
	for field, v := range map[string]*string{"org_name": &in.OrgName, "address": &in.Address, "phone": &in.Phone, "email": &in.Email,
		"owner_body": &in.OwnerBody, "member_code": &in.MemberCode, "isp": &in.ISP, "security_provider": &in.SecurityProvider,
		"contact_name": &in.ContactName, "contact_position": &in.ContactPosition, "contact_phone": &in.ContactPhone, "contact_email": &in.ContactEmail,
		"signer_name": &in.SignerName, "signer_title": &in.SignerTitle, "number_prefix": &in.NumberPrefix} {
		*v = strings.TrimSpace(strings.ToValidUTF8(*v, "\uFFFD"))
		if utf8.RuneCountInString(*v) > maxProfileText {
			return nil, errs.Invalid(field, "must be at most %d characters", maxProfileText)
		}
	}
	for field, v := range map[string]string{"email": in.Email, "contact_email": in.ContactEmail} {
		if v != "" {
			if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
				return nil, errs.Invalid(field, "%q is not an e-mail address", v)
			}
		}
	}
	if in.NumberPrefix != "" && strings.ContainsAny(in.NumberPrefix, "/\\ \t\n") {
		return nil, errs.Invalid("number_prefix", "must not hold spaces or slashes")
	}
	if in.ContactID != 0 {
		var n int
		if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM contacts WHERE id = ? AND unit_id = ?`, in.ContactID, u.ID).Scan(&n); err != nil {
			return nil, fmt.Errorf("natreport: profile contact: %w", err)
		}
		if n == 0 {
			return nil, errs.Invalid("contact_id", "is not a point of contact of unit %s", u.Code)
		}
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		before, err := s.profile(ctx, tx, u)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM natreport_profiles WHERE unit_id = ?`, u.ID); err != nil {
			return fmt.Errorf("natreport: save profile: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO natreport_profiles (unit_id, org_name, address, phone, email, owner_body, member_code, isp,
			security_provider, contact_id, contact_name, contact_position, contact_phone, contact_email, signer_name, signer_title, number_prefix,
			updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			u.ID, in.OrgName, in.Address, in.Phone, in.Email, in.OwnerBody, in.MemberCode, in.ISP, in.SecurityProvider, in.ContactID,
			in.ContactName, in.ContactPosition, in.ContactPhone, in.ContactEmail, in.SignerName, in.SignerTitle, in.NumberPrefix,
			p.Email, store.Micros(s.now())); err != nil {
			return fmt.Errorf("natreport: save profile: %w", err)
		}
		in.Unit, in.UnitName = u.Code, u.Name
		var b any
		if before.Saved {
			b = before
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "natreport.profile", ObjectType: "unit", ObjectID: u.Code, UnitID: u.ID, Before: b, After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.profile(ctx, s.DB, u)
}
