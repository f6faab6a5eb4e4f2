package incident

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/attach"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/detect/ioc"
	"vigil/internal/errs"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

func (s *Service) touch(ctx context.Context, tx *store.Tx, id int64, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE incidents SET updated_at = ? WHERE id = ?`, store.Micros(now), id)
	return err
}

func (s *Service) audit(ctx context.Context, tx *store.Tx, c *Case, action string, before, after any) error {
	return audit.Append(ctx, tx, audit.Entry{Action: action, ObjectType: ObjectType, ObjectID: strconv.FormatInt(c.ID, 10), UnitID: c.UnitID, Before: before, After: after})
}

// Update changes a case and audits what changed.
func (s *Service) Update(ctx context.Context, id int64, in Patch) (*Case, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.workable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		now := s.now()
		before, after := map[string]any{}, map[string]any{}
		setText := func(field string, dst *string, src *string, max int, required bool) error {
			if src == nil {
				return nil
			}
			v, err := textField(field, *src, max)
			if err != nil {
				return err
			}
			if required && v == "" {
				return errs.Invalid(field, "is required")
			}
			if v != *dst {
				before[field], after[field] = *dst, v
				*dst = v
			}
			return nil
		}
		setList := func(field string, dst *[]string, src *[]string) error {
			if src == nil {
				return nil
			}
			v, err := lines(field, *src, field != "os")
			if err != nil {
				return err
			}
			if !slices.Equal(v, *dst) {
				before[field], after[field] = *dst, v
				*dst = v
			}
			return nil
		}
		for _, f := range []error{
			setText("title", &c.Title, in.Title, maxTitle, true),
			setText("description", &c.Description, in.Description, maxText, false),
			setText("system_name", &c.SystemName, in.SystemName, maxShort, false),
			setText("security_measures", &c.SecurityMeasures, in.SecurityMeasures, maxText, false),
			setText("purpose", &c.Purpose, in.Purpose, maxText, false),
			setText("resolution", &c.Resolution, in.Resolution, maxText, false),
			setText("lessons", &c.Lessons, in.Lessons, maxText, false),
			setList("domains", &c.Domains, in.Domains),
			setList("public_ips", &c.PublicIPs, in.PublicIPs),
			setList("os", &c.OS, in.OS),
			setList("services", &c.Services, in.Services),
		} {
			if f != nil {
				return f
			}
		}
		for _, ip := range c.PublicIPs {
			if err := checkPublicIP(ip); err != nil {
				return err
			}
		}
		if in.Category != nil {
			v, err := checkCategory(*in.Category)
			if err != nil {
				return err
			}
			if v != c.Category {
				before["category"], after["category"] = c.Category, v
				c.Category = v
			}
		}
		if in.Severity != nil {
			v, err := checkSeverity(*in.Severity)
			if err != nil {
				return err
			}
			if v != c.Severity {
				before["severity"], after["severity"] = c.Severity, v
				c.Severity = v
			}
		}
		if in.SecurityLevel != nil && *in.SecurityLevel != c.SecurityLevel {
			if err := checkLevel(*in.SecurityLevel); err != nil {
				return err
			}
			before["security_level"], after["security_level"] = c.SecurityLevel, *in.SecurityLevel
			c.SecurityLevel = *in.SecurityLevel
		}
		if in.PersonalData != nil && *in.PersonalData != c.PersonalData {
			before["personal_data"], after["personal_data"] = c.PersonalData, *in.PersonalData
			c.PersonalData = *in.PersonalData
		}
		if in.Serious != nil && *in.Serious != c.Serious {
			before["serious"], after["serious"] = c.Serious, *in.Serious
			c.Serious = *in.Serious
			if c.Serious && c.seriousAt.IsZero() {
				c.seriousAt = now
			}
		}
		if in.VNCERTHelp != nil && *in.VNCERTHelp != c.VNCERTHelp {
			before["vncert_help"], after["vncert_help"] = c.VNCERTHelp, *in.VNCERTHelp
			c.VNCERTHelp = *in.VNCERTHelp
		}
		if in.DamageVND != nil && *in.DamageVND != c.DamageVND {
			if *in.DamageVND < 0 {
				return errs.Invalid("damage_vnd", "cannot be negative")
			}
			before["damage_vnd"], after["damage_vnd"] = c.DamageVND, *in.DamageVND
			c.DamageVND = *in.DamageVND
		}
		if in.SupportFrom != nil {
			v := strings.TrimSpace(*in.SupportFrom)
			if v != "" && !slices.Contains(SupportFrom, v) {
				return errs.Invalid("support_from", "must be one of %s", strings.Join(SupportFrom, ", "))
			}
			if v != c.SupportFrom {
				before["support_from"], after["support_from"] = c.SupportFrom, v
				c.SupportFrom = v
			}
		}
		if in.DetectedAt != nil {
			t, err := ParseTime("detected_at", *in.DetectedAt)
			if err != nil {
				return err
			}
			if t.After(now.Add(5 * time.Minute)) {
				return errs.Invalid("detected_at", "the time of discovery cannot be in the future")
			}
			if !t.Equal(c.DetectedAt) {
				before["detected_at"], after["detected_at"] = c.DetectedAt, t
				c.DetectedAt = t
			}
		}
		if in.Owner != nil {
			u, err := s.userByEmail(ctx, tx, "owner", *in.Owner)
			if err != nil {
				return err
			}
			if u.id != c.OwnerID {
				before["owner"], after["owner"] = c.Owner, u.email
				c.OwnerID = u.id
				if err := s.event(ctx, tx, id, now, p.Email, "owner", u.name+" <"+u.email+">", 0); err != nil {
					return err
				}
			}
		}
		if in.Units != nil {
			codes, err := lines("units", *in.Units, true)
			if err != nil {
				return err
			}
			if len(codes) == 0 {
				return errs.Invalid("units", "choose the unit the incident belongs to")
			}
			if len(codes) > maxUnitsCase {
				return errs.Invalid("units", "choose at most %d units", maxUnitsCase)
			}
			cur := map[string]bool{}
			if err := s.fill(ctx, []*Case{c}, false); err != nil {
				return err
			}
			for _, u := range c.Units {
				cur[u] = true
			}
			var units []unitRef
			for _, code := range codes {
				u, err := s.unitByCode(ctx, tx, code)
				if err != nil {
					return err
				}
				if !cur[code] && p.Role == auth.RoleOfficer && !p.CanWrite(u.path) {
					return errs.Forbidden("you may not open incident cases for unit %s", code)
				}
				units = append(units, u)
			}
			if !slices.Equal(codes, c.Units) {
				before["units"], after["units"] = c.Units, codes
				if _, err := tx.Exec(ctx, `DELETE FROM incident_units WHERE incident_id = ?`, id); err != nil {
					return fmt.Errorf("incident: units: %w", err)
				}
				for _, u := range units {
					if _, err := tx.Exec(ctx, `INSERT INTO incident_units (incident_id, unit_id) VALUES (?, ?)`, id, u.id); err != nil {
						return fmt.Errorf("incident: units: %w", err)
					}
				}
				c.UnitID = units[0].id
			}
		}
		if in.Hosts != nil {
			hosts, err := lines("hosts", *in.Hosts, true)
			if err != nil {
				return err
			}
			before["hosts"], after["hosts"] = "", hosts
			if _, err := tx.Exec(ctx, `DELETE FROM incident_hosts WHERE incident_id = ?`, id); err != nil {
				return fmt.Errorf("incident: hosts: %w", err)
			}
			if err := s.setHosts(ctx, tx, id, hosts, nil); err != nil {
				return err
			}
		}
		if len(after) == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET title = ?, description = ?, category = ?, severity = ?, severity_rank = ?, unit_id = ?, system_name = ?,
			security_level = ?, personal_data = ?, serious = ?, serious_at = ?, domains = ?, public_ips = ?, os = ?, services = ?, security_measures = ?, purpose = ?,
			owner_id = ?, detected_at = ?, resolution = ?, lessons = ?, support_from = ?, vncert_help = ?, damage_vnd = ?, updated_at = ? WHERE id = ?`,
			c.Title, c.Description, c.Category, c.Severity, severityRank(c.Severity), c.UnitID, c.SystemName,
			c.SecurityLevel, c.PersonalData, c.Serious, store.Micros(c.seriousAt), strings.Join(c.Domains, "\n"), strings.Join(c.PublicIPs, "\n"),
			strings.Join(c.OS, "\n"), strings.Join(c.Services, "\n"), c.SecurityMeasures, c.Purpose,
			c.OwnerID, store.Micros(c.DetectedAt), c.Resolution, c.Lessons, c.SupportFrom, c.VNCERTHelp, c.DamageVND, store.Micros(now), id); err != nil {
			return fmt.Errorf("incident: update: %w", err)
		}
		return s.audit(ctx, tx, c, "incident.update", before, after)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// checkPublicIP refuses an address that is not public: the form forbids
// internal ones.
func checkPublicIP(v string) error {
	k, n, err := normalizeObservable("ip", v)
	if err != nil || k != "ip" {
		return errs.Invalid("public_ips", "%q is not an IP address", v)
	}
	if isPrivate(n) {
		return errs.Invalid("public_ips", "%q is an internal address: the report lists public addresses only", v)
	}
	return nil
}

// StatusInput moves a case. Closing needs a note: it is the case's
// resolution when none is written.
type StatusInput struct {
	Status string `json:"status"`
	Note   string `json:"note,omitempty"`
}

// SetStatus moves a case to another status, recording who and when, and
// the first acknowledgement, containment and closing for the clocks.
func (s *Service) SetStatus(ctx context.Context, id int64, in StatusInput) (*Case, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	st := strings.ToLower(strings.TrimSpace(in.Status))
	if !slices.Contains(Statuses, st) {
		return nil, errs.Invalid("status", "must be one of %s", strings.Join(Statuses, ", "))
	}
	note, err := textField("note", in.Note, maxNote)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.workable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if c.Status == st {
			return errs.Conflict("status", "incident %s is already %s", c.Ref, st)
		}
		if st == StatusClosed && note == "" && c.Resolution == "" {
			return errs.Invalid("note", "say how the incident was resolved before closing it")
		}
		now := s.now()
		acked, contained, closed := c.AckedAt, c.ContainedAt, c.ClosedAt
		if acked.IsZero() && st != StatusNew {
			acked = now
		}
		if contained.IsZero() && statusIndex(st) >= statusIndex(StatusEradication) {
			contained = now
		}
		if st == StatusClosed {
			closed = now
		} else {
			closed = time.Time{}
		}
		// Reopening restarts the final report's clock at the next close.
		finalSent := int64(0)
		if st == StatusClosed {
			finalSent = micros(c.FinalSentAt)
		}
		resolution := c.Resolution
		if st == StatusClosed && resolution == "" {
			resolution = note
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET status = ?, status_since = ?, status_by = ?, acked_at = ?, contained_at = ?, closed_at = ?, resolution = ?,
			final_sent_at = ?, updated_at = ? WHERE id = ?`,
			st, store.Micros(now), p.Email, micros(acked), micros(contained), micros(closed), resolution, finalSent, store.Micros(now), id); err != nil {
			return fmt.Errorf("incident: status: %w", err)
		}
		text := c.Status + " → " + st
		if note != "" {
			text += "\n" + note
		}
		if err := s.event(ctx, tx, id, now, p.Email, "status", text, 0); err != nil {
			return err
		}
		return s.audit(ctx, tx, c, "incident.status", map[string]any{"status": c.Status}, map[string]any{"status": st, "note": note})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return store.Micros(t)
}

// NoteInput is a note on the timeline.
type NoteInput struct {
	Text string `json:"text"`
}

// AddNote writes a note on a case's timeline.
func (s *Service) AddNote(ctx context.Context, id int64, in NoteInput) (*Entry, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	text, err := textField("text", in.Text, maxNote)
	if err != nil {
		return nil, err
	}
	if text == "" {
		return nil, errs.Invalid("text", "is required")
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.workable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, now, p.Email, "note", text, 0); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, id, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, c, "incident.note", nil, map[string]any{"text": i18n.Clip(text, 500)})
	})
	if err != nil {
		return nil, err
	}
	return &Entry{At: now, Who: p.Email, Kind: "note", Text: text}, nil
}

// Task is a piece of work on a case.
type Task struct {
	ID        int64     `json:"id"`
	Title     string    `json:"title"`
	Owner     string    `json:"owner,omitempty"` // e-mail
	OwnerName string    `json:"owner_name,omitempty"`
	DueAt     time.Time `json:"due_at,omitzero"`
	DoneAt    time.Time `json:"done_at,omitzero"`
	DoneBy    string    `json:"done_by,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Overdue   bool      `json:"overdue"`
}

// TaskInput adds a task; Due is "dd/mm/yyyy hh:mm" (or a date: its end).
type TaskInput struct {
	Title string `json:"title"`
	Owner string `json:"owner,omitempty"`
	Due   string `json:"due,omitempty"`
}

// AddTask adds a task to a case.
func (s *Service) AddTask(ctx context.Context, id int64, in TaskInput) (*Task, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	title, err := textField("title", in.Title, maxTitle)
	if err != nil {
		return nil, err
	}
	if title == "" {
		return nil, errs.Invalid("title", "is required")
	}
	var due time.Time
	if d := strings.TrimSpace(in.Due); d != "" {
		if due, err = ParseTime("due", d); err != nil {
			return nil, err
		}
		if !strings.Contains(d, ":") {
			due = due.Add(24*time.Hour - time.Microsecond)
		}
	}
	now := s.now()
	t := &Task{Title: title, DueAt: due, CreatedBy: p.Email, CreatedAt: now}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.workable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if o := strings.TrimSpace(in.Owner); o != "" {
			u, err := s.userByEmail(ctx, tx, "owner", o)
			if err != nil {
				return err
			}
			t.Owner, t.OwnerName = u.email, u.name
		}
		if err := tx.QueryRow(ctx, `INSERT INTO incident_tasks (incident_id, title, owner, due_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
			id, title, t.Owner, micros(due), p.Email, store.Micros(now)).Scan(&t.ID); err != nil {
			return fmt.Errorf("incident: task: %w", err)
		}
		text := title
		if t.Owner != "" {
			text += " — " + t.Owner
		}
		if !due.IsZero() {
			text += " — " + i18n.FormatTime(due, "vi")
		}
		if err := s.event(ctx, tx, id, now, p.Email, "task", text, t.ID); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, id, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, c, "incident.task", nil, map[string]any{"task": title, "owner": t.Owner, "due": i18n.FormatTime(due, "vi")})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// CompleteTask marks a task done.
func (s *Service) CompleteTask(ctx context.Context, id, taskID int64) (*Task, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var t *Task
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.workable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		ts, err := s.tasks(ctx, tx, id, taskID)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return errs.NotFound("task " + strconv.FormatInt(taskID, 10))
		}
		t = ts[0]
		if !t.DoneAt.IsZero() {
			return errs.Conflict("task", "the task is already done")
		}
		if _, err := tx.Exec(ctx, `UPDATE incident_tasks SET done_at = ?, done_by = ? WHERE id = ?`, store.Micros(now), p.Email, taskID); err != nil {
			return fmt.Errorf("incident: task done: %w", err)
		}
		t.DoneAt, t.DoneBy, t.Overdue = now, p.Email, false
		if err := s.event(ctx, tx, id, now, p.Email, "task_done", t.Title, taskID); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, id, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, c, "incident.task_done", nil, map[string]any{"task": t.Title})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

func (s *Service) tasks(ctx context.Context, q querier, id, taskID int64) ([]*Task, error) {
	qs := `SELECT t.id, t.title, t.owner, COALESCE(u.name, ''), t.due_at, t.done_at, t.done_by, t.created_by, t.created_at
		FROM incident_tasks t LEFT JOIN users u ON LOWER(u.email) = t.owner AND t.owner <> '' WHERE t.incident_id = ?`
	args := []any{id}
	if taskID != 0 {
		qs += ` AND t.id = ?`
		args = append(args, taskID)
	}
	rows, err := q.Query(ctx, qs+` ORDER BY CASE WHEN t.done_at = 0 THEN 0 ELSE 1 END, CASE WHEN t.due_at = 0 THEN 9223372036854775807 ELSE t.due_at END, t.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("incident: tasks: %w", err)
	}
	defer rows.Close()
	now := s.now()
	var out []*Task
	for rows.Next() {
		var t Task
		var due, done, created int64
		if err := rows.Scan(&t.ID, &t.Title, &t.Owner, &t.OwnerName, &due, &done, &t.DoneBy, &t.CreatedBy, &created); err != nil {
			return nil, err
		}
		if due > 0 {
			t.DueAt = store.Time(due)
		}
		if done > 0 {
			t.DoneAt = store.Time(done)
		}
		t.CreatedAt = store.Time(created)
		t.Overdue = done == 0 && due > 0 && now.After(t.DueAt)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// Tasks lists a case's tasks, open ones first by due time.
func (s *Service) Tasks(ctx context.Context, id int64) ([]*Task, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.readable(ctx, s.DB, p, id); err != nil {
		return nil, err
	}
	return s.tasks(ctx, s.DB, id, 0)
}

// Observable is an indicator seen in a case, linked to the intel
// indicator of the same kind and value when there is one.
type Observable struct {
	ID          int64     `json:"id"`
	Kind        string    `json:"kind"`
	Value       string    `json:"value"`
	Note        string    `json:"note,omitempty"`
	IndicatorID int64     `json:"indicator_id,omitempty"`
	AddedBy     string    `json:"added_by"`
	AddedAt     time.Time `json:"added_at"`
}

// ObservableInput adds an observable: a kind (ip, domain, url, sha256,
// sha1, md5, account, hostname, email; guessed when empty) and a value.
type ObservableInput struct {
	Kind  string `json:"kind,omitempty"`
	Value string `json:"value"`
	Note  string `json:"note,omitempty"`
}

// normalizeObservable checks and normalises an observable as the intel
// indicators are stored.
func normalizeObservable(kind, value string) (string, string, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return "", "", errs.Invalid("value", "is required")
	}
	kind = strings.ToLower(strings.TrimSpace(kind))
	if kind == "" {
		k, v, ok := guessKind(value)
		if !ok {
			return "", "", errs.Invalid("value", "%q is not an address, domain, URL, hash, account, host name or e-mail", value)
		}
		kind, value = k, v
	}
	k, ok := ioc.ParseKind(kind)
	if !ok {
		return "", "", errs.Invalid("kind", "must be one of %s", "ip, domain, url, sha256, sha1, md5, account, hostname, email")
	}
	v, err := ioc.Normalize(k, value)
	if err != nil {
		return "", "", errs.Invalid("value", "%q is not a valid %s: %v", value, kind, err)
	}
	// ioc.Normalize is not always idempotent on odd URLs (a space left
	// where it cut a fragment, a result it refuses itself): normalise
	// until the value is stable, so the stored value matches the intel
	// indicator of the same value.
	for i := 0; ; i++ {
		v = strings.TrimSpace(v)
		v2, err := ioc.Normalize(k, v)
		if err != nil || i == 3 {
			return "", "", errs.Invalid("value", "%q is not a valid %s: %v", value, kind, err)
		}
		if v2 == v {
			break
		}
		v = v2
	}
	return k.String(), v, nil
}

// AddObservables adds observables to a case (repeats are ignored) and
// returns those added.
func (s *Service) AddObservables(ctx context.Context, id int64, in []ObservableInput) ([]*Observable, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, errs.Invalid("value", "is required")
	}
	if len(in) > 1000 {
		return nil, errs.Invalid("value", "add at most %d observables at once", 1000)
	}
	var norm []ObservableInput
	for _, o := range in {
		k, v, err := normalizeObservable(o.Kind, o.Value)
		if err != nil {
			return nil, err
		}
		note, err := textField("note", o.Note, maxShort)
		if err != nil {
			return nil, err
		}
		norm = append(norm, ObservableInput{Kind: k, Value: v, Note: note})
	}
	now := s.now()
	var out []*Observable
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		out = nil
		c, err := s.workable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		var added []string
		for _, o := range norm {
			ob, err := s.addObservable(ctx, tx, id, o, p.Email, now)
			if err != nil {
				return err
			}
			if ob != nil {
				out = append(out, ob)
				added = append(added, ob.Kind+":"+ob.Value)
			}
		}
		if len(added) == 0 {
			return nil
		}
		if err := s.touch(ctx, tx, id, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, c, "incident.observable", nil, map[string]any{"observables": added})
	})
	return out, err
}

func (s *Service) addObservable(ctx context.Context, tx *store.Tx, id int64, o ObservableInput, who string, now time.Time) (*Observable, error) {
	ob := &Observable{Kind: o.Kind, Value: o.Value, Note: o.Note, AddedBy: who, AddedAt: now}
	err := tx.QueryRow(ctx, `INSERT INTO incident_observables (incident_id, kind, value, note, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING id`, id, o.Kind, o.Value, o.Note, who, store.Micros(now)).Scan(&ob.ID)
	if store.IsNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("incident: observable: %w", err)
	}
	if err := s.event(ctx, tx, id, now, who, "observable", o.Kind+": "+o.Value, ob.ID); err != nil {
		return nil, err
	}
	return ob, nil
}

// Observables lists a case's observables with the intel indicator each
// matches, oldest first.
func (s *Service) Observables(ctx context.Context, id int64) ([]*Observable, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.readable(ctx, s.DB, p, id); err != nil {
		return nil, err
	}
	return s.observables(ctx, id)
}

func (s *Service) observables(ctx context.Context, id int64) ([]*Observable, error) {
	rows, err := s.DB.Query(ctx, `SELECT o.id, o.kind, o.value, o.note, COALESCE((SELECT MIN(x.id) FROM intel_indicators x WHERE x.kind = o.kind AND x.value = o.value), 0),
		o.added_by, o.added_at FROM incident_observables o WHERE o.incident_id = ? ORDER BY o.id`, id)
	if err != nil {
		return nil, fmt.Errorf("incident: observables: %w", err)
	}
	defer rows.Close()
	var out []*Observable
	for rows.Next() {
		var o Observable
		var at int64
		if err := rows.Scan(&o.ID, &o.Kind, &o.Value, &o.Note, &o.IndicatorID, &o.AddedBy, &at); err != nil {
			return nil, err
		}
		o.AddedAt = store.Time(at)
		out = append(out, &o)
	}
	return out, rows.Err()
}

// Observable returns one observable of a case the caller may work (the
// page adds it to a warning list).
func (s *Service) Observable(ctx context.Context, id, obsID int64) (*Case, *Observable, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.workable(ctx, s.DB, p, id)
	if err != nil {
		return nil, nil, err
	}
	obs, err := s.observables(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for _, o := range obs {
		if o.ID == obsID {
			return c, o, nil
		}
	}
	return nil, nil, errs.NotFound("observable " + strconv.FormatInt(obsID, 10))
}

// NoteWatchlist records on the timeline that an observable went to a
// warning list (intel audits the entry itself).
func (s *Service) NoteWatchlist(ctx context.Context, id int64, o *Observable, list string) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		return s.event(ctx, tx, id, s.now(), p.Email, "watchlist", o.Kind+": "+o.Value+" → "+list, o.ID)
	})
}

// LinkAlerts links more alerts to a case; their units and hosts join it.
func (s *Service) LinkAlerts(ctx context.Context, id int64, alertIDs []int64) (*Case, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if len(alertIDs) == 0 {
		return nil, errs.Invalid("alerts", "give the alerts to link")
	}
	if len(alertIDs) > maxAlerts {
		return nil, errs.Invalid("alerts", "link at most %d alerts at once", maxAlerts)
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.workable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		now := s.now()
		var rows []alertRow
		for _, aid := range alertIDs {
			a, err := s.alert(ctx, tx, p, aid)
			if err != nil {
				return err
			}
			rows = append(rows, a)
			if err := s.linkAlert(ctx, tx, id, a, p.Email, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO incident_units (incident_id, unit_id) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, a.unit.id); err != nil {
				return fmt.Errorf("incident: units: %w", err)
			}
			if a.host != "" {
				if err := s.setHosts(ctx, tx, id, []string{a.host}, rows); err != nil {
					return err
				}
			}
		}
		if err := s.touch(ctx, tx, id, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, c, "incident.alerts", nil, map[string]any{"alerts": alertIDs})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// AddParticipant lets a user (often of another unit) see and work a case.
func (s *Service) AddParticipant(ctx context.Context, id int64, email string) (*Case, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		c, err := s.workable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		u, err := s.userByEmail(ctx, tx, "email", email)
		if err != nil {
			return err
		}
		now := s.now()
		res, err := tx.Exec(ctx, `INSERT INTO incident_participants (incident_id, user_id, added_by, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			id, u.id, p.Email, store.Micros(now))
		if err != nil {
			return fmt.Errorf("incident: participant: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Conflict("email", "%s already takes part in incident %s", u.email, c.Ref)
		}
		if err := s.event(ctx, tx, id, now, p.Email, "participant", u.name+" <"+u.email+">", u.id); err != nil {
			return err
		}
		return s.audit(ctx, tx, c, "incident.participant", nil, map[string]any{"participant": u.email})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// EvidenceInput is an evidence file. SHA256, when given, is the hash the
// sender computed: a file whose bytes do not match is refused.
type EvidenceInput struct {
	Name        string
	ContentType string
	SHA256      string
	Data        io.Reader
}

// AddEvidence attaches an evidence file to a case: stored with its
// SHA-256, read-only from then on.
func (s *Service) AddEvidence(ctx context.Context, id int64, in EvidenceInput) (*attach.Attachment, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.workable(ctx, s.DB, p, id)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(in.Data, attach.MaxSize+1))
	if err != nil {
		return nil, errs.Invalid("file", "the file could not be read: %v", err)
	}
	if len(data) > attach.MaxSize {
		return nil, errs.New(errs.ETOOLARGE, "file", "a file may be at most %d MiB", attach.MaxSize>>20)
	}
	if want := strings.ToLower(strings.TrimSpace(in.SHA256)); want != "" {
		sum := sha256.Sum256(data)
		if got := hex.EncodeToString(sum[:]); got != want {
			return nil, errs.Invalid("sha256", "the file's SHA-256 is %s, not the %s declared: it was changed or damaged on the way", got, want)
		}
	}
	now := s.now()
	var a *attach.Attachment
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		a, err = attach.Add(ctx, tx, attach.Input{ObjectType: ObjectType, ObjectID: strconv.FormatInt(id, 10), UnitID: c.UnitID, Name: in.Name,
			ContentType: in.ContentType, Data: bytes.NewReader(data), By: p.Email, At: now})
		if err != nil {
			return err
		}
		if err := s.event(ctx, tx, id, now, p.Email, "evidence", a.Name+" (SHA-256 "+a.SHA256+")", a.ID); err != nil {
			return err
		}
		if err := s.touch(ctx, tx, id, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, c, "incident.evidence", nil, map[string]any{"file": a.Name, "size": a.Size, "sha256": a.SHA256})
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Evidence lists a case's evidence files.
func (s *Service) Evidence(ctx context.Context, id int64) ([]*attach.Attachment, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if _, _, err := s.readable(ctx, s.DB, p, id); err != nil {
		return nil, err
	}
	key := strconv.FormatInt(id, 10)
	m, err := attach.List(ctx, s.DB, ObjectType, key)
	if err != nil {
		return nil, err
	}
	return m[key], nil
}

// EvidenceFile returns one evidence file with its bytes.
func (s *Service) EvidenceFile(ctx context.Context, id, fileID int64) (*attach.Attachment, []byte, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	if _, _, err := s.readable(ctx, s.DB, p, id); err != nil {
		return nil, nil, err
	}
	return attach.Get(ctx, s.DB, ObjectType, strconv.FormatInt(id, 10), fileID)
}

// Reported forms.
const (
	FormInitial      = "initial"
	FormFinal        = "final"
	FormPersonalData = "personal_data"
)

// MarkReported records that a report was sent at at (the initial or
// final national report, or the personal-data notification to A05): it
// stops that clock. The national-reports service calls it inside its own
// transaction when it hands a report to the outbox (tx non-nil); pages
// call it with tx nil for a report sent outside Vigil.
func (s *Service) MarkReported(ctx context.Context, tx *store.Tx, id int64, form string, at time.Time) error {
	p, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	col := map[string]string{FormInitial: "initial_sent_at", FormFinal: "final_sent_at", FormPersonalData: "pd_notified_at"}[form]
	if col == "" {
		return errs.Invalid("form", "must be one of %s", "initial, final, personal_data")
	}
	if at.IsZero() {
		at = s.now()
	}
	run := func(tx *store.Tx) error {
		c, err := s.workable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if form == FormFinal && c.ClosedAt.IsZero() {
			return errs.Conflict("form", "incident %s is not closed: the final report follows the end of the response", c.Ref)
		}
		if _, err := tx.Exec(ctx, `UPDATE incidents SET `+col+` = ?, updated_at = ? WHERE id = ? AND `+col+` = 0`, store.Micros(at), store.Micros(s.now()), id); err != nil {
			return fmt.Errorf("incident: reported: %w", err)
		}
		if err := s.event(ctx, tx, id, at, p.Email, "report", form, 0); err != nil {
			return err
		}
		return s.audit(ctx, tx, c, "incident.reported", nil, map[string]any{"form": form, "at": at})
	}
	if tx != nil {
		return run(tx)
	}
	return s.DB.InTx(ctx, run)
}
