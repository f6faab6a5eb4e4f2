// Package training is awareness training (issue 14, measure 4): employees,
// courses of Markdown lessons each ending with a quiz, campaigns that
// assign a course to units with a deadline, invitations and reminders by
// e-mail, completion per person, department and unit, and certificates.
//
// People. Employees are a lighter kind of user than officers and are kept
// apart from them: they live in training_people, not users; they sign in
// only by a one-time link sent to their e-mail address (no password), and
// their session (a cookie of its own, vigil_learner) reaches only the
// learner's pages under /learn, which read the signed-in person's own
// training and nothing else. They hold no auth.Principal, so no officer
// page or API route can ever answer them.
//
// Rights (officers, through auth.Principal). Officers import employees and
// run campaigns for the units of their subtree (CanWrite); the IT Center
// (the root unit's writers: admins and root officers) edits courses; every
// reader sees completion inside their subtree.
package training

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/store"
)

// Lifetimes of the e-mail sign-in.
const (
	LinkLifetime    = 20 * time.Minute
	SessionLifetime = 8 * time.Hour
	// LinksPerHour bounds the links one person may ask for.
	LinksPerHour = 5
)

// Service keeps people, courses, campaigns and progress.
type Service struct {
	DB *store.DB
	// Mail returns the hub's mailer and its public address (for links);
	// the hub wires it to the escalation settings. Nil: no e-mail.
	Mail func() (*escalate.Mailer, string)
	// MailPerMinute is the rate invitations and reminders go out at
	// (60 when 0).
	MailPerMinute int
	Logger        *slog.Logger
	Now           func() time.Time // for tests

	starter sync.Once
	sendMu  sync.Mutex
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// Person is an employee.
type Person struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Position   string    `json:"position"`
	Department string    `json:"department"`
	Unit       string    `json:"unit"`
	UnitName   string    `json:"unit_name"`
	UnitID     int64     `json:"-"`
	UnitPath   string    `json:"-"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
}

// unitRef is a unit found by code.
type unitRef struct {
	ID         int64
	Code, Name string
	Path       string
}

func (s *Service) unitByCode(ctx context.Context, code string) (*unitRef, error) {
	var u unitRef
	err := s.DB.QueryRow(ctx, `SELECT id, code, name, path FROM units WHERE code = ?`, strings.TrimSpace(code)).Scan(&u.ID, &u.Code, &u.Name, &u.Path)
	if store.IsNoRows(err) {
		return nil, errs.NotFound("unit")
	}
	if err != nil {
		return nil, fmt.Errorf("training: unit: %w", err)
	}
	return &u, nil
}

// readableUnit finds the unit code names for p: not found when it is
// outside p's subtree.
func (s *Service) readableUnit(ctx context.Context, p *auth.Principal, code string) (*unitRef, error) {
	u, err := s.unitByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	if !p.CanRead(u.Path) {
		return nil, errs.NotFound("unit")
	}
	return u, nil
}

// writableUnit is readableUnit for a change: forbidden when p reads but
// may not write there.
func (s *Service) writableUnit(ctx context.Context, p *auth.Principal, code string) (*unitRef, error) {
	u, err := s.readableUnit(ctx, p, code)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(u.Path) {
		return nil, errs.Forbidden("only the unit's officers manage its training")
	}
	return u, nil
}

// ImportResult says what an employee import did.
type ImportResult struct {
	Unit    string `json:"unit"`
	Read    int    `json:"read"`
	Created int    `json:"created"`
	Updated int    `json:"updated"`
}

// ImportEmployees adds or updates the employees of rows in unit (atomic:
// one bad row and nothing is kept). An address already belonging to an
// employee of a unit outside the caller's subtree is refused with its line.
func (s *Service) ImportEmployees(ctx context.Context, unitCode string, rows []EmployeeRow) (*ImportResult, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	u, err := s.writableUnit(ctx, p, unitCode)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Unit: u.Code, Read: len(rows)}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		res.Created, res.Updated = 0, 0
		now := store.Micros(s.now())
		existing := map[string]struct {
			id   int64
			path string
		}{}
		// One query for the addresses already known (in chunks).
		for i := 0; i < len(rows); i += 500 {
			chunk := rows[i:min(i+500, len(rows))]
			q := `SELECT p.id, p.email, u.path FROM training_people p JOIN units u ON u.id = p.unit_id WHERE p.email IN (?` + strings.Repeat(",?", len(chunk)-1) + `)`
			args := make([]any, len(chunk))
			for j, r := range chunk {
				args[j] = r.Email
			}
			rs, err := tx.Query(ctx, q, args...)
			if err != nil {
				return fmt.Errorf("training: import: %w", err)
			}
			for rs.Next() {
				var id int64
				var email, path string
				if err := rs.Scan(&id, &email, &path); err != nil {
					rs.Close()
					return err
				}
				existing[email] = struct {
					id   int64
					path string
				}{id, path}
			}
			rs.Close()
		}
		for _, r := range rows {
			if e, ok := existing[r.Email]; ok {
				if !p.CanWrite(e.path) {
					return errs.Invalid("file", "line %d, column email: %s is an employee of another unit", r.Line, r.Email)
				}
				if _, err := tx.Exec(ctx, `UPDATE training_people SET name = ?, position = ?, department = ?, unit_id = ?, disabled = FALSE, updated_at = ? WHERE id = ?`,
					r.Name, r.Position, r.Department, u.ID, now, e.id); err != nil {
					return fmt.Errorf("training: import: %w", err)
				}
				res.Updated++
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO training_people (unit_id, name, email, position, department, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				u.ID, r.Name, r.Email, r.Position, r.Department, now, now); err != nil {
				return fmt.Errorf("training: import: %w", err)
			}
			res.Created++
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "training.import_employees", ObjectType: "unit", ObjectID: u.Code, UnitID: u.ID,
			After: map[string]any{"employees": len(rows), "created": res.Created, "updated": res.Updated}})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// PeopleFilter selects employees.
type PeopleFilter struct {
	Unit       string // the unit and the units under it
	Department string
	Query      string
	Sort       string
	Desc       bool
	Offset     int
	Limit      int
}

// PeopleSortKeys are the sorts of the employee list.
var PeopleSortKeys = []string{"name", "email", "unit", "department"}

const personCols = `SELECT p.id, p.name, p.email, p.position, p.department, u.code, u.name, u.id, u.path, p.disabled, p.created_at`
const personFrom = ` FROM training_people p JOIN units u ON u.id = p.unit_id`

func scanPerson(sc store.Scanner) (*Person, error) {
	var x Person
	var created int64
	if err := sc.Scan(&x.ID, &x.Name, &x.Email, &x.Position, &x.Department, &x.Unit, &x.UnitName, &x.UnitID, &x.UnitPath, &x.Disabled, &created); err != nil {
		return nil, err
	}
	x.CreatedAt = store.Time(created)
	return &x, nil
}

// People lists the employees in the caller's scope.
func (s *Service) People(ctx context.Context, f PeopleFilter) ([]*Person, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	l := store.NewList("p.id", f.Limit, 100).Scope(p, "u.path").Skip(f.Offset)
	if f.Unit != "" {
		u, err := s.readableUnit(ctx, p, f.Unit)
		if err != nil {
			return nil, 0, err
		}
		l.Where(`u.path LIKE ? ESCAPE '\'`, store.LikePrefix(u.Path))
	}
	if f.Department != "" {
		l.Where("p.department = ?", f.Department)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		l.Where(`(p.name LIKE ? ESCAPE '\' OR p.email LIKE ? ESCAPE '\')`, store.LikeContains(q), store.LikeContains(strings.ToLower(q)))
	}
	switch f.Sort {
	case "name":
		l.OrderBy("p.name", f.Desc)
	case "email":
		l.OrderBy("p.email", f.Desc)
	case "unit":
		l.OrderBy("u.code", f.Desc)
	case "department":
		l.OrderBy("p.department", f.Desc)
	default:
		l.OrderBy("p.id", f.Desc)
	}
	return store.FetchPage(ctx, s.DB, l, personCols, personFrom, scanPerson)
}

// PersonByID loads one employee for the caller (not found outside scope).
func (s *Service) PersonByID(ctx context.Context, id int64) (*Person, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	x, err := scanPerson(s.DB.QueryRow(ctx, personCols+personFrom+` WHERE p.id = ?`, id))
	if err := p.CheckRead(err, func() string { return x.UnitPath }, errs.NotFound("employee")); err != nil {
		return nil, err
	}
	return x, nil
}

// Learner is a signed-in employee: what the learner's pages know of them.
type Learner struct {
	PersonID int64
	Name     string
	Email    string
	UnitID   int64
	Unit     string
	UnitName string
	CSRF     string
}

// RequestLink sends a one-time sign-in link to email when it belongs to an
// active employee. It answers the same whether or not it does, so the form
// does not tell who works where; the mail goes out off the request path.
func (s *Service) RequestLink(ctx context.Context, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return errs.Invalid("email", "is required")
	}
	if len(email) > maxEmail || !validEmail(email) {
		return errs.Invalid("email", "%q is not an e-mail address", email)
	}
	var id int64
	var name string
	err := s.DB.QueryRow(ctx, `SELECT id, name FROM training_people WHERE email = ? AND NOT disabled`, email).Scan(&id, &name)
	if store.IsNoRows(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("training: link: %w", err)
	}
	now := s.now()
	var recent int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM training_links WHERE person_id = ? AND created_at > ?`, id, store.Micros(now.Add(-time.Hour))).Scan(&recent); err != nil {
		return fmt.Errorf("training: link: %w", err)
	}
	if recent >= LinksPerHour {
		return nil // quietly: the last links are still in the mailbox
	}
	token := auth.NewSecret("vgt_")
	if _, err := s.DB.Exec(ctx, `INSERT INTO training_links (token_hash, person_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
		auth.HashSecret(token), id, store.Micros(now), store.Micros(now.Add(LinkLifetime))); err != nil {
		return fmt.Errorf("training: link: %w", err)
	}
	mailer, base := s.mailer()
	if mailer == nil {
		s.logger().Warn("training: a sign-in link was asked for but no SMTP server is configured", "person", id)
		return nil
	}
	msg := signInMail(email, name, base+"/learn/signin?t="+token)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := mailer.Send(ctx, msg); err != nil {
			s.logger().Warn("training: sign-in link not delivered", "person", id, "err", err)
		}
	}()
	return nil
}

func (s *Service) mailer() (*escalate.Mailer, string) {
	if s.Mail == nil {
		return nil, ""
	}
	m, base := s.Mail()
	return m, strings.TrimSuffix(base, "/")
}

func signInMail(to, name, link string) *escalate.Mail {
	return &escalate.Mail{To: []string{to}, Subject: "Đường dẫn đăng nhập học an toàn thông tin / Your sign-in link",
		Body: fmt.Sprintf("Chào %s,\n\nBấm vào đường dẫn dưới đây để vào học (dùng được một lần, trong %d phút):\n%s\n\n"+
			"Nếu bạn không yêu cầu, hãy bỏ qua thư này.\n\n--\nHello %s, open the link above to sign in to your security training (single use, valid %d minutes).\n",
			name, int(LinkLifetime.Minutes()), link, name, int(LinkLifetime.Minutes())),
		Headers: map[string]string{"X-Vigil-Training": "signin"}}
}

// ErrBadLink answers an unknown, used or expired sign-in link.
var ErrBadLink = errs.Errorf(errs.EUNAUTHORIZED, "this sign-in link is unknown, already used or expired: ask for a new one")

// SignIn spends a sign-in link (once) and starts a learner session; it
// returns the session's cookie value.
func (s *Service) SignIn(ctx context.Context, token string) (string, *Learner, error) {
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, "vgt_") || len(token) > 100 {
		return "", nil, ErrBadLink
	}
	now := store.Micros(s.now())
	var cookie string
	var l *Learner
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		var pid int64
		err := tx.QueryRow(ctx, `SELECT person_id FROM training_links WHERE token_hash = ? AND used_at = 0 AND expires_at > ?`, auth.HashSecret(token), now).Scan(&pid)
		if store.IsNoRows(err) {
			return ErrBadLink
		}
		if err != nil {
			return fmt.Errorf("training: sign in: %w", err)
		}
		res, err := tx.Exec(ctx, `UPDATE training_links SET used_at = ? WHERE token_hash = ? AND used_at = 0`, now, auth.HashSecret(token))
		if err != nil {
			return fmt.Errorf("training: sign in: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrBadLink
		}
		cookie, l, err = s.startSession(ctx, tx, pid, "e-mail link")
		return err
	})
	if err != nil {
		return "", nil, err
	}
	return cookie, l, nil
}

// startSession opens a learner session for person pid (signed in via
// "e-mail link" or "sso") and audits the sign-in; it returns the cookie.
func (s *Service) startSession(ctx context.Context, tx *store.Tx, pid int64, via string) (string, *Learner, error) {
	cookie := auth.NewSecret("vgl_learn_")
	csrf := auth.NewSecret("")
	l, err := learnerByPerson(ctx, tx, pid)
	if err != nil {
		return "", nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO training_sessions (id, person_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		auth.HashSecret(cookie), pid, csrf, store.Micros(s.now()), store.Micros(s.now().Add(SessionLifetime))); err != nil {
		return "", nil, fmt.Errorf("training: sign in: %w", err)
	}
	l.CSRF = csrf
	actx := auth.WithPrincipal(ctx, &auth.Principal{Email: l.Email, Name: l.Name, Via: "learner"})
	action := "training.sign_in"
	if via == "sso" {
		action = "training.sign_in_sso"
	}
	if err := audit.Append(actx, tx, audit.Entry{Action: action, ObjectType: "employee", ObjectID: strconv.FormatInt(pid, 10), UnitID: l.UnitID,
		After: map[string]any{"via": via}}); err != nil {
		return "", nil, err
	}
	return cookie, l, nil
}

func learnerByPerson(ctx context.Context, tx *store.Tx, pid int64) (*Learner, error) {
	var l Learner
	var disabled bool
	err := tx.QueryRow(ctx, `SELECT p.id, p.name, p.email, u.id, u.code, u.name, p.disabled FROM training_people p JOIN units u ON u.id = p.unit_id WHERE p.id = ?`, pid).
		Scan(&l.PersonID, &l.Name, &l.Email, &l.UnitID, &l.Unit, &l.UnitName, &disabled)
	if err != nil || disabled {
		return nil, ErrBadLink
	}
	return &l, nil
}

// LearnerSession returns the learner of a session cookie, or nil.
func (s *Service) LearnerSession(ctx context.Context, cookie string) (*Learner, error) {
	if !strings.HasPrefix(cookie, "vgl_learn_") {
		return nil, nil
	}
	var l Learner
	err := s.DB.QueryRow(ctx, `SELECT p.id, p.name, p.email, u.id, u.code, u.name, se.csrf FROM training_sessions se
		JOIN training_people p ON p.id = se.person_id JOIN units u ON u.id = p.unit_id
		WHERE se.id = ? AND se.expires_at > ? AND NOT p.disabled`, auth.HashSecret(cookie), store.Micros(s.now())).
		Scan(&l.PersonID, &l.Name, &l.Email, &l.UnitID, &l.Unit, &l.UnitName, &l.CSRF)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("training: session: %w", err)
	}
	return &l, nil
}

// EndSession signs a learner out.
func (s *Service) EndSession(ctx context.Context, cookie string) error {
	_, err := s.DB.Exec(ctx, `DELETE FROM training_sessions WHERE id = ?`, auth.HashSecret(cookie))
	return err
}

// Purge drops expired sessions and links (a scheduled job).
func (s *Service) Purge(ctx context.Context) error {
	now := store.Micros(s.now())
	if _, err := s.DB.Exec(ctx, `DELETE FROM training_sessions WHERE expires_at < ?`, now); err != nil {
		return err
	}
	_, err := s.DB.Exec(ctx, `DELETE FROM training_links WHERE expires_at < ?`, store.Micros(s.now().Add(-24*time.Hour)))
	return err
}
