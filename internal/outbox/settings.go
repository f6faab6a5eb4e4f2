package outbox

import (
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"slices"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/store"
)

// Recipients is who receives the messages of one purpose: e-mail
// addresses for the system's owner body, the national coordinator and the
// specialised response unit (their names are configuration: agencies were
// reorganised in 2025), and an optional HTTP endpoint. The endpoint's
// secret is never shown back: SecretHint is its last four characters.
type Recipients struct {
	Purpose           string    `json:"purpose"`
	OwnerName         string    `json:"owner_name"`
	OwnerEmails       []string  `json:"owner_emails"`
	CoordinatorName   string    `json:"coordinator_name"`
	CoordinatorEmails []string  `json:"coordinator_emails"`
	SpecialisedName   string    `json:"specialised_name"`
	SpecialisedEmails []string  `json:"specialised_emails"`
	HTTPURL           string    `json:"http_url,omitempty"`
	SecretSet         bool      `json:"secret_set"`
	SecretHint        string    `json:"secret_hint,omitempty"`
	UpdatedBy         string    `json:"updated_by,omitempty"`
	UpdatedAt         time.Time `json:"updated_at,omitzero"`

	secret string
}

// RecipientsInput changes the recipients of a purpose. An empty Secret
// keeps the endpoint's secret; ClearSecret removes it (requests go
// unsigned).
type RecipientsInput struct {
	OwnerName         string   `json:"owner_name"`
	OwnerEmails       []string `json:"owner_emails"`
	CoordinatorName   string   `json:"coordinator_name"`
	CoordinatorEmails []string `json:"coordinator_emails"`
	SpecialisedName   string   `json:"specialised_name"`
	SpecialisedEmails []string `json:"specialised_emails"`
	HTTPURL           string   `json:"http_url"`
	Secret            string   `json:"secret,omitempty"`
	ClearSecret       bool     `json:"clear_secret,omitempty"`
}

// Default names of the recipients, until the IT Center names them.
const (
	DefaultOwnerName       = "Cơ quan chủ quản"
	DefaultCoordinatorName = "VNCERT/CC (Cục A05, Bộ Công an)"
	DefaultSpecialisedName = "Đơn vị chuyên trách ứng cứu sự cố"
)

// MinSecret is the shortest signing secret accepted.
const MinSecret = escalate.MinWebhookSecret

// SettingsPage is where the recipients are configured.
const SettingsPage = "/settings/outbox"

func validPurpose(p string) error {
	if !slices.Contains(Purposes, p) {
		return errs.Invalid("purpose", "must be one of %s", strings.Join(Purposes, ", "))
	}
	return nil
}

// rootPath is the path of the root unit ("" when there is none).
func rootPath(ctx context.Context, q store.Queryer, db *store.DB) (string, error) {
	var path string
	err := q.QueryRowContext(ctx, db.Rebind(`SELECT path FROM units WHERE parent_id IS NULL ORDER BY id LIMIT 1`)).Scan(&path)
	if err != nil && !store.IsNoRows(err) {
		return "", fmt.Errorf("outbox: root unit: %w", err)
	}
	return path, nil
}

// ITCenter reports whether the caller configures the outbox: a user of
// the root unit who may write there (its officers, and administrators).
func (s *Service) ITCenter(ctx context.Context) (bool, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return false, nil
	}
	root, err := rootPath(ctx, s.DB, s.DB)
	if err != nil {
		return false, err
	}
	return root != "" && p.CanWrite(root), nil
}

// readSettings may read the recipients: who reads the root unit (the IT
// Center, the SOC, administrators).
func (s *Service) readSettings(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	root, err := rootPath(ctx, s.DB, s.DB)
	if err != nil {
		return nil, err
	}
	if root == "" || !p.CanRead(root) {
		return nil, errs.Forbidden("only the IT Center and the SOC see the outbox's recipients")
	}
	return p, nil
}

const settingsColumns = `SELECT purpose, owner_name, owner_emails, coordinator_name, coordinator_emails, specialised_name, specialised_emails, http_url, http_secret, updated_by, updated_at FROM outbox_settings`

func scanRecipients(sc store.Scanner) (*Recipients, error) {
	var r Recipients
	var owner, coord, spec string
	var updated int64
	if err := sc.Scan(&r.Purpose, &r.OwnerName, &owner, &r.CoordinatorName, &coord, &r.SpecialisedName, &spec, &r.HTTPURL, &r.secret, &r.UpdatedBy, &updated); err != nil {
		return nil, err
	}
	r.OwnerEmails, r.CoordinatorEmails, r.SpecialisedEmails = splitList(owner), splitList(coord), splitList(spec)
	r.SecretSet, r.SecretHint = r.secret != "", escalate.Hint(r.secret)
	if updated > 0 {
		r.UpdatedAt = store.Time(updated)
	}
	return &r, nil
}

func defaults(purpose string) *Recipients {
	return &Recipients{Purpose: purpose, OwnerName: DefaultOwnerName, CoordinatorName: DefaultCoordinatorName, SpecialisedName: DefaultSpecialisedName,
		OwnerEmails: []string{}, CoordinatorEmails: []string{}, SpecialisedEmails: []string{}}
}

// recipients reads a purpose's recipients without a rights check.
func (s *Service) recipients(ctx context.Context, q store.Queryer, purpose string) (*Recipients, error) {
	r, err := scanRecipients(q.QueryRowContext(ctx, s.DB.Rebind(settingsColumns+` WHERE purpose = ?`), purpose))
	if store.IsNoRows(err) {
		return defaults(purpose), nil
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: recipients of %s: %w", purpose, err)
	}
	return r, nil
}

// Settings returns the recipients of every purpose, in Purposes order.
func (s *Service) Settings(ctx context.Context) ([]*Recipients, error) {
	if _, err := s.readSettings(ctx); err != nil {
		return nil, err
	}
	out := make([]*Recipients, 0, len(Purposes))
	for _, p := range Purposes {
		r, err := s.recipients(ctx, s.DB, p)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// GetRecipients returns one purpose's recipients.
func (s *Service) GetRecipients(ctx context.Context, purpose string) (*Recipients, error) {
	if _, err := s.readSettings(ctx); err != nil {
		return nil, err
	}
	if err := validPurpose(purpose); err != nil {
		return nil, err
	}
	return s.recipients(ctx, s.DB, purpose)
}

// splitList splits addresses separated by commas, semicolons, spaces or
// new lines.
func splitList(s string) []string {
	out := []string{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// CleanEmails splits and checks e-mail addresses; field names the form
// field in an error.
func CleanEmails(field string, in []string) ([]string, error) {
	out := []string{}
	for _, v := range in {
		for _, a := range splitList(v) {
			addr, err := mail.ParseAddress(a)
			if err != nil || addr.Address != a || !strings.Contains(a, "@") {
				return nil, errs.Invalid(field, "%q is not an e-mail address", a)
			}
			if !slices.Contains(out, strings.ToLower(a)) {
				out = append(out, strings.ToLower(a))
			}
		}
	}
	if len(out) > 20 {
		return nil, errs.Invalid(field, "at most 20 addresses")
	}
	return out, nil
}

// CheckEndpoint checks an HTTP endpoint's address.
func CheckEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errs.Invalid("http_url", "must be an http:// or https:// address")
	}
	if u.User != nil {
		return errs.Invalid("http_url", "must not hold a user name or password: use the secret")
	}
	if len(raw) > 2000 {
		return errs.Invalid("http_url", "must be at most 2000 characters")
	}
	return nil
}

// SetRecipients replaces the recipients of a purpose, as the IT Center.
func (s *Service) SetRecipients(ctx context.Context, purpose string, in RecipientsInput) (*Recipients, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if ok, err := s.ITCenter(ctx); err != nil {
		return nil, err
	} else if !ok {
		return nil, errs.Forbidden("only the IT Center (the root unit's officers and administrators) configures the outbox")
	}
	if err := validPurpose(purpose); err != nil {
		return nil, err
	}
	r := &Recipients{Purpose: purpose}
	for _, f := range []struct {
		field string
		in    string
		out   *string
		def   string
	}{{"owner_name", in.OwnerName, &r.OwnerName, DefaultOwnerName}, {"coordinator_name", in.CoordinatorName, &r.CoordinatorName, DefaultCoordinatorName},
		{"specialised_name", in.SpecialisedName, &r.SpecialisedName, DefaultSpecialisedName}} {
		v := strings.TrimSpace(f.in)
		if v == "" {
			v = f.def
		}
		if len(v) > 200 {
			return nil, errs.Invalid(f.field, "must be at most 200 characters")
		}
		*f.out = v
	}
	if r.OwnerEmails, err = CleanEmails("owner_emails", in.OwnerEmails); err != nil {
		return nil, err
	}
	if r.CoordinatorEmails, err = CleanEmails("coordinator_emails", in.CoordinatorEmails); err != nil {
		return nil, err
	}
	if r.SpecialisedEmails, err = CleanEmails("specialised_emails", in.SpecialisedEmails); err != nil {
		return nil, err
	}
	r.HTTPURL = strings.TrimSpace(in.HTTPURL)
	if r.HTTPURL != "" {
		if err := CheckEndpoint(r.HTTPURL); err != nil {
			return nil, err
		}
	}
	if in.Secret != "" {
		if len(in.Secret) < MinSecret {
			return nil, errs.Invalid("secret", "must be at least %d characters", MinSecret)
		}
		if len(in.Secret) > 256 {
			return nil, errs.Invalid("secret", "must be at most 256 bytes")
		}
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		cur, err := s.recipients(ctx, tx, purpose)
		if err != nil {
			return err
		}
		r.secret = cur.secret
		switch {
		case in.Secret != "":
			r.secret = in.Secret
		case in.ClearSecret || r.HTTPURL == "":
			r.secret = ""
		}
		if _, err := tx.Exec(ctx, `DELETE FROM outbox_settings WHERE purpose = ?`, purpose); err != nil {
			return fmt.Errorf("outbox: settings: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO outbox_settings (purpose, owner_name, owner_emails, coordinator_name, coordinator_emails, specialised_name, specialised_emails,
			http_url, http_secret, updated_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			purpose, r.OwnerName, strings.Join(r.OwnerEmails, ","), r.CoordinatorName, strings.Join(r.CoordinatorEmails, ","), r.SpecialisedName,
			strings.Join(r.SpecialisedEmails, ","), r.HTTPURL, r.secret, p.Email, store.Micros(now)); err != nil {
			return fmt.Errorf("outbox: settings: %w", err)
		}
		r.SecretSet, r.SecretHint = r.secret != "", escalate.Hint(r.secret)
		after := settingsSummary(r)
		if r.secret != cur.secret {
			after["secret_changed"] = true
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "outbox.settings", ObjectType: "outbox_settings", ObjectID: purpose,
			Before: settingsSummary(cur), After: after})
	})
	if err != nil {
		return nil, err
	}
	r.UpdatedBy, r.UpdatedAt = p.Email, store.Time(store.Micros(now))
	return r, nil
}

// settingsSummary is what the audit log keeps of recipients: never the
// secret, only its hint.
func settingsSummary(r *Recipients) map[string]any {
	return map[string]any{"purpose": r.Purpose, "owner_name": r.OwnerName, "owner_emails": strings.Join(r.OwnerEmails, ", "),
		"coordinator_name": r.CoordinatorName, "coordinator_emails": strings.Join(r.CoordinatorEmails, ", "),
		"specialised_name": r.SpecialisedName, "specialised_emails": strings.Join(r.SpecialisedEmails, ", "),
		"http_url": r.HTTPURL, "secret_hint": r.SecretHint}
}
