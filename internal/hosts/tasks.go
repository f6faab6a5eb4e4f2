package hosts

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/agent/scan"
	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Task is work sent to a host's agent, with its progress and outcome.
type Task struct {
	ID        string               `json:"id"`
	HostID    int64                `json:"host_id"`
	Kind      string               `json:"kind"`
	Scan      *agentapi.ScanParams `json:"scan,omitempty"`
	Status    string               `json:"status"` // pending, running, done, failed
	Progress  *scan.Progress       `json:"progress,omitempty"`
	Report    *scan.Report         `json:"report,omitempty"`
	Error     string               `json:"error,omitempty"`
	CreatedBy string               `json:"created_by"`
	CreatedAt time.Time            `json:"created_at"`
	UpdatedAt time.Time            `json:"updated_at"`
}

// Task statuses beyond agentapi's.
const TaskPending = "pending"

// CreateScanTask asks a host's agent to scan paths for malware.
func (s *Service) CreateScanTask(ctx context.Context, hostID int64, params agentapi.ScanParams) (*Task, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	h, err := s.GetHostHeader(ctx, hostID)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite(h.UnitPath) {
		return nil, errs.Forbidden("you may not send tasks to hosts of unit %s", h.Unit)
	}
	if h.AgentID == "" {
		return nil, errs.Invalid("host", "host %s has no agent; scan it offline with vigil agent scan", h.Hostname)
	}
	if len(params.Paths) == 0 {
		return nil, errs.Invalid("paths", "give at least one path to scan")
	}
	if len(params.Paths) > 64 {
		return nil, errs.Invalid("paths", "at most 64 paths")
	}
	for i, path := range params.Paths {
		if strings.TrimSpace(path) == "" || len(path) > 4096 {
			return nil, errs.Invalid(fmt.Sprintf("paths[%d]", i), "must be a non-empty path")
		}
	}
	if params.MaxSize < 0 {
		return nil, errs.Invalid("max_size", "must not be negative")
	}
	raw, _ := json.Marshal(params)
	now := s.now().UTC()
	t := &Task{ID: strings.TrimPrefix(auth.NewSecret("t"), "t")[:16], HostID: hostID, Kind: agentapi.TaskScan, Scan: &params, Status: TaskPending,
		CreatedBy: p.Email, CreatedAt: now, UpdatedAt: now}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO agent_tasks (id, host_id, kind, params, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, hostID, t.Kind, string(raw), t.Status, p.Email, store.Micros(now), store.Micros(now)); err != nil {
			return fmt.Errorf("hosts: create task: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "host.scan_requested", ObjectType: "host", ObjectID: strconv.FormatInt(hostID, 10),
			UnitID: unitIDOf(ctx, tx, h.Unit), After: map[string]any{"task": t.ID, "paths": params.Paths}})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// ListTasks returns a host's tasks, newest first.
func (s *Service) ListTasks(ctx context.Context, hostID int64) ([]*Task, error) {
	if _, err := s.GetHostHeader(ctx, hostID); err != nil {
		return nil, err
	}
	rows, err := s.DB.Query(ctx, `SELECT id, host_id, kind, params, status, progress, result, error, created_by, created_at, updated_at
		FROM agent_tasks WHERE host_id = ? ORDER BY created_at DESC LIMIT 100`, hostID)
	if err != nil {
		return nil, fmt.Errorf("hosts: list tasks: %w", err)
	}
	defer rows.Close()
	var out []*Task
	for rows.Next() {
		var t Task
		var params, progress, result string
		var c, u int64
		if err := rows.Scan(&t.ID, &t.HostID, &t.Kind, &params, &t.Status, &progress, &result, &t.Error, &t.CreatedBy, &c, &u); err != nil {
			return nil, err
		}
		t.CreatedAt, t.UpdatedAt = store.Time(c), store.Time(u)
		if t.Kind == agentapi.TaskScan {
			t.Scan = &agentapi.ScanParams{}
			json.Unmarshal([]byte(params), t.Scan)
		}
		if progress != "" {
			t.Progress = &scan.Progress{}
			json.Unmarshal([]byte(progress), t.Progress)
		}
		if result != "" {
			t.Report = &scan.Report{}
			json.Unmarshal([]byte(result), t.Report)
		}
		out = append(out, &t)
	}
	return out, rows.Err()
}

// TaskResult records an agent's progress or result for one of its tasks;
// a final scan report's findings become host findings.
func (s *Service) TaskResult(ctx context.Context, taskID string, res *agentapi.TaskResult) error {
	a, err := agentOf(ctx)
	if err != nil {
		return err
	}
	switch res.Status {
	case agentapi.StatusRunning, agentapi.StatusDone, agentapi.StatusFailed:
	default:
		return errs.Invalid("status", "must be running, done or failed")
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		var hostID int64
		var status string
		err := tx.QueryRow(ctx, `SELECT host_id, status FROM agent_tasks WHERE id = ?`, taskID).Scan(&hostID, &status)
		if store.IsNoRows(err) || (err == nil && hostID != a.HostID) {
			return errs.NotFound("task")
		}
		if err != nil {
			return err
		}
		if status == agentapi.StatusDone || status == agentapi.StatusFailed {
			return nil // a retried final result: already recorded
		}
		now := s.now().UnixMicro()
		progress, result := "", ""
		if res.Progress != nil {
			b, _ := json.Marshal(res.Progress)
			progress = string(b)
		}
		if res.Report != nil {
			b, _ := json.Marshal(res.Report)
			result = string(b)
		}
		if _, err := tx.Exec(ctx, `UPDATE agent_tasks SET status = ?, progress = CASE WHEN ? = '' THEN progress ELSE ? END, result = ?, error = ?, updated_at = ? WHERE id = ?`,
			res.Status, progress, progress, result, clip(res.Error, 2000), now, taskID); err != nil {
			return fmt.Errorf("hosts: task result: %w", err)
		}
		if res.Status != agentapi.StatusDone || res.Report == nil {
			return nil
		}
		var unitID int64
		tx.QueryRow(ctx, `SELECT unit_id FROM hosts WHERE id = ?`, hostID).Scan(&unitID)
		for _, f := range res.Report.Findings {
			if err := insertFinding(ctx, tx, hostID, taskID, f, now); err != nil {
				return err
			}
		}
		actx := auth.WithPrincipal(ctx, &auth.Principal{Email: a.Email, Via: "agent"})
		return audit.Append(actx, tx, audit.Entry{Action: "host.scan_finished", ObjectType: "host", ObjectID: strconv.FormatInt(hostID, 10), UnitID: unitID,
			After: map[string]any{"task": taskID, "files": res.Report.Files, "findings": len(res.Report.Findings)}})
	})
}

func insertFinding(ctx context.Context, tx *store.Tx, hostID int64, taskID string, f scan.Finding, now int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO host_findings (host_id, task_id, kind, indicator_type, indicator, comment, path, sha256, process, pid, remote, domain, found_at, status, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?)`,
		hostID, taskID, clip(f.Kind, 50), clip(f.Indicator.Type, 50), clip(f.Indicator.Value, 500), clip(f.Indicator.Comment, 500), clip(f.Path, 4096),
		clip(f.SHA256, 64), clip(f.Process, 500), f.PID, clip(f.Remote, 200), clip(f.Domain, 300), now, now)
	if err != nil {
		return fmt.Errorf("hosts: record finding: %w", err)
	}
	return nil
}

// Finding is a scan hit on a host, with the officer's clean-up status.
type Finding struct {
	ID        int64          `json:"id"`
	HostID    int64          `json:"host_id"`
	Hostname  string         `json:"hostname"`
	Unit      string         `json:"unit"`
	TaskID    string         `json:"task_id,omitempty"`
	Kind      string         `json:"kind"`
	Indicator scan.Indicator `json:"indicator"`
	Path      string         `json:"path,omitempty"`
	SHA256    string         `json:"sha256,omitempty"`
	Process   string         `json:"process,omitempty"`
	PID       int            `json:"pid,omitempty"`
	Remote    string         `json:"remote,omitempty"`
	Domain    string         `json:"domain,omitempty"`
	FoundAt   time.Time      `json:"found_at"`
	Status    string         `json:"status"` // open, removed, reimaged, false_positive
	Note      string         `json:"note,omitempty"`
	UpdatedBy string         `json:"updated_by,omitempty"`
	UpdatedAt time.Time      `json:"updated_at"`
	unitPath  string
}

// Finding statuses an officer sets.
var FindingStatuses = []string{"open", "removed", "reimaged", "false_positive"}

// FindingFilter selects findings.
type FindingFilter struct {
	HostID int64
	Unit   string
	Status string
	After  int64
	Limit  int
}

const findingColumns = `f.id, f.host_id, h.hostname, u.code, u.path, f.task_id, f.kind, f.indicator_type, f.indicator, f.comment, f.path, f.sha256, f.process, f.pid, f.remote, f.domain,
	f.found_at, f.status, f.note, f.updated_by, f.updated_at`

func scanFinding(sc interface{ Scan(...any) error }) (*Finding, error) {
	var f Finding
	var found, updated int64
	if err := sc.Scan(&f.ID, &f.HostID, &f.Hostname, &f.Unit, &f.unitPath, &f.TaskID, &f.Kind, &f.Indicator.Type, &f.Indicator.Value, &f.Indicator.Comment,
		&f.Path, &f.SHA256, &f.Process, &f.PID, &f.Remote, &f.Domain, &found, &f.Status, &f.Note, &f.UpdatedBy, &updated); err != nil {
		return nil, err
	}
	f.FoundAt, f.UpdatedAt = store.Time(found), store.Time(updated)
	return &f, nil
}

// ListFindings returns findings in the caller's scope, newest first.
func (s *Service) ListFindings(ctx context.Context, ff FindingFilter) ([]*Finding, int64, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	ff.Limit = store.ClampLimit(ff.Limit, 100)
	scope, args := p.Scope("u.path")
	where := []string{scope}
	if ff.HostID != 0 {
		where = append(where, "f.host_id = ?")
		args = append(args, ff.HostID)
	}
	if ff.Unit != "" {
		_, path, ok := s.unitInScope(ctx, p, ff.Unit)
		if !ok {
			return nil, 0, errs.NotFound("unit " + strconv.Quote(ff.Unit))
		}
		where = append(where, "u.path LIKE ?")
		args = append(args, path+"%")
	}
	if ff.Status != "" {
		where = append(where, "f.status = ?")
		args = append(args, ff.Status)
	}
	if ff.After > 0 {
		where = append(where, "f.id < ?")
		args = append(args, ff.After)
	}
	args = append(args, ff.Limit+1)
	rows, err := s.DB.Query(ctx, `SELECT `+findingColumns+` FROM host_findings f JOIN hosts h ON h.id = f.host_id JOIN units u ON u.id = h.unit_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY f.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("hosts: list findings: %w", err)
	}
	defer rows.Close()
	var out []*Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, f)
	}
	out, next := store.Page(out, ff.Limit, func(f *Finding) int64 { return f.ID })
	return out, next, rows.Err()
}

// FindingUpdate sets a finding's clean-up status.
type FindingUpdate struct {
	Status string `json:"status"`
	Note   string `json:"note"`
}

// UpdateFinding records what the officer did about a finding.
func (s *Service) UpdateFinding(ctx context.Context, id int64, in FindingUpdate) (*Finding, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	ok := false
	for _, st := range FindingStatuses {
		if st == in.Status {
			ok = true
		}
	}
	if !ok {
		return nil, errs.Invalid("status", "must be one of %s", strings.Join(FindingStatuses, ", "))
	}
	in.Note = strings.TrimSpace(in.Note)
	if len(in.Note) > 4000 {
		return nil, errs.Invalid("note", "must be at most 4000 bytes")
	}
	if in.Status != "open" && in.Note == "" {
		return nil, errs.Invalid("note", "say what was done (the evidence of the clean-up)")
	}
	var out *Finding
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		f, err := scanFinding(tx.QueryRow(ctx, `SELECT `+findingColumns+` FROM host_findings f JOIN hosts h ON h.id = f.host_id JOIN units u ON u.id = h.unit_id WHERE f.id = ?`, id))
		if err != nil || !p.CanRead(f.unitPath) {
			return errs.NotFound("finding")
		}
		if !p.CanWrite(f.unitPath) {
			return errs.Forbidden("you may not change findings of unit %s", f.Unit)
		}
		now := s.now().UTC()
		if _, err := tx.Exec(ctx, `UPDATE host_findings SET status = ?, note = ?, updated_by = ?, updated_at = ? WHERE id = ?`, in.Status, in.Note, p.Email, store.Micros(now), id); err != nil {
			return fmt.Errorf("hosts: update finding: %w", err)
		}
		before := map[string]any{"status": f.Status, "note": f.Note}
		f.Status, f.Note, f.UpdatedBy, f.UpdatedAt = in.Status, in.Note, p.Email, now
		out = f
		return audit.Append(ctx, tx, audit.Entry{Action: "finding.update", ObjectType: "finding", ObjectID: strconv.FormatInt(id, 10), UnitID: unitIDOf(ctx, tx, f.Unit),
			Before: before, After: in})
	})
	return out, err
}
