package training

import (
	"context"

	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/escalate"
	"vigil/internal/findings"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// CampaignInput assigns a course to units with a deadline.
type CampaignInput struct {
	Course string   `json:"course"` // id or slug
	Units  []string `json:"units"`  // unit codes, each with the units under it
	DueAt  string   `json:"due_at"` // dd/mm/yyyy, yyyy-mm-dd or RFC 3339
	Name   string   `json:"name,omitempty"`
	// RemindDays is the interval of reminders to those not done (0: none).
	RemindDays int `json:"remind_days,omitempty"`
	// Target is the completion share (percent) a unit should reach by the
	// deadline (90 when 0).
	Target int `json:"target,omitempty"`
}

// Campaign is a course assigned to units.
type Campaign struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CourseID   int64     `json:"course_id"`
	Course     string    `json:"course"`
	Units      []string  `json:"units"`
	DueAt      time.Time `json:"due_at"`
	Target     int       `json:"target"`
	RemindDays int       `json:"remind_days"`
	People     int       `json:"people"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
	Completion
}

// Completion counts assignments.
type Completion struct {
	Assigned  int `json:"assigned"`
	Completed int `json:"completed"`
	Passed    int `json:"passed"`
}

func parseDue(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errs.Invalid("due_at", "is required")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := findings.ParseDue(s)
	if err != nil {
		return time.Time{}, errs.Invalid("due_at", "%q is not a date: write it as dd/mm/yyyy (31/12/2026) or yyyy-mm-dd", s)
	}
	return t, nil
}

// CreateCampaign assigns a course to every active employee of the units
// (and the units under them) and queues their invitations; the mail goes
// out later at the hub's rate (SendDue).
func (s *Service) CreateCampaign(ctx context.Context, in CampaignInput) (*Campaign, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	courseID, err := s.courseRef(ctx, in.Course)
	if err != nil {
		return nil, err
	}
	due, err := parseDue(in.DueAt)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if due.Before(now) {
		return nil, errs.Invalid("due_at", "the deadline has passed")
	}
	if len(in.Units) == 0 {
		return nil, errs.Invalid("units", "choose at least one unit")
	}
	if in.RemindDays < 0 || in.RemindDays > 60 {
		return nil, errs.Invalid("remind_days", "must be from 0 to 60 days")
	}
	if in.Target == 0 {
		in.Target = 90
	}
	if in.Target < 1 || in.Target > 100 {
		return nil, errs.Invalid("target", "must be a percentage from 1 to 100")
	}
	var units []*unitRef
	var codes []string
	for _, c := range in.Units {
		u, err := s.writableUnit(ctx, p, c)
		if err != nil {
			if errs.Code(err) == errs.ENOTFOUND {
				return nil, errs.Invalid("units", "no unit %q in your scope", c)
			}
			return nil, err
		}
		if !slices.Contains(codes, u.Code) {
			units, codes = append(units, u), append(codes, u.Code)
		}
	}
	c, err := s.course(ctx, courseID)
	if err != nil {
		return nil, err
	}
	if len(c.Lessons) == 0 {
		return nil, errs.Invalid("course", "the course has no lesson yet: add one first")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" {
		shown := strings.Join(codes, ", ")
		if len(codes) > 3 {
			shown = strings.Join(codes[:3], ", ") + fmt.Sprintf("… (+%d)", len(codes)-3)
		}
		name = c.Title + " — " + shown
	}
	if utf8.RuneCountInString(name) > maxText {
		return nil, errs.Invalid("name", "longer than %d characters", maxText)
	}
	owner := units[0].ID
	if p.UnitID != 0 {
		owner = p.UnitID
	}
	var id int64
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		nowUS := store.Micros(now)
		next := int64(0)
		if in.RemindDays > 0 {
			next = store.Micros(now.AddDate(0, 0, in.RemindDays))
		}
		if err := tx.QueryRow(ctx, `INSERT INTO training_campaigns (name, course_id, unit_codes, owner_unit_id, due_at, target, remind_days, next_remind_at, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, name, courseID, strings.Join(codes, ","), owner, store.Micros(due), in.Target, in.RemindDays, next, p.Email, nowUS).Scan(&id); err != nil {
			return err
		}
		var conds []string
		args := []any{id, courseID, store.Micros(due), nowUS}
		for _, u := range units {
			conds = append(conds, `u.path LIKE ? ESCAPE '\'`)
			args = append(args, store.LikePrefix(u.Path))
		}
		// One statement each, whatever the number of people: 30,000
		// assignments and invitations are queued in well under a second.
		if _, err := tx.Exec(ctx, `INSERT INTO training_assignments (campaign_id, person_id, course_id, unit_id, due_at, assigned_at)
			SELECT ?, p.id, ?, p.unit_id, ?, ? FROM training_people p JOIN units u ON u.id = p.unit_id
			WHERE NOT p.disabled AND (`+strings.Join(conds, " OR ")+`)`, args...); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO training_mail (kind, campaign_id, person_id, created_at, send_after)
			SELECT 'invite', campaign_id, person_id, ?, ? FROM training_assignments WHERE campaign_id = ?`, nowUS, nowUS, id); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM training_assignments WHERE campaign_id = ?`, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return errs.Invalid("units", "the units chosen have no employees: import them first")
		}
		if _, err := tx.Exec(ctx, `UPDATE training_campaigns SET people = ? WHERE id = ?`, n, id); err != nil {
			return err
		}
		// Someone who already passed the course (an earlier campaign) is
		// counted as done at once.
		if _, err := tx.Exec(ctx, `UPDATE training_assignments SET completed_at = o.completed_at, passed_at = o.passed_at, score = o.score
			FROM (SELECT person_id, MAX(completed_at) AS completed_at, MAX(passed_at) AS passed_at, MAX(score) AS score FROM training_assignments
				WHERE course_id = ? AND campaign_id <> ? AND completed_at > 0 GROUP BY person_id) o
			WHERE training_assignments.campaign_id = ? AND training_assignments.person_id = o.person_id`, courseID, id, id); err != nil {
			return err
		}
		if err := countCampaign(ctx, tx, id); err != nil {
			return err
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "training.create_campaign", ObjectType: "training_campaign", ObjectID: strconv.FormatInt(id, 10), UnitID: owner,
			After: map[string]any{"name": name, "course": c.Title, "units": strings.Join(codes, ", "), "due_at": i18n.FormatDate(due, "vi"), "people": n,
				"remind_days": in.RemindDays, "target": in.Target}})
	})
	if err != nil {
		if errs.Code(err) != "" && errs.Code(err) != errs.EINTERNAL {
			return nil, err
		}
		return nil, fmt.Errorf("training: campaign: %w", err)
	}
	return s.Campaign(ctx, id)
}

const campaignCols = `SELECT c.id, c.name, c.course_id, co.title, c.unit_codes, c.due_at, c.target, c.remind_days, c.people, c.created_by, c.created_at`

func scanCampaign(sc store.Scanner) (*Campaign, error) {
	var c Campaign
	var codes string
	var due, created int64
	if err := sc.Scan(&c.ID, &c.Name, &c.CourseID, &c.Course, &codes, &due, &c.Target, &c.RemindDays, &c.People, &c.CreatedBy, &created); err != nil {
		return nil, err
	}
	c.Units = strings.Split(codes, ",")
	c.DueAt, c.CreatedAt = store.Time(due), store.Time(created)
	return &c, nil
}

// campaignScope limits campaigns to those with an assignment in the
// caller's subtree or owned by a unit of it.
func campaignScope(p *auth.Principal) (string, []any) {
	cond, args := p.Scope("su.path")
	return `(EXISTS (SELECT 1 FROM training_assignments sa JOIN units su ON su.id = sa.unit_id WHERE sa.campaign_id = c.id AND ` + cond + `)
		OR EXISTS (SELECT 1 FROM units su WHERE su.id = c.owner_unit_id AND ` + cond + `))`, append(args, args...)
}

// Campaign loads one campaign with its counts in the caller's scope.
func (s *Service) Campaign(ctx context.Context, id int64) (*Campaign, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	cond, args := campaignScope(p)
	c, err := scanCampaign(s.DB.QueryRow(ctx, campaignCols+` FROM training_campaigns c JOIN training_courses co ON co.id = c.course_id WHERE c.id = ? AND `+cond,
		append([]any{id}, args...)...))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("campaign")
	}
	if err != nil {
		return nil, fmt.Errorf("training: campaign: %w", err)
	}
	if c.Completion, err = s.CompletionOf(ctx, CompletionFilter{Campaign: id}); err != nil {
		return nil, err
	}
	return c, nil
}

// CampaignSortKeys are the sorts of the campaign list.
var CampaignSortKeys = []string{"due_at", "created_at", "name"}

// Campaigns lists the campaigns in scope, newest first.
func (s *Service) Campaigns(ctx context.Context, sort string, desc bool, offset, limit int) ([]*Campaign, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	cond, args := campaignScope(p)
	l := store.NewList("c.id DESC", limit, 100).Where(cond, args...).Skip(offset)
	switch sort {
	case "due_at":
		l.OrderBy("c.due_at", desc)
	case "name":
		l.OrderBy("c.name", desc)
	case "created_at":
		l.OrderBy("c.created_at", desc)
	}
	list, total, err := store.FetchPage(ctx, s.DB, l, campaignCols, ` FROM training_campaigns c JOIN training_courses co ON co.id = c.course_id`, scanCampaign)
	if err != nil {
		return nil, 0, fmt.Errorf("training: campaigns: %w", err)
	}
	for _, c := range list {
		if c.Completion, err = s.CompletionOf(ctx, CompletionFilter{Campaign: c.ID}); err != nil {
			return nil, 0, err
		}
	}
	return list, total, nil
}

// CompletionFilter narrows completion counts.
type CompletionFilter struct {
	Unit       string // a unit and the units under it
	Campaign   int64
	Department string
}

// where returns the conditions on a (training_assignments, or
// training_unit_counts when there is no department) joined to u (units)
// and p (training_people) for the caller.
func (s *Service) completionWhere(ctx context.Context, p *auth.Principal, f CompletionFilter) (string, []any, error) {
	cond, args := p.Scope("u.path")
	conds := []string{cond}
	if f.Unit != "" {
		u, err := s.readableUnit(ctx, p, f.Unit)
		if err != nil {
			return "", nil, err
		}
		conds = append(conds, `u.path LIKE ? ESCAPE '\'`)
		args = append(args, store.LikePrefix(u.Path))
	}
	if f.Campaign != 0 {
		conds = append(conds, "a.campaign_id = ?")
		args = append(args, f.Campaign)
	}
	if f.Department != "" {
		conds = append(conds, "p.department = ?")
		args = append(args, f.Department)
	}
	return strings.Join(conds, " AND "), args, nil
}

// CompletionOf counts the assignments in the caller's scope: assigned,
// completed (every quiz taken) and passed (every quiz passed).
func (s *Service) CompletionOf(ctx context.Context, f CompletionFilter) (Completion, error) {
	var c Completion
	p, err := auth.Require(ctx)
	if err != nil {
		return c, err
	}
	cond, args, err := s.completionWhere(ctx, p, f)
	if err != nil {
		return c, err
	}
	q := `SELECT COALESCE(SUM(a.assigned), 0), COALESCE(SUM(a.completed), 0), COALESCE(SUM(a.passed), 0)
		FROM training_unit_counts a JOIN units u ON u.id = a.unit_id WHERE ` + cond
	if f.Department != "" { // the counters are per unit: count the department's assignments
		q = `SELECT COUNT(*), COALESCE(SUM(CASE WHEN a.completed_at > 0 THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN a.passed_at > 0 THEN 1 ELSE 0 END), 0)
		FROM training_assignments a JOIN units u ON u.id = a.unit_id JOIN training_people p ON p.id = a.person_id WHERE ` + cond
	}
	err = s.DB.QueryRow(ctx, q, args...).Scan(&c.Assigned, &c.Completed, &c.Passed)
	if err != nil {
		return c, fmt.Errorf("training: completion: %w", err)
	}
	return c, nil
}

// UnitRow is a unit's completion on the dashboard.
type UnitRow struct {
	Unit     string    `json:"unit"`
	UnitName string    `json:"unit_name"`
	DueAt    time.Time `json:"due_at"` // the earliest deadline of its assignments
	Target   int       `json:"target"`
	Completion
	// Share is the completed share in percent; Below says it is under the
	// target, Late that it is and the deadline has passed.
	Share int  `json:"share"`
	Below bool `json:"below_target"`
	Late  bool `json:"late"`
}

// ByUnit is the IT Center's dashboard: completion per unit (each unit its
// own employees) in the caller's scope, for a campaign or all of them.
func (s *Service) ByUnit(ctx context.Context, f CompletionFilter) ([]*UnitRow, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	cond, args, err := s.completionWhere(ctx, p, f)
	if err != nil {
		return nil, err
	}
	q := `SELECT u.code, u.name, MIN(a.due_at), MAX(c.target), SUM(a.assigned), SUM(a.completed), SUM(a.passed)
		FROM training_unit_counts a JOIN units u ON u.id = a.unit_id JOIN training_campaigns c ON c.id = a.campaign_id
		WHERE a.assigned > 0 AND ` + cond + ` GROUP BY u.code, u.name ORDER BY u.code`
	if f.Department != "" { // the counters are per unit: count the department's assignments
		q = `SELECT u.code, u.name, MIN(a.due_at), MAX(c.target), COUNT(*),
		SUM(CASE WHEN a.completed_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN a.passed_at > 0 THEN 1 ELSE 0 END)
		FROM training_assignments a JOIN units u ON u.id = a.unit_id JOIN training_campaigns c ON c.id = a.campaign_id JOIN training_people p ON p.id = a.person_id
		WHERE ` + cond + ` GROUP BY u.code, u.name ORDER BY u.code`
	}
	rows, err := s.DB.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("training: by unit: %w", err)
	}
	defer rows.Close()
	now := s.now()
	var out []*UnitRow
	for rows.Next() {
		var r UnitRow
		var due int64
		if err := rows.Scan(&r.Unit, &r.UnitName, &due, &r.Target, &r.Assigned, &r.Completed, &r.Passed); err != nil {
			return nil, err
		}
		r.DueAt = store.Time(due)
		if r.Assigned > 0 {
			r.Share = r.Completed * 100 / r.Assigned
		}
		r.Below = r.Share < r.Target
		r.Late = r.Below && now.After(r.DueAt)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// DepartmentRow is a department's completion inside a unit.
type DepartmentRow struct {
	Unit       string `json:"unit"`
	Department string `json:"department"`
	Completion
}

// ByDepartment counts completion per unit and department.
func (s *Service) ByDepartment(ctx context.Context, f CompletionFilter) ([]*DepartmentRow, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	cond, args, err := s.completionWhere(ctx, p, f)
	if err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT u.code, p.department, COUNT(*),
		SUM(CASE WHEN a.completed_at > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN a.passed_at > 0 THEN 1 ELSE 0 END)
		FROM training_assignments a JOIN units u ON u.id = a.unit_id JOIN training_people p ON p.id = a.person_id
		WHERE `+cond+` GROUP BY u.code, p.department ORDER BY u.code, p.department`, args...)
	if err != nil {
		return nil, fmt.Errorf("training: by department: %w", err)
	}
	defer rows.Close()
	var out []*DepartmentRow
	for rows.Next() {
		var r DepartmentRow
		if err := rows.Scan(&r.Unit, &r.Department, &r.Assigned, &r.Completed, &r.Passed); err != nil {
			return nil, err
		}
		out = append(out, &r)
	}
	return out, rows.Err()
}

// Assignment is one person's assignment.
type Assignment struct {
	ID          int64     `json:"id"`
	CampaignID  int64     `json:"campaign_id"`
	CourseID    int64     `json:"course_id"`
	PersonID    int64     `json:"person_id"`
	Name        string    `json:"name"`
	Email       string    `json:"email"`
	Position    string    `json:"position"`
	Department  string    `json:"department"`
	Unit        string    `json:"unit"`
	DueAt       time.Time `json:"due_at"`
	CompletedAt time.Time `json:"completed_at,omitzero"`
	PassedAt    time.Time `json:"passed_at,omitzero"`
	Score       int       `json:"score"`
	State       string    `json:"state"` // passed, completed (not passed), open, late
}

// AssignmentFilter selects assignments.
type AssignmentFilter struct {
	CompletionFilter
	State  string // passed, completed, open, late
	Query  string
	Sort   string
	Desc   bool
	Offset int
	Limit  int
}

// AssignmentSortKeys are the sorts of the per-person list.
var AssignmentSortKeys = []string{"name", "unit", "department", "score", "completed_at"}

// AssignmentStates are the states a person's assignment is in.
var AssignmentStates = []string{"passed", "completed", "open", "late"}

// Assignments lists per person in the caller's scope.
func (s *Service) Assignments(ctx context.Context, f AssignmentFilter) ([]*Assignment, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	cond, args, err := s.completionWhere(ctx, p, f.CompletionFilter)
	if err != nil {
		return nil, 0, err
	}
	now := store.Micros(s.now())
	l := store.NewList("a.id", f.Limit, 100).Where(cond, args...).Skip(f.Offset)
	switch f.State {
	case "":
	case "passed":
		l.Where("a.passed_at > 0")
	case "completed":
		l.Where("a.completed_at > 0 AND a.passed_at = 0")
	case "open":
		l.Where("a.completed_at = 0")
	case "late":
		l.Where("a.completed_at = 0 AND a.due_at < ?", now)
	default:
		return nil, 0, errs.Invalid("state", "must be one of %s", strings.Join(AssignmentStates, ", "))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		l.Where(`(p.name LIKE ? ESCAPE '\' OR p.email LIKE ? ESCAPE '\')`, store.LikeContains(q), store.LikeContains(strings.ToLower(q)))
	}
	switch f.Sort {
	case "name":
		l.OrderBy("p.name", f.Desc)
	case "unit":
		l.OrderBy("u.code", f.Desc)
	case "department":
		l.OrderBy("p.department", f.Desc)
	case "score":
		l.OrderBy("a.score", f.Desc)
	case "completed_at":
		l.OrderBy("a.completed_at", f.Desc)
	default:
		l.OrderBy("a.id", f.Desc)
	}
	return store.FetchPage(ctx, s.DB, l, `SELECT a.id, a.campaign_id, a.course_id, p.id, p.name, p.email, p.position, p.department, u.code, a.due_at, a.completed_at, a.passed_at, a.score`,
		` FROM training_assignments a JOIN units u ON u.id = a.unit_id JOIN training_people p ON p.id = a.person_id`,
		func(sc store.Scanner) (*Assignment, error) {
			var x Assignment
			var due, done, pass int64
			if err := sc.Scan(&x.ID, &x.CampaignID, &x.CourseID, &x.PersonID, &x.Name, &x.Email, &x.Position, &x.Department, &x.Unit, &due, &done, &pass, &x.Score); err != nil {
				return nil, err
			}
			x.DueAt, x.CompletedAt, x.PassedAt = store.Time(due), tm(done), tm(pass)
			switch {
			case pass > 0:
				x.State = "passed"
			case done > 0:
				x.State = "completed"
			case due < now:
				x.State = "late"
			default:
				x.State = "open"
			}
			return &x, nil
		})
}

// mailBatch is one queued message with what its text needs.
type mailBatch struct {
	id, person           int64
	kind, to, name, unit string
	course               string
	courseID             int64
	due                  int64
}

// SendDue sends up to n queued invitations and reminders at the service's
// rate (MailPerMinute) and returns how many went out. A refusal the server
// means for good (5xx: no such mailbox) is recorded as a bounce; another
// failure is tried again later, three times at most.
func (s *Service) SendDue(ctx context.Context, n int) (int, error) {
	if !s.sendMu.TryLock() {
		return 0, nil // the previous run is still sending
	}
	defer s.sendMu.Unlock()
	mailer, base := s.mailer()
	if mailer == nil {
		return 0, nil
	}
	now := store.Micros(s.now())
	rows, err := s.DB.Query(ctx, `SELECT m.id, m.person_id, m.kind, p.email, p.name, u.name, co.title, co.id, c.due_at
		FROM training_mail m JOIN training_people p ON p.id = m.person_id JOIN units u ON u.id = p.unit_id
		JOIN training_campaigns c ON c.id = m.campaign_id JOIN training_courses co ON co.id = c.course_id
		WHERE m.status = 'queued' AND m.send_after <= ? ORDER BY m.send_after, m.id LIMIT ?`, now, n)
	if err != nil {
		return 0, fmt.Errorf("training: mail queue: %w", err)
	}
	var batch []mailBatch
	for rows.Next() {
		var b mailBatch
		if err := rows.Scan(&b.id, &b.person, &b.kind, &b.to, &b.name, &b.unit, &b.course, &b.courseID, &b.due); err != nil {
			rows.Close()
			return 0, err
		}
		batch = append(batch, b)
	}
	rows.Close()
	rate := s.MailPerMinute
	if rate <= 0 {
		rate = 60
	}
	gap := time.Minute / time.Duration(rate)
	sent := 0
	for i, b := range batch {
		if i > 0 {
			select {
			case <-ctx.Done():
				return sent, ctx.Err()
			case <-time.After(gap):
			}
		}
		err := mailer.Send(ctx, campaignMail(b, base))
		switch {
		case err == nil:
			sent++
			_, err = s.DB.Exec(ctx, `UPDATE training_mail SET status = 'sent', sent_at = ?, attempts = attempts + 1, error = '' WHERE id = ?`, store.Micros(s.now()), b.id)
		case escalate.IsPermanent(err):
			_, err = s.DB.Exec(ctx, `UPDATE training_mail SET status = 'bounced', attempts = attempts + 1, error = ? WHERE id = ?`, clip(err.Error()), b.id)
		default:
			msg := clip(err.Error())
			_, err = s.DB.Exec(ctx, `UPDATE training_mail SET status = CASE WHEN attempts >= 2 THEN 'failed' ELSE 'queued' END, attempts = attempts + 1,
				send_after = ?, error = ? WHERE id = ?`, store.Micros(s.now().Add(5*time.Minute)), msg, b.id)
		}
		if err != nil {
			return sent, fmt.Errorf("training: mail queue: %w", err)
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

func campaignMail(b mailBatch, base string) *escalate.Mail {
	due := i18n.FormatDate(store.Time(b.due), "vi")
	subject := "Mời tham gia khóa học: " + b.course
	lead := "Bạn được giao khóa học"
	if b.kind == "remind" {
		subject = "Nhắc hoàn thành khóa học: " + b.course
		lead = "Bạn chưa hoàn thành khóa học"
	}
	body := fmt.Sprintf("Chào %s,\n\n%s \"%s\" (%s), hạn hoàn thành %s.\n\n"+
		"Vào học tại: %s/learn\nĐăng nhập bằng địa chỉ e-mail này: bạn sẽ nhận một đường dẫn đăng nhập dùng một lần, không cần mật khẩu.\n\n"+
		"--\nYou have a security awareness course to complete by %s: %s/learn (sign in with this e-mail address).\n",
		b.name, lead, b.course, b.unit, due, base, due, base)
	return &escalate.Mail{To: []string{b.to}, Subject: subject, Body: body, Headers: map[string]string{"X-Vigil-Training": b.kind}}
}

// QueueReminders queues a reminder to everyone not done in each campaign
// whose reminder time has come (before its deadline), and sets the next.
func (s *Service) QueueReminders(ctx context.Context) (int, error) {
	now := s.now()
	rows, err := s.DB.Query(ctx, `SELECT id, remind_days FROM training_campaigns WHERE remind_days > 0 AND next_remind_at > 0 AND next_remind_at <= ? AND due_at > ?`,
		store.Micros(now), store.Micros(now))
	if err != nil {
		return 0, fmt.Errorf("training: reminders: %w", err)
	}
	type due struct {
		id   int64
		days int
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.days); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, d)
	}
	rows.Close()
	total := 0
	for _, d := range list {
		err := s.DB.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.Exec(ctx, `INSERT INTO training_mail (kind, campaign_id, person_id, created_at, send_after)
				SELECT 'remind', campaign_id, person_id, ?, ? FROM training_assignments WHERE campaign_id = ? AND completed_at = 0`,
				store.Micros(now), store.Micros(now), d.id)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			total += int(n)
			_, err = tx.Exec(ctx, `UPDATE training_campaigns SET next_remind_at = ? WHERE id = ?`, store.Micros(now.AddDate(0, 0, d.days)), d.id)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("training: reminders: %w", err)
		}
	}
	return total, nil
}

// MailCounts says how a campaign's mail stands: queued, sent, bounced,
// failed.
func (s *Service) MailCounts(ctx context.Context, campaign int64) (map[string]int, error) {
	if _, err := s.Campaign(ctx, campaign); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT status, COUNT(*) FROM training_mail WHERE campaign_id = ? GROUP BY status`, campaign)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{"queued": 0, "sent": 0, "bounced": 0, "failed": 0}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// EnrollFollowUp assigns course to one person after a phishing drill they
// fell for: into the drill's follow-up campaign (made on first use, owned
// by the drill's unit, due in 14 days), with an invitation queued. It
// returns the follow-up campaign's id; enrolling twice changes nothing.
func (s *Service) EnrollFollowUp(ctx context.Context, campaignID int64, name string, ownerUnit, courseID, personID int64) (int64, error) {
	now := s.now()
	due := now.AddDate(0, 0, 14)
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		if campaignID == 0 {
			if err := tx.QueryRow(ctx, `INSERT INTO training_campaigns (name, course_id, unit_codes, owner_unit_id, due_at, target, remind_days, created_by, created_at)
				SELECT ?, ?, code, id, ?, 100, 0, 'system', ? FROM units WHERE id = ? RETURNING id`,
				name, courseID, store.Micros(due), store.Micros(now), ownerUnit).Scan(&campaignID); err != nil {
				return err
			}
		}
		res, err := tx.Exec(ctx, `INSERT INTO training_assignments (campaign_id, person_id, course_id, unit_id, due_at, assigned_at)
			SELECT ?, p.id, ?, p.unit_id, ?, ? FROM training_people p WHERE p.id = ?
			ON CONFLICT (campaign_id, person_id) DO NOTHING`, campaignID, courseID, store.Micros(due), store.Micros(now), personID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE training_campaigns SET people = people + 1 WHERE id = ?`, campaignID); err != nil {
			return err
		}
		var unitID int64
		if err := tx.QueryRow(ctx, `SELECT unit_id FROM training_assignments WHERE campaign_id = ? AND person_id = ?`, campaignID, personID).Scan(&unitID); err != nil {
			return err
		}
		if err := countAssigned(ctx, tx, campaignID, unitID, store.Micros(due)); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO training_mail (kind, campaign_id, person_id, created_at, send_after) VALUES ('invite', ?, ?, ?, ?)`,
			campaignID, personID, store.Micros(now), store.Micros(now))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("training: follow-up: %w", err)
	}
	return campaignID, nil
}
