package hosts

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	"vigil/internal/findings"
	"vigil/internal/i18n"
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
	Origin    string               `json:"origin"` // TaskOriginHub or TaskOriginAgent
	CreatedAt time.Time            `json:"created_at"`
	UpdatedAt time.Time            `json:"updated_at"`
}

// Task statuses beyond agentapi's.
const TaskPending = "pending"

// Task origins: an officer asked the hub for it, or the agent ran it on
// its own and reported it (`vigil agent scan --report`).
const (
	TaskOriginHub   = "hub"
	TaskOriginAgent = "agent"
)

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
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("hosts: encode scan parameters: %w", err)
	}
	now := s.now().UTC()
	t := &Task{ID: strings.TrimPrefix(auth.NewSecret("t"), "t")[:16], HostID: hostID, Kind: agentapi.TaskScan, Scan: &params, Status: TaskPending,
		CreatedBy: p.Email, Origin: TaskOriginHub, CreatedAt: now, UpdatedAt: now}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO agent_tasks (id, host_id, kind, params, status, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.ID, hostID, t.Kind, string(raw), t.Status, p.Email, store.Micros(now), store.Micros(now)); err != nil {
			return fmt.Errorf("hosts: create task: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "host.scan_requested", ObjectType: "host", ObjectID: strconv.FormatInt(hostID, 10),
			UnitID: h.UnitID, After: map[string]any{"task": t.ID, "paths": params.Paths}})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// TaskFilter selects the tasks of a host, newest first unless Sort says.
type TaskFilter struct {
	HostID int64
	Sort   string // a key of TaskSorts
	Desc   bool
	Offset int // rows skipped (pages by position)
	Limit  int
}

// TaskSorts are the columns a host's tasks sort by.
var TaskSorts = map[string]string{
	"created": "t.created_at",
	"updated": "t.updated_at",
	"status":  "t.status",
	"kind":    "t.kind",
}

// TaskSortKeys lists the keys of TaskSorts.
var TaskSortKeys = []string{"created", "updated", "status", "kind"}

// ListTasks returns a page of the tasks sent to a host's agent (or
// reported by it) and how many there are in all.
func (s *Service) ListTasks(ctx context.Context, f TaskFilter) ([]*Task, int, error) {
	if _, err := s.GetHostHeader(ctx, f.HostID); err != nil {
		return nil, 0, err
	}
	l := store.NewList("t.id DESC", f.Limit, 100).Where("t.host_id = ?", f.HostID)
	switch expr, ok := TaskSorts[f.Sort]; {
	case f.Sort == "":
		l.OrderBy(TaskSorts["created"], true)
	case !ok:
		return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(TaskSortKeys, ", "))
	default:
		l.OrderBy(expr, f.Desc)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT t.id, t.host_id, t.kind, t.params, t.status, t.progress, t.result, t.error, t.created_by, t.origin, t.created_at, t.updated_at`,
		` FROM agent_tasks t`, scanTask)
	if err != nil {
		return nil, 0, fmt.Errorf("hosts: list tasks: %w", err)
	}
	return out, total, nil
}

func scanTask(sc store.Scanner) (*Task, error) {
	var t Task
	var params, progress, result string
	var c, u int64
	if err := sc.Scan(&t.ID, &t.HostID, &t.Kind, &params, &t.Status, &progress, &result, &t.Error, &t.CreatedBy, &t.Origin, &c, &u); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = store.Time(c), store.Time(u)
	if t.Kind == agentapi.TaskScan {
		t.Scan = &agentapi.ScanParams{}
		if err := json.Unmarshal([]byte(params), t.Scan); err != nil {
			return nil, fmt.Errorf("hosts: task %s: stored parameters: %w", t.ID, err)
		}
	}
	if progress != "" {
		t.Progress = &scan.Progress{}
		if err := json.Unmarshal([]byte(progress), t.Progress); err != nil {
			return nil, fmt.Errorf("hosts: task %s: stored progress: %w", t.ID, err)
		}
	}
	if result != "" {
		t.Report = &scan.Report{}
		if err := json.Unmarshal([]byte(result), t.Report); err != nil {
			return nil, fmt.Errorf("hosts: task %s: stored report: %w", t.ID, err)
		}
	}
	return &t, nil
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
			b, err := json.Marshal(res.Progress)
			if err != nil {
				return errs.Invalid("progress", "cannot be stored: %v", err)
			}
			progress = string(b)
		}
		if res.Report != nil {
			b, err := json.Marshal(res.Report)
			if err != nil {
				return errs.Invalid("report", "cannot be stored: %v", err)
			}
			result = string(b)
		}
		if _, err := tx.Exec(ctx, `UPDATE agent_tasks SET status = ?, progress = CASE WHEN ? = '' THEN progress ELSE ? END, result = ?, error = ?, updated_at = ? WHERE id = ?`,
			res.Status, progress, progress, result, i18n.Clip(res.Error, 2000), now, taskID); err != nil {
			return fmt.Errorf("hosts: task result: %w", err)
		}
		if res.Status != agentapi.StatusDone || res.Report == nil {
			return nil
		}
		var unitID int64
		if err := tx.QueryRow(ctx, `SELECT unit_id FROM hosts WHERE id = ?`, hostID).Scan(&unitID); err != nil {
			return fmt.Errorf("hosts: task result: unit of host %d: %w", hostID, err)
		}
		for _, f := range res.Report.Findings {
			if err := recordFinding(ctx, tx, hostID, taskID, f, store.Time(now)); err != nil {
				return err
			}
		}
		actx := auth.WithPrincipal(ctx, &auth.Principal{Email: a.Email, Via: "agent"})
		return audit.Append(actx, tx, audit.Entry{Action: "host.scan_finished", ObjectType: "host", ObjectID: strconv.FormatInt(hostID, 10), UnitID: unitID,
			After: map[string]any{"task": taskID, "files": res.Report.Files, "findings": len(res.Report.Findings)}})
	})
}

// MaxReportPaths bounds the paths of a scan report's parameters.
const MaxReportPaths = 1000

// RecordScanReport records a scan the calling agent ran on its own as a
// finished scan task of its host (origin "agent"), so the host page lists
// it, and files its findings as a hub scan task's. The task id is derived
// from the host and the report's id, so the same report sent again is
// recorded once (Duplicate in the answer).
func (s *Service) RecordScanReport(ctx context.Context, in *agentapi.ScanReport) (*agentapi.ScanReportResponse, error) {
	a, err := agentOf(ctx)
	if err != nil {
		return nil, err
	}
	switch {
	case strings.TrimSpace(in.ID) == "" || len(in.ID) > 200:
		return nil, errs.Invalid("id", "give the report an id of 1 to 200 characters")
	case in.Report == nil:
		return nil, errs.Invalid("report", "the scan report is missing")
	case len(in.Params.Paths) > MaxReportPaths:
		return nil, errs.Invalid("params.paths", "at most %d paths", MaxReportPaths)
	case len(in.Report.Findings) > scan.MaxFindings:
		return nil, errs.Invalid("report.findings", "at most %d findings", scan.MaxFindings)
	case in.Params.MaxSize < 0:
		return nil, errs.Invalid("params.max_size", "must not be negative")
	}
	for i, f := range in.Report.Findings {
		switch f.Kind {
		case "file", "process", "connection":
		default:
			return nil, errs.Invalid(fmt.Sprintf("report.findings[%d].kind", i), "must be file, process or connection")
		}
		if f.Hit.Indicator == "" {
			return nil, errs.Invalid(fmt.Sprintf("report.findings[%d].indicator", i), "the matched indicator is missing")
		}
	}
	sum := sha256.Sum256([]byte(strconv.FormatInt(a.HostID, 10) + "|" + in.ID))
	taskID := "a" + hex.EncodeToString(sum[:])[:15]
	params, err := json.Marshal(in.Params)
	if err != nil {
		return nil, errs.Invalid("params", "cannot be stored: %v", err)
	}
	report, err := json.Marshal(in.Report)
	if err != nil {
		return nil, errs.Invalid("report", "cannot be stored: %v", err)
	}
	progress, _ := json.Marshal(scan.Progress{Files: in.Report.Files, Bytes: in.Report.Bytes})
	resp := &agentapi.ScanReportResponse{TaskID: taskID, Findings: len(in.Report.Findings)}
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		var hostID int64
		err := tx.QueryRow(ctx, `SELECT host_id FROM agent_tasks WHERE id = ?`, taskID).Scan(&hostID)
		if err == nil && hostID == a.HostID {
			resp.Duplicate = true
			return nil
		}
		if err == nil {
			return errs.Conflict("id", "report id %q is taken; send it with another id", in.ID)
		}
		if !store.IsNoRows(err) {
			return err
		}
		var unitID int64
		if err := tx.QueryRow(ctx, `SELECT unit_id FROM hosts WHERE id = ?`, a.HostID).Scan(&unitID); err != nil {
			return fmt.Errorf("hosts: scan report: unit of host %d: %w", a.HostID, err)
		}
		now := s.now().UTC()
		if _, err := tx.Exec(ctx, `INSERT INTO agent_tasks (id, host_id, kind, params, status, progress, result, created_by, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			taskID, a.HostID, agentapi.TaskScan, string(params), agentapi.StatusDone, string(progress), string(report), a.Email, TaskOriginAgent, store.Micros(now), store.Micros(now)); err != nil {
			return fmt.Errorf("hosts: record scan report: %w", err)
		}
		for _, f := range in.Report.Findings {
			if err := recordFinding(ctx, tx, a.HostID, taskID, f, now); err != nil {
				return err
			}
		}
		actx := auth.WithPrincipal(ctx, &auth.Principal{Email: a.Email, Via: "agent"})
		return audit.Append(actx, tx, audit.Entry{Action: "host.scan_reported", ObjectType: "host", ObjectID: strconv.FormatInt(a.HostID, 10), UnitID: unitID,
			After: map[string]any{"task": taskID, "paths": in.Report.Paths, "files": in.Report.Files, "findings": len(in.Report.Findings)}})
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// recordFinding files one scan hit in the findings queue. A file is
// "high"; a running process or a live connection to a listed address is
// "critical": the malware is active now.
func recordFinding(ctx context.Context, tx *store.Tx, hostID int64, taskID string, f scan.Finding, at time.Time) error {
	where := f.Path
	switch f.Kind {
	case "process":
		where = f.Process + "|" + f.Path
	case "connection":
		where = f.Process + "|" + f.Domain + "|" + f.Remote
	}
	sev := findings.SeverityCritical
	if f.Kind == "file" {
		sev = findings.SeverityHigh
	}
	typ, value := f.Hit.Kind.String(), f.Hit.Indicator
	title := f.Hit.Comment
	if title == "" {
		title = typ + " " + value
	}
	source := "scan"
	if taskID != "" {
		source = "scan task " + taskID
	}
	_, _, err := findings.Record(ctx, tx, findings.Observation{
		HostID: hostID, Kind: findings.KindMalware, Severity: sev, Title: title, Source: source, SeenAt: at,
		Key: f.Kind + "|" + typ + ":" + value + "|" + where,
		Evidence: findings.MalwareEvidence{TaskID: taskID, Match: f.Kind, IndicatorType: typ, Indicator: value, Comment: f.Hit.Comment,
			Path: f.Path, SHA256: f.SHA256, Size: f.Size, Process: f.Process, PID: f.PID, Remote: f.Remote, Domain: f.Domain},
	})
	return err
}
