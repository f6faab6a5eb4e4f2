// Package alerts turns detection matches into the alert queue the SOC and
// the units' officers on duty work.
//
// Record takes matches in batches from the detection pipeline (and from the
// hub's own health checks, rule ids "vigil.health.*") and groups them: the
// same rule on the same host with the same key fields, within a window
// (Service.Window, 15 minutes by default) of the group's last match, is one
// alert with a count and first/last seen times. Each alert is attributed to
// a host of the inventory by the event's host name or addresses, and to
// that host's unit (the source's unit when the host is unknown); its
// severity follows the rule's level; a bounded sample of the matched
// events is kept with it (the first KeepFirst and the latest KeepLast);
// matches a suppression rule covers are counted on that rule, not alerted.
//
// The queue's lifecycle:
//
//	open ──► acknowledged ──► closed (with a reason from CloseReasons)
//	  └──────────────────────────┘ ◄── reopen
//
// with an assignee who can see the alert's unit, the time and author of
// each status, and every human change in the audit log (matches are not
// audited: they are the alert itself). An alert that is closed, or whose
// window has passed, takes no more matches: the next one opens a new alert.
//
// Changes reach live pages through Feed, which polls the database for
// alerts changed since a cursor, so it sees the changes of every hub
// process sharing the database.
package alerts

import (
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"vigil/internal/auth"
	"vigil/internal/store"
)

// Severities, most severe first (Sigma's levels).
const (
	SeverityCritical      = "critical"
	SeverityHigh          = "high"
	SeverityMedium        = "medium"
	SeverityLow           = "low"
	SeverityInformational = "informational"
)

// Severities lists the severities, most severe first.
var Severities = []string{SeverityCritical, SeverityHigh, SeverityMedium, SeverityLow, SeverityInformational}

// rank orders severities: higher is more severe.
var rank = map[string]int{SeverityCritical: 5, SeverityHigh: 4, SeverityMedium: 3, SeverityLow: 2, SeverityInformational: 1}

// Rank returns a severity's order (5 for critical ... 1 for
// informational, 0 for an unknown one).
func Rank(severity string) int { return rank[severity] }

// SeverityOf maps a Sigma rule level to an alert severity; an unknown or
// missing level is medium, so nothing a rule raises is silently demoted to
// noise.
func SeverityOf(level string) string {
	l := strings.ToLower(strings.TrimSpace(level))
	if l == "info" {
		return SeverityInformational
	}
	if _, ok := rank[l]; ok {
		return l
	}
	return SeverityMedium
}

// Statuses of an alert.
const (
	StatusOpen         = "open"
	StatusAcknowledged = "acknowledged"
	StatusClosed       = "closed"
)

// Statuses lists every status; Active are those still to be worked.
var (
	Statuses = []string{StatusOpen, StatusAcknowledged, StatusClosed}
	Active   = []string{StatusOpen, StatusAcknowledged}
)

// CloseReasons are why an alert is closed.
var CloseReasons = []string{
	"resolved",       // a real attack or fault, dealt with
	"false_positive", // the rule matched something harmless
	"expected",       // authorised activity (an admin's work, a scan, a test)
	"duplicate",      // another alert or incident covers it
	"no_action",      // informational, nothing to do
}

// Defaults of the grouping and the events kept.
const (
	DefaultWindow = 15 * time.Minute
	KeepFirst     = 5    // first matched events kept with an alert
	KeepLast      = 20   // latest matched events kept with an alert
	MaxEventBytes = 8192 // an event's fields as JSON, at most
)

// Alert is one group of matches in the queue.
type Alert struct {
	ID          int64     `json:"id"`
	RuleID      string    `json:"rule_id"`
	RuleTitle   string    `json:"rule_title"`
	Severity    string    `json:"severity"`
	Host        string    `json:"host"`              // the inventory's name, or as the event named it
	HostID      int64     `json:"host_id,omitempty"` // 0 when the host is not in the inventory
	Unit        string    `json:"unit"`
	UnitName    string    `json:"unit_name"`
	UnitID      int64     `json:"unit_id"`
	SourceID    int64     `json:"source_id,omitempty"`
	Key         string    `json:"key,omitempty"` // values of the rule's grouping fields
	Count       int64     `json:"count"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Status      string    `json:"status"`
	StatusSince time.Time `json:"status_since"`
	StatusBy    string    `json:"status_by,omitempty"` // e-mail of who set the status; "" for the hub
	// AcknowledgedAt is when someone first acknowledged the alert (zero
	// while nobody has): escalation reads it.
	AcknowledgedAt time.Time `json:"acknowledged_at,omitzero"`
	AcknowledgedBy string    `json:"acknowledged_by,omitempty"`
	Assignee       string    `json:"assignee,omitempty"` // e-mail
	AssigneeName   string    `json:"assignee_name,omitempty"`
	CloseReason    string    `json:"close_reason,omitempty"`
	Note           string    `json:"note,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	ChangedAt      time.Time `json:"changed_at"`
	// Events are the kept matched events (Get only).
	Events []Event `json:"events,omitempty"`

	unitPath   string
	assigneeID int64
}

// UnitPath is the materialised path of the alert's unit, for scope checks.
func (a *Alert) UnitPath() string { return a.unitPath }

// Event is one matched event kept with an alert.
type Event struct {
	Seq      int64           `json:"seq"` // the match's number in the alert, 1 for the first
	Time     time.Time       `json:"time"`
	SourceID int64           `json:"source_id,omitempty"`
	Fields   json.RawMessage `json:"fields"`
}

// Service is the alert store and queue.
type Service struct {
	DB *store.DB
	// Window groups matches of the same rule, host and key whose times are
	// within it of the group's last match (DefaultWindow when 0).
	Window time.Duration
	// Refresh is how often the inventory and suppression caches are
	// reloaded (a minute when 0; suppressions changed in this process
	// apply at once).
	Refresh time.Duration
	Now     func() time.Time // for tests; time.Now when nil

	recordMu sync.Mutex // one Record at a time: the open-group index is its
	groups   map[string]*group
	inv      *inventory
	sups     *suppressions
	// supsStale makes the next Record reload the suppressions (one was
	// added or removed here).
	supsStale atomic.Bool
	swept     time.Time

	feedMu  sync.Mutex
	feed    *feed
	closing chan struct{}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) window() time.Duration {
	if s.Window > 0 {
		return s.Window
	}
	return DefaultWindow
}

func (s *Service) refresh() time.Duration {
	if s.Refresh > 0 {
		return s.Refresh
	}
	return time.Minute
}

// canWork reports whether p may acknowledge, assign and close alerts of the
// unit at path: officers and admins where they may write, and the SOC's
// analysts everywhere (they read every unit and work the alerts).
func canWork(p *auth.Principal, path string) bool {
	if p.CanWrite(path) {
		return true
	}
	return p.Role == auth.RoleAnalyst && p.CanRead(path)
}

// CanWork reports whether p may work (acknowledge, assign, close) alerts
// anywhere: for pages deciding whether to show the actions.
func CanWork(p *auth.Principal) bool {
	return p != nil && p.Via != "agent" && (p.Role == auth.RoleAdmin || p.Role == auth.RoleAnalyst || p.Role == auth.RoleOfficer)
}
