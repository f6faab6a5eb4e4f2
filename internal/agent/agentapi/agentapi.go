// Package agentapi is the wire format between the endpoint agent and the
// hub (docs/agent-protocol.md): paths, request and response bodies, and
// the agent's bearer token. The agent's client and the hub's handlers both
// use these types, so the two sides cannot drift apart.
package agentapi

import (
	"encoding/json"
	"errors"
	"strings"

	"vigil/internal/agent/scan"
	"vigil/internal/asset"
	"vigil/internal/detect/ioc"
)

// Paths of the agent API.
const (
	PathEnroll     = "/api/v1/agents/enroll"
	PathHeartbeat  = "/api/v1/agents/heartbeat"
	PathInventory  = "/api/v1/agents/inventory"
	PathIndicators = "/api/v1/agents/indicators"
	// PathTaskResult is formatted with the task id.
	PathTaskResult = "/api/v1/agents/tasks/%s/result"
	// PathScanReports receives a scan the agent ran on its own
	// (`vigil agent scan --report`).
	PathScanReports = "/api/v1/agents/scan-reports"
)

// EnrollRequest registers a host with an enrolment token. The token goes
// in the Authorization header ("Bearer vge_..."), which the hub checks
// before reading the body; Token in the body is what agents sent before,
// accepted only as the body's first member.
type EnrollRequest struct {
	Token     string           `json:"token,omitempty"`
	Hostname  string           `json:"hostname"`
	Inventory *asset.Inventory `json:"inventory"`
}

// EnrollResponse carries the agent's identity; the secret is shown once.
type EnrollResponse struct {
	AgentID string `json:"agent_id"`
	Secret  string `json:"secret"`
}

// HeartbeatRequest is sent every minute. Every field is optional: `{}` is
// a valid heartbeat.
type HeartbeatRequest struct {
	AgentVersion  string `json:"agent_version,omitempty"`
	InventoryHash string `json:"inventory_hash,omitempty"` // asset.Inventory.Hash of the last inventory the hub accepted
	Queued        int    `json:"queued,omitempty"`         // task results waiting to be sent
	Running       string `json:"running,omitempty"`        // id of the task in progress
}

// HeartbeatResponse hands the agent its tasks.
type HeartbeatResponse struct {
	Tasks []Task `json:"tasks"`
	// FullInventory asks for a full inventory now (the hub lost or doubts
	// its copy, e.g. InventoryHash did not match).
	FullInventory bool `json:"full_inventory,omitempty"`
}

// Task kinds.
const (
	TaskScan      = "scan"
	TaskInventory = "inventory" // send a full inventory now
)

// Task is work the hub asks of the agent. A task is delivered until the
// agent posts a final result for it; the agent ignores ids it already has.
type Task struct {
	ID   string          `json:"id"`
	Kind string          `json:"kind"`
	Scan *ScanParams     `json:"scan,omitempty"`
	Raw  json.RawMessage `json:"params,omitempty"` // parameters of kinds this agent does not know
}

// ScanParams are the parameters of a scan task.
type ScanParams struct {
	Paths       []string `json:"paths"`
	MaxSize     int64    `json:"max_size,omitempty"` // bytes; 0: the agent's default (100 MB)
	Processes   *bool    `json:"processes,omitempty"`
	Connections *bool    `json:"connections,omitempty"`
}

// InventoryRequest sends a full inventory or the changes since the last
// one the hub accepted.
type InventoryRequest struct {
	Full      bool             `json:"full"`
	Inventory *asset.Inventory `json:"inventory,omitempty"`
	Changes   *asset.Delta     `json:"changes,omitempty"`
}

// InventoryResponse acknowledges an inventory: Hash is the hash of the
// inventory the hub now holds. With status 409 it is the hash the hub
// holds, which the delta's base did not match; the agent then sends a
// full inventory.
type InventoryResponse struct {
	Hash string `json:"hash"`
}

// IndicatorsResponse is the indicator list, whole (Full) or the changes
// since the cursor the agent sent.
type IndicatorsResponse struct {
	Cursor     string      `json:"cursor"`
	Full       bool        `json:"full"`
	Indicators []Indicator `json:"indicators"`
	Removed    []Indicator `json:"removed,omitempty"`
}

// Indicator is one indicator as the hub sends it: the wire form of the
// model the hub, the agent and `vigil detect` share (internal/detect/ioc).
// Type is any name ioc.ParseKind reads: sha256, md5, sha1, ip (an address
// or a network), domain, url, ...
type Indicator struct {
	Type    string `json:"type"`
	Value   string `json:"value"`
	Comment string `json:"comment,omitempty"`
}

// IndicatorSet builds the indicator set an agent scans with. Indicators
// it cannot hold (a type this agent does not know, a bad value) are
// skipped and counted: a newer hub must not stop an older agent's scans.
func IndicatorSet(inds []Indicator) (set *ioc.Set, skipped int) {
	b := ioc.NewBuilder()
	for _, ind := range inds {
		k, ok := ioc.ParseKind(ind.Type)
		if !ok || b.Add(k, ind.Value, ind.Comment) != nil {
			skipped++
		}
	}
	return b.Build(), skipped
}

// Task result statuses.
const (
	StatusRunning = "running"
	StatusDone    = "done"
	StatusFailed  = "failed"
)

// TaskResult reports progress (StatusRunning) or the end of a task.
type TaskResult struct {
	Status   string         `json:"status"`
	Progress *scan.Progress `json:"progress,omitempty"`
	Error    string         `json:"error,omitempty"`
	Report   *scan.Report   `json:"report,omitempty"`
}

// ScanReport is a scan the agent ran without a task from the hub (`vigil
// agent scan --report`, an offline review): the hub records it as a
// finished scan task of the host, origin "agent", and files its findings
// as a hub scan task's.
type ScanReport struct {
	// ID is chosen by the agent, unique per report: the same report sent
	// again (a retry after a lost answer, a queued copy) is recorded once.
	ID     string       `json:"id"`
	Params ScanParams   `json:"params"`
	Report *scan.Report `json:"report"`
}

// ScanReportResponse names the task the report was recorded as.
// Duplicate is true when the hub already had this report.
type ScanReportResponse struct {
	TaskID    string `json:"task_id"`
	Findings  int    `json:"findings"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// ErrorResponse is the body of every 4xx and 5xx answer. Path is the JSON
// path of the bad field for 400 on an inventory.
type ErrorResponse struct {
	Error string `json:"error"`
	Path  string `json:"path,omitempty"`
	Hash  string `json:"hash,omitempty"` // 409 on inventory: the hub's hash
}

// tokenPrefix starts every agent bearer token.
const tokenPrefix = "agent."

// BearerToken is the Authorization header value for an agent:
// "Bearer agent.<agent_id>.<secret>".
func BearerToken(agentID, secret string) string {
	return "Bearer " + tokenPrefix + agentID + "." + secret
}

// ErrBadToken is returned by ParseBearer for a header that is not an agent
// token.
var ErrBadToken = errors.New("not an agent token")

// ParseBearer splits an Authorization header into agent id and secret. The
// agent id must not contain '.'; the secret may.
func ParseBearer(header string) (agentID, secret string, err error) {
	tok, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return "", "", ErrBadToken
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(tok), tokenPrefix)
	if !ok {
		return "", "", ErrBadToken
	}
	agentID, secret, ok = strings.Cut(rest, ".")
	if !ok || agentID == "" || secret == "" {
		return "", "", ErrBadToken
	}
	return agentID, secret, nil
}
