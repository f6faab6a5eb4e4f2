// Package phishing runs phishing drills (issue 14, measure 4): an officer
// sends a simulated phishing e-mail to their own unit's employees (the
// people of internal/training), spread over a window, through the hub's
// relay at a per-relay rate; each message carries a unique signed link
// and an open pixel. The landing page records that someone clicked and
// that its form was submitted — never what was typed: the form's fields
// have no names, and the handler does not read the body. Reports through
// the report address or button count as the good outcome. Requests that
// look like mail scanners or sandboxes (HEAD, a known agent, seconds after
// delivery) are recorded apart and not counted. Whoever clicks is enrolled
// in the template's lesson. Every drill is audited.
package phishing

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/i18n"
	"vigil/internal/store"
	"vigil/internal/training"
)

// Service keeps drills.
type Service struct {
	DB       *store.DB
	Training *training.Service
	// Relay returns the SMTP relay and the hub's public address (for the
	// links); the hub wires it to the escalation settings.
	Relay func() (*escalate.Mailer, string)
	// PerRelayPerMinute bounds the messages one relay takes (30 when 0).
	PerRelayPerMinute int
	// ScannerWindow: a request this soon after delivery is a scanner's
	// (10 s when 0).
	ScannerWindow time.Duration
	Logger        *slog.Logger
	Now           func() time.Time

	limit limiter
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Template is a drill's e-mail and landing page.
type Template struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Subject    string `json:"subject"`
	SenderName string `json:"sender_name"`
	Body       string `json:"body"`
	Landing    string `json:"landing"`
	CourseID   int64  `json:"course_id"`
	Builtin    bool   `json:"builtin"`
}

// TemplateInput makes a template.
type TemplateInput struct {
	Name       string `json:"name"`
	Subject    string `json:"subject"`
	SenderName string `json:"sender_name"`
	Body       string `json:"body"`
	Landing    string `json:"landing"`
}

func (in *TemplateInput) check() error {
	in.Name, in.Subject, in.SenderName = strings.TrimSpace(in.Name), strings.TrimSpace(in.Subject), strings.TrimSpace(in.SenderName)
	for f, v := range map[string]string{"name": in.Name, "subject": in.Subject, "body": in.Body} {
		if strings.TrimSpace(v) == "" {
			return errs.Invalid(f, "is required")
		}
	}
	if utf8.RuneCountInString(in.Name) > 200 || utf8.RuneCountInString(in.Subject) > 200 || utf8.RuneCountInString(in.SenderName) > 200 {
		return errs.Invalid("subject", "longer than %d characters", 200)
	}
	if len(in.Body) > 50_000 || len(in.Landing) > 50_000 {
		return errs.Invalid("body", "longer than %d characters", 50_000)
	}
	if err := CheckText("subject", in.Subject); err != nil {
		return err
	}
	if err := CheckText("body", in.Body); err != nil {
		return err
	}
	if !strings.Contains(in.Body, "{link}") {
		return errs.Invalid("body", "the body must hold the drill's link: write {link} where it goes")
	}
	return CheckText("landing", in.Landing)
}

// builtinTemplates are the Vietnamese templates every hub has.
var builtinTemplates = []TemplateInput{{
	Name:       "Cập nhật thông tin VssID",
	Subject:    "[BHXH] Yêu cầu cập nhật thông tin tài khoản VssID trước {date}",
	SenderName: "Bảo hiểm xã hội Việt Nam",
	Body: "Kính gửi {name},\n\nHệ thống VssID đang nâng cấp. Tài khoản của Ông/Bà ({email}) cần được xác thực lại trước {date}, " +
		"nếu không sẽ bị tạm khóa.\n\nXác thực ngay tại: {link}\n\nTrân trọng,\nBộ phận hỗ trợ VssID",
	Landing: "Đăng nhập VssID để xác thực tài khoản",
}, {
	Name:       "Thông báo thưởng Tết",
	Subject:    "Danh sách thưởng Tết {unit} — vui lòng xác nhận",
	SenderName: "Phòng Kế hoạch - Tài chính",
	Body: "Chào {name} ({department}),\n\nPhòng Kế hoạch - Tài chính gửi danh sách thưởng Tết năm nay. " +
		"Anh/chị vui lòng đăng nhập thư công vụ để xem và xác nhận số tài khoản nhận tiền trước {date}:\n{link}\n\nTrân trọng.",
	Landing: "Đăng nhập thư công vụ để xem tệp đính kèm",
}}

// ensureBuiltin writes the built-in templates once.
func (s *Service) ensureBuiltin(ctx context.Context) error {
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM phishing_templates WHERE builtin`).Scan(&n); err != nil || n > 0 {
		return err
	}
	var course int64
	s.DB.QueryRow(ctx, `SELECT id FROM training_courses WHERE slug = ?`, training.StarterSlug).Scan(&course)
	for _, t := range builtinTemplates {
		if _, err := s.DB.Exec(ctx, `INSERT INTO phishing_templates (name, subject, sender_name, body, landing, course_id, builtin, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, TRUE, 'system', ?)`,
			t.Name, t.Subject, t.SenderName, t.Body, t.Landing, course, store.Micros(s.now())); err != nil {
			return err
		}
	}
	return nil
}

// Templates lists the built-in templates and those of the caller's units.
func (s *Service) Templates(ctx context.Context) ([]*Template, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if s.Training != nil {
		if err := s.Training.EnsureStarter(ctx); err != nil {
			return nil, err
		}
	}
	if err := s.ensureBuiltin(ctx); err != nil {
		return nil, err
	}
	cond, args := p.Scope("u.path")
	rows, err := s.DB.Query(ctx, `SELECT t.id, t.name, t.subject, t.sender_name, t.body, t.landing, t.course_id, t.builtin FROM phishing_templates t
		LEFT JOIN units u ON u.id = t.unit_id WHERE t.builtin OR (`+cond+`) ORDER BY t.builtin DESC, t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("phishing: templates: %w", err)
	}
	defer rows.Close()
	var out []*Template
	for rows.Next() {
		var t Template
		if err := rows.Scan(&t.ID, &t.Name, &t.Subject, &t.SenderName, &t.Body, &t.Landing, &t.CourseID, &t.Builtin); err != nil {
			return nil, err
		}
		out = append(out, &t)
	}
	return out, rows.Err()
}

// CreateTemplate saves a template for the caller's unit; a broken
// placeholder is refused.
func (s *Service) CreateTemplate(ctx context.Context, in TemplateInput) (*Template, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Role != auth.RoleAdmin && p.Role != auth.RoleOfficer {
		return nil, errs.Forbidden("only officers run phishing drills")
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	var course int64
	s.DB.QueryRow(ctx, `SELECT id FROM training_courses WHERE slug = ?`, training.StarterSlug).Scan(&course)
	t := &Template{Name: in.Name, Subject: in.Subject, SenderName: in.SenderName, Body: in.Body, Landing: in.Landing, CourseID: course}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO phishing_templates (name, subject, sender_name, body, landing, course_id, unit_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			t.Name, t.Subject, t.SenderName, t.Body, t.Landing, course, p.UnitID, p.Email, store.Micros(s.now())).Scan(&t.ID); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "phishing.create_template", ObjectType: "phishing_template", ObjectID: strconv.FormatInt(t.ID, 10), UnitID: p.UnitID,
			After: map[string]any{"name": t.Name, "subject": t.Subject}})
	})
	if err != nil {
		return nil, fmt.Errorf("phishing: template: %w", err)
	}
	return t, nil
}

// CampaignInput starts a drill.
type CampaignInput struct {
	Template   int64  `json:"template"`
	Unit       string `json:"unit"`
	Department string `json:"department,omitempty"`
	Name       string `json:"name,omitempty"`
	// StartAt (RFC 3339, or "" for now) and WindowMinutes spread the
	// sending: each person's message goes at a random time in the window.
	StartAt       string `json:"start_at,omitempty"`
	WindowMinutes int    `json:"window_minutes,omitempty"`
}

// Campaign is a drill.
type Campaign struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Unit       string    `json:"unit"`
	UnitName   string    `json:"unit_name"`
	Template   string    `json:"template"`
	Department string    `json:"department,omitempty"`
	StartAt    time.Time `json:"start_at"`
	EndAt      time.Time `json:"end_at"`
	Recipients int       `json:"recipients"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	Results    Results   `json:"results"`
	unitPath   string
}

// Results counts a drill's outcomes (requests from scanners are not
// counted; Scanner says how many there were).
type Results struct {
	Sent      int `json:"sent"`
	Opened    int `json:"opened"`
	Clicked   int `json:"clicked"`
	Submitted int `json:"submitted"`
	Reported  int `json:"reported"`
	Bounced   int `json:"bounced"`
	Scanner   int `json:"scanner_requests"`
}

// CreateCampaign schedules a drill to the active employees of a unit of
// the caller's subtree (and the units under it) — never any other address.
func (s *Service) CreateCampaign(ctx context.Context, in CampaignInput) (*Campaign, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	var unitID int64
	var unitPath, unitCode string
	err = s.DB.QueryRow(ctx, `SELECT id, path, code FROM units WHERE code = ?`, strings.TrimSpace(in.Unit)).Scan(&unitID, &unitPath, &unitCode)
	if store.IsNoRows(err) || (err == nil && !p.CanRead(unitPath)) {
		return nil, errs.Invalid("unit", "no unit %q in your scope", in.Unit)
	}
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(unitPath) {
		return nil, errs.Forbidden("only the unit's officers run phishing drills")
	}
	ts, err := s.Templates(ctx)
	if err != nil {
		return nil, err
	}
	var t *Template
	for _, x := range ts {
		if x.ID == in.Template {
			t = x
		}
	}
	if t == nil {
		return nil, errs.Invalid("template", "no template %d", in.Template)
	}
	// Checked again before anything is queued (an edited row, an old hub).
	ti := TemplateInput{Name: t.Name, Subject: t.Subject, SenderName: t.SenderName, Body: t.Body, Landing: t.Landing}
	if err := ti.check(); err != nil {
		return nil, err
	}
	start := s.now()
	if strings.TrimSpace(in.StartAt) != "" {
		if start, err = time.Parse(time.RFC3339, strings.TrimSpace(in.StartAt)); err != nil {
			return nil, errs.Invalid("start_at", "%q is not a time: write it as 2026-12-20T08:00:00+07:00", in.StartAt)
		}
	}
	if in.WindowMinutes < 0 || in.WindowMinutes > 7*24*60 {
		return nil, errs.Invalid("window_minutes", "must be from 0 to %d minutes (a week)", 7*24*60)
	}
	end := start.Add(time.Duration(in.WindowMinutes) * time.Minute)
	name := strings.TrimSpace(in.Name)
	if name == "" {
		name = t.Name + " — " + unitCode + " — " + i18n.FormatDate(start, "vi")
	}
	var secret [32]byte
	rand.Read(secret[:])
	c := &Campaign{}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO phishing_campaigns (name, unit_id, template_id, department, start_at, end_at, secret, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, name, unitID, t.ID, strings.TrimSpace(in.Department), store.Micros(start), store.Micros(end),
			hex.EncodeToString(secret[:]), p.Email, store.Micros(s.now())).Scan(&id); err != nil {
			return err
		}
		q := `SELECT p.id, p.unit_id FROM training_people p JOIN units u ON u.id = p.unit_id WHERE NOT p.disabled AND u.path LIKE ? ESCAPE '\'`
		args := []any{store.LikePrefix(unitPath)}
		if d := strings.TrimSpace(in.Department); d != "" {
			q += ` AND p.department = ?`
			args = append(args, d)
		}
		rows, err := tx.Query(ctx, q+` ORDER BY p.id`, args...)
		if err != nil {
			return err
		}
		type rcpt struct{ person, unit int64 }
		var rs []rcpt
		for rows.Next() {
			var r rcpt
			if err := rows.Scan(&r.person, &r.unit); err != nil {
				rows.Close()
				return err
			}
			rs = append(rs, r)
		}
		rows.Close()
		if len(rs) == 0 {
			return errs.Invalid("unit", "the unit has no employees: import them first")
		}
		window := end.Sub(start)
		for _, r := range rs {
			at := start
			if window > 0 {
				at = start.Add(time.Duration(mrand.Int64N(int64(window))))
			}
			if _, err := tx.Exec(ctx, `INSERT INTO phishing_recipients (campaign_id, person_id, unit_id, send_at) VALUES (?, ?, ?, ?)`, id, r.person, r.unit, store.Micros(at)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE phishing_campaigns SET recipients = ? WHERE id = ?`, len(rs), id); err != nil {
			return err
		}
		if err := countDrill(ctx, tx, id); err != nil {
			return err
		}
		c.ID = id
		return audit.Append(ctx, tx, audit.Entry{Action: "phishing.create_campaign", ObjectType: "phishing_campaign", ObjectID: strconv.FormatInt(id, 10), UnitID: unitID,
			After: map[string]any{"name": name, "template": t.Name, "unit": unitCode, "recipients": len(rs), "start_at": i18n.FormatTime(start, "vi"),
				"window_minutes": in.WindowMinutes}})
	})
	if err != nil {
		if errs.Code(err) == errs.EINVALID {
			return nil, err
		}
		return nil, fmt.Errorf("phishing: campaign: %w", err)
	}
	return s.Campaign(ctx, c.ID)
}

const campaignCols = `SELECT c.id, c.name, u.code, u.name, u.path, t.name, c.department, c.start_at, c.end_at, c.recipients, c.created_by, c.created_at`
const campaignFrom = ` FROM phishing_campaigns c JOIN units u ON u.id = c.unit_id JOIN phishing_templates t ON t.id = c.template_id`

func scanCampaign(sc store.Scanner) (*Campaign, error) {
	var c Campaign
	var start, end, created int64
	if err := sc.Scan(&c.ID, &c.Name, &c.Unit, &c.UnitName, &c.unitPath, &c.Template, &c.Department, &start, &end, &c.Recipients, &c.CreatedBy, &created); err != nil {
		return nil, err
	}
	c.StartAt, c.EndAt, c.CreatedAt = store.Time(start), store.Time(end), store.Time(created)
	return &c, nil
}

// Campaign loads a drill in the caller's scope, with its results.
func (s *Service) Campaign(ctx context.Context, id int64) (*Campaign, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := scanCampaign(s.DB.QueryRow(ctx, campaignCols+campaignFrom+` WHERE c.id = ?`, id))
	if err := p.CheckRead(err, func() string { return c.unitPath }, errs.NotFound("drill")); err != nil {
		return nil, err
	}
	if c.Results, err = s.results(ctx, id); err != nil {
		return nil, err
	}
	return c, nil
}

// Results counts a drill's outcomes for the caller.
func (s *Service) Results(ctx context.Context, id int64) (Results, error) {
	c, err := s.Campaign(ctx, id)
	if err != nil {
		return Results{}, err
	}
	return c.Results, nil
}

func (s *Service) results(ctx context.Context, id int64) (Results, error) {
	var r Results
	err := s.DB.QueryRow(ctx, `SELECT COALESCE(SUM(CASE WHEN sent_at > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN opened_at > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN clicked_at > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN submitted_at > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN reported_at > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN status = 'bounced' THEN 1 ELSE 0 END), 0)
		FROM phishing_recipients WHERE campaign_id = ?`, id).Scan(&r.Sent, &r.Opened, &r.Clicked, &r.Submitted, &r.Reported, &r.Bounced)
	if err != nil {
		return r, fmt.Errorf("phishing: results: %w", err)
	}
	err = s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM phishing_events WHERE campaign_id = ? AND scanner`, id).Scan(&r.Scanner)
	return r, err
}

// Campaigns lists the drills in scope, newest first.
func (s *Service) Campaigns(ctx context.Context, offset, limit int) ([]*Campaign, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("c.id DESC", limit, 100).Scope(p, "u.path").Skip(offset)
	list, total, err := store.FetchPage(ctx, s.DB, l, campaignCols, campaignFrom, scanCampaign)
	if err != nil {
		return nil, 0, fmt.Errorf("phishing: campaigns: %w", err)
	}
	for _, c := range list {
		if c.Results, err = s.results(ctx, c.ID); err != nil {
			return nil, 0, err
		}
	}
	return list, total, nil
}

// Recipient is one person's drill outcome.
type Recipient struct {
	ID          int64     `json:"id"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	Department  string    `json:"department"`
	Unit        string    `json:"unit"`
	Status      string    `json:"status"`
	SendAt      time.Time `json:"send_at"`
	SentAt      time.Time `json:"sent_at,omitzero"`
	OpenedAt    time.Time `json:"opened_at,omitzero"`
	ClickedAt   time.Time `json:"clicked_at,omitzero"`
	SubmittedAt time.Time `json:"submitted_at,omitzero"`
	ReportedAt  time.Time `json:"reported_at,omitzero"`
	Error       string    `json:"error,omitempty"`
}

func tm(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return store.Time(us)
}

// Recipients lists a drill's people and what each did, with times.
func (s *Service) Recipients(ctx context.Context, id int64, offset, limit int) ([]*Recipient, int, error) {
	if _, err := s.Campaign(ctx, id); err != nil {
		return nil, 0, err
	}
	l := store.NewList("r.id", limit, 100).Where("r.campaign_id = ?", id).Skip(offset).OrderBy("p.name", false)
	return store.FetchPage(ctx, s.DB, l, `SELECT r.id, p.name, p.email, p.department, u.code, r.status, r.send_at, r.sent_at, r.opened_at, r.clicked_at, r.submitted_at, r.reported_at, r.error`,
		` FROM phishing_recipients r JOIN training_people p ON p.id = r.person_id JOIN units u ON u.id = r.unit_id`,
		func(sc store.Scanner) (*Recipient, error) {
			var x Recipient
			var send, sent, op, cl, sub, rep int64
			if err := sc.Scan(&x.ID, &x.Name, &x.Email, &x.Department, &x.Unit, &x.Status, &send, &sent, &op, &cl, &sub, &rep, &x.Error); err != nil {
				return nil, err
			}
			x.SendAt, x.SentAt, x.OpenedAt, x.ClickedAt, x.SubmittedAt, x.ReportedAt = store.Time(send), tm(sent), tm(op), tm(cl), tm(sub), tm(rep)
			return &x, nil
		})
}

// token is a recipient's signed reference: "<id>.<mac>".
func token(secret string, id int64) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "vigil-drill:%d", id)
	return strconv.FormatInt(id, 10) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// recipientOf checks a token; a tampered or unknown one is nil.
type target struct {
	id, campaign, person, unitID, course, followup int64
	sentAt                                         int64
	drill                                          string
	landing                                        string
}

func (s *Service) recipientOf(ctx context.Context, tok string) (*target, error) {
	idText, _, ok := strings.Cut(tok, ".")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 || len(tok) > 64 {
		return nil, nil
	}
	var t target
	var secret string
	err = s.DB.QueryRow(ctx, `SELECT r.id, r.campaign_id, r.person_id, c.unit_id, tp.course_id, c.followup_id, r.sent_at, c.name, tp.landing, c.secret
		FROM phishing_recipients r JOIN phishing_campaigns c ON c.id = r.campaign_id JOIN phishing_templates tp ON tp.id = c.template_id WHERE r.id = ?`, id).
		Scan(&t.id, &t.campaign, &t.person, &t.unitID, &t.course, &t.followup, &t.sentAt, &t.drill, &t.landing, &secret)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(token(secret, id)), []byte(tok)) {
		return nil, nil
	}
	return &t, nil
}

// Hit is a request to a tracked address.
type Hit struct {
	Kind      string // open, click, submit, report
	Method    string
	UserAgent string
	IP        string
}

// scannerAgents are substrings of the User-Agent of mail scanners, link
// checkers and sandboxes (lower case).
var scannerAgents = regexp.MustCompile(`(?i)barracuda|mimecast|proofpoint|safelinks|safe links|microsoft office|ms-office|urldefense|fireeye|trend ?micro|symantec|forcepoint|sophos|bitdefender|kaspersky|fortinet|fortiguard|checkpoint|zscaler|cisco|ironport|paloalto|wildfire|cuckoo|sandbox|urlscan|virustotal|python-requests|python-urllib|go-http-client|curl/|wget/|libwww|java/|okhttp|headlesschrome|phantomjs|slackbot|skypeuripreview|bot\b|crawler|spider|preview`)

// scanner says why a hit looks like a machine's rather than the person's.
func (s *Service) scanner(h Hit, sentAt int64) string {
	if h.Method == "HEAD" {
		return "HEAD request"
	}
	if strings.TrimSpace(h.UserAgent) == "" {
		return "no user agent"
	}
	if scannerAgents.MatchString(h.UserAgent) {
		return "known scanner agent"
	}
	window := s.ScannerWindow
	if window == 0 {
		window = 10 * time.Second
	}
	if sentAt > 0 && s.now().Sub(store.Time(sentAt)) < window {
		return "seconds after delivery"
	}
	return ""
}

// ErrUnknown answers a tampered or unknown tracked link (nothing recorded).
var ErrUnknown = errs.NotFound("link")

// Track records a hit on a recipient's token and returns the landing
// text; a tampered token is ignored (ErrUnknown). What a landing form
// sent is not among the arguments: it is never read.
func (s *Service) Track(ctx context.Context, tok string, h Hit) (string, error) {
	t, err := s.recipientOf(ctx, tok)
	if err != nil {
		return "", fmt.Errorf("phishing: track: %w", err)
	}
	if t == nil {
		return "", ErrUnknown
	}
	why := s.scanner(h, t.sentAt)
	if h.Kind == "report" {
		why = "" // a report is a person's act, whatever forwards it
	}
	now := store.Micros(s.now())
	ua := h.UserAgent
	if len(ua) > 300 {
		ua = ua[:300]
	}
	enroll := false
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO phishing_events (campaign_id, recipient_id, kind, at, scanner, reason, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.campaign, t.id, h.Kind, now, why != "", why, h.IP, ua); err != nil {
			return err
		}
		if why != "" {
			return nil
		}
		steps := map[string][]string{
			"open":   {"opened_at"},
			"click":  {"clicked_at", "opened_at"},
			"submit": {"submitted_at", "clicked_at", "opened_at"},
			"report": {"reported_at"},
		}[h.Kind]
		if steps == nil {
			return errors.New("unknown hit " + h.Kind)
		}
		for _, col := range steps {
			if _, err := markStep(ctx, tx, col, now, t.id); err != nil {
				return err
			}
		}
		if h.Kind == "click" || h.Kind == "submit" {
			res, err := tx.Exec(ctx, `UPDATE phishing_recipients SET enrolled_at = ? WHERE id = ? AND enrolled_at = 0`, now, t.id)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			enroll = n == 1
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("phishing: track: %w", err)
	}
	if enroll && s.Training != nil && t.course != 0 {
		fid, err := s.Training.EnrollFollowUp(ctx, t.followup, "Học lại sau diễn tập: "+t.drill, t.unitID, t.course, t.person)
		if err != nil {
			return t.landing, err
		}
		if t.followup == 0 {
			if _, err := s.DB.Exec(ctx, `UPDATE phishing_campaigns SET followup_id = ? WHERE id = ? AND followup_id = 0`, fid, t.campaign); err != nil {
				return t.landing, err
			}
		}
	}
	return t.landing, nil
}

// drillHeader names the drill in each message, for the report button and
// the report mailbox.
const drillHeader = "X-Vigil-Drill"

var reportRE = regexp.MustCompile(`(?i)` + drillHeader + `:\s*([0-9]+\.[A-Za-z0-9_-]{10,40})`)

// Report records a reported drill message: body is the message as the
// report button or the report mailbox forwards it (its X-Vigil-Drill
// header), or the bare token. Unknown and tampered ones are ignored.
func (s *Service) Report(ctx context.Context, body, ip, ua string) error {
	tok := strings.TrimSpace(body)
	if m := reportRE.FindStringSubmatch(body); m != nil {
		tok = m[1]
	}
	_, err := s.Track(ctx, tok, Hit{Kind: "report", Method: "POST", IP: ip, UserAgent: ua})
	if err == ErrUnknown {
		return nil
	}
	return err
}

// SendDue sends the drill messages whose time has come, each relay at its
// rate, and returns how many went out. Each recipient is checked once more
// to be an active employee of the drill's unit.
func (s *Service) SendDue(ctx context.Context, n int) (int, error) {
	if s.Relay == nil {
		return 0, nil
	}
	relay, base := s.Relay()
	if relay == nil {
		return 0, nil
	}
	base = strings.TrimSuffix(base, "/")
	rows, err := s.DB.Query(ctx, `SELECT r.id, c.secret, p.name, p.email, p.position, p.department, pu.name, t.subject, t.sender_name, t.body, t.landing, c.id
		FROM phishing_recipients r JOIN phishing_campaigns c ON c.id = r.campaign_id JOIN phishing_templates t ON t.id = c.template_id
		JOIN training_people p ON p.id = r.person_id JOIN units pu ON pu.id = p.unit_id JOIN units cu ON cu.id = c.unit_id
		WHERE r.status = 'scheduled' AND r.send_at <= ? AND NOT p.disabled AND pu.path LIKE cu.path || '%'
		ORDER BY r.send_at LIMIT ?`, store.Micros(s.now()), n)
	if err != nil {
		return 0, fmt.Errorf("phishing: send: %w", err)
	}
	type job struct {
		id                                                          int64
		secret, name, email, position, dept, unit, subj, from, body string
		landing                                                     string
		campaign                                                    int64
	}
	var jobs []job
	for rows.Next() {
		var j job
		if err := rows.Scan(&j.id, &j.secret, &j.name, &j.email, &j.position, &j.dept, &j.unit, &j.subj, &j.from, &j.body, &j.landing, &j.campaign); err != nil {
			rows.Close()
			return 0, err
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	sent := 0
	for _, j := range jobs {
		if err := CheckText("body", j.body); err != nil { // never send a broken template
			s.DB.Exec(ctx, `UPDATE phishing_recipients SET status = 'refused', error = ? WHERE id = ?`, err.Error(), j.id)
			continue
		}
		if err := s.limit.wait(ctx, relay.Addr, s.PerRelayPerMinute); err != nil {
			return sent, err
		}
		tok := token(j.secret, j.id)
		link := base + "/p/" + tok
		vars := map[string]string{"name": j.name, "email": j.email, "position": j.position, "department": j.dept, "unit": j.unit, "link": link,
			"date": i18n.FormatDate(s.now().AddDate(0, 0, 2), "vi")}
		text := Render(j.body, vars, nil)
		msg := &message{To: j.email, FromName: j.from, Subject: Render(j.subj, vars, nil), Text: text,
			HTML: htmlBody(text, link, base+"/p/o/"+tok+".gif"), Headers: map[string]string{drillHeader: tok}}
		err := send(ctx, relay, msg)
		now := store.Micros(s.now())
		switch {
		case err == nil:
			sent++
			err = s.DB.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Exec(ctx, `UPDATE phishing_recipients SET status = 'sent', error = '' WHERE id = ?`, j.id); err != nil {
					return err
				}
				_, err := markStep(ctx, tx, "sent_at", now, j.id)
				return err
			})
		case errors.Is(err, errPermanent):
			_, err = s.DB.Exec(ctx, `UPDATE phishing_recipients SET status = 'bounced', error = ? WHERE id = ?`, clip(err.Error()), j.id)
		default:
			_, err = s.DB.Exec(ctx, `UPDATE phishing_recipients SET send_at = ?, error = ? WHERE id = ?`, store.Micros(s.now().Add(5*time.Minute)), clip(err.Error()), j.id)
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, nil
}

func clip(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}

// UnitResult is a unit's drill outcomes, every drill in scope together
// (each unit its own employees).
type UnitResult struct {
	Unit string `json:"unit"`
	Results
}

// ByUnit counts drill outcomes per unit in the caller's scope, for the IT
// Center's dashboard.
func (s *Service) ByUnit(ctx context.Context) (map[string]*UnitResult, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := p.Scope("u.path")
	// The per-unit counters (counts.go), not every recipient of every drill.
	rows, err := s.DB.Query(ctx, `SELECT u.code, COALESCE(SUM(k.sent), 0), COALESCE(SUM(k.opened), 0), COALESCE(SUM(k.clicked), 0),
		COALESCE(SUM(k.submitted), 0), COALESCE(SUM(k.reported), 0)
		FROM phishing_unit_counts k JOIN units u ON u.id = k.unit_id WHERE `+cond+` GROUP BY u.code`, args...)
	if err != nil {
		return nil, fmt.Errorf("phishing: by unit: %w", err)
	}
	defer rows.Close()
	out := map[string]*UnitResult{}
	for rows.Next() {
		var x UnitResult
		if err := rows.Scan(&x.Unit, &x.Sent, &x.Opened, &x.Clicked, &x.Submitted, &x.Reported); err != nil {
			return nil, err
		}
		out[x.Unit] = &x
	}
	return out, rows.Err()
}
