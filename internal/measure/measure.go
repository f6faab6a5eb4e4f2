// Package measure is the contract between the capabilities that hold the
// organisation's data (hosts, findings, alerts, duty, sources, health,
// training, phishing, incidents) and the two views that read across all
// of them: readiness campaigns (internal/readiness) and the monthly
// technical security report (internal/monthly).
//
// Each capability's Service implements Provider: asked for a period, it
// returns Samples, one per (metric key, unit, dimension), counted over
// that unit's own objects only. Readers roll units up into subtrees
// themselves, so a provider never needs to know the tree. A metric the
// provider cannot compute (no such data in this hub) is simply absent:
// readers show a gap, never a zero they made up.
//
// Providers run as the system (auth.System): samples are unscoped, and a
// reader scopes what it shows to its caller.
//
// The package holds types only and imports nothing of Vigil's, so any
// capability may import it.
package measure

import (
	"context"
	"time"
)

// Request says what a reader wants.
type Request struct {
	// From and To bound the period [From, To) for metrics counted over a
	// period (alerts acknowledged, findings opened, roster hours…).
	From, To time.Time
	// Now is the moment for state metrics (hosts with anti-malware
	// current "now", open findings "now"). A monthly report asks for the
	// end of its month; readiness asks for the present.
	Now time.Time
	// Keys, when not empty, limits the metrics computed to these keys; a
	// provider skips the queries of keys not wanted.
	Keys map[string]bool
	// AckTarget is the SOC's target time to acknowledge an alert (for
	// KeyAlertsAckedInTime); zero means 30 minutes.
	AckTarget time.Duration
}

// Wants reports whether key is asked for.
func (r Request) Wants(key string) bool { return len(r.Keys) == 0 || r.Keys[key] }

// WantsAny reports whether any of keys is asked for.
func (r Request) WantsAny(keys ...string) bool {
	for _, k := range keys {
		if r.Wants(k) {
			return true
		}
	}
	return false
}

// Sample is one figure of one unit.
type Sample struct {
	Key    string `json:"key"`
	UnitID int64  `json:"unit_id"`
	// Dim splits a metric (a severity, a rule title, a category code);
	// empty for a metric with no dimension.
	Dim string `json:"dim,omitempty"`
	// Num is the count (or the numerator of a share); Den is the
	// denominator of a share, 0 for a plain count. A share of 0 of 0 is
	// still a sample (Num 0, Den 0): "nothing to measure" is for the
	// reader to show, and differs from an absent sample.
	Num float64 `json:"num"`
	Den float64 `json:"den"`
}

// Provider is implemented by each capability's Service.
type Provider interface {
	Samples(ctx context.Context, r Request) ([]Sample, error)
}

// Metric keys. Each names its provider, the objects counted and what Num
// and Den are. Shares: Num of Den. Counts: Num, Den 0.
const (
	// hosts (state at Now; hosts not retired)
	KeyHostsAVCurrent     = "hosts.av_current"     // share: hosts with anti-malware running and signatures < 3 days old at Now, of hosts
	KeyHostsFirewallOn    = "hosts.firewall_on"    // share: hosts with the firewall on, of hosts (unknown state counts as not on)
	KeyHostsAgentSeen24h  = "hosts.agent_seen_24h" // share: hosts whose agent reported in the 24 h before Now, of hosts
	KeyHostsTotal         = "hosts.total"          // count: hosts
	KeyHostsScannedPeriod = "hosts.scanned"        // share: hosts with a full malware scan finished in [From, To), of hosts

	// findings (state at Now unless said)
	KeyFindingsWatchlistClosed = "findings.watchlist_closed" // share: warning-list findings closed (resolved/verified), of warning-list findings opened before Now
	KeyFindingsMalwareClosed   = "findings.malware_closed"   // share: malware findings closed, of malware findings opened before Now
	KeyFindingsMS2023Open      = "findings.ms2023_open"      // count: open findings of Microsoft 2023 CVEs (CVE-2023-*, vendor Microsoft) rated high or critical, not risk-accepted
	KeyFindingsMS2023Accepted  = "findings.ms2023_accepted"  // count, Dim = approver's e-mail: the same findings under an accepted risk
	KeyFindingsOverdue         = "findings.overdue"          // count: open findings past their due date at Now
	KeyFindingsOpened          = "findings.opened"           // count, Dim = kind (vuln, malware, watchlist, control…): findings opened in [From, To)
	KeyFindingsClosed          = "findings.closed"           // count, Dim = kind: findings closed in [From, To)
	KeyMSPatchState            = "findings.ms_patch"         // count, Dim = "open/critical", "open/high", "closed/critical", "closed/high", "accepted/high"…: Microsoft findings at Now (monthly report)

	// alerts (over [From, To))
	KeyAlertsAckedInTime = "alerts.acked_in_time" // share: alerts acknowledged within Request.AckTarget of being raised, of alerts raised
	KeyAlertsBySeverity  = "alerts.by_severity"   // count, Dim = severity: alerts raised
	KeyAlertsByRule      = "alerts.by_rule"       // count, Dim = rule title: alerts raised (readers take the top N)

	// duty (over [From, To))
	KeyDutyCovered = "duty.covered" // share: hours of [From, To) with at least one person on the unit's roster, of the hours of [From, To)

	// sources and health
	KeySourcesReporting = "sources.reporting"  // share: registered (not revoked) sources that sent in the 24 h before Now, of registered sources
	KeyNCSCUptime       = "health.ncsc_uptime" // share: seconds the national monitoring center link probe was up in [From, To), of seconds probed; on the unit owning the probe

	// training and phishing
	KeyTrainingPassed    = "training.passed"    // share: assignments passed, of assignments of campaigns due in or active over [From, To) (unit = the person's unit)
	KeyTrainingCompleted = "training.completed" // share: assignments completed, of the same assignments
	KeyDrillClicked      = "phishing.clicked"   // share: drill recipients who clicked (scanner requests excluded), of recipients sent to in [From, To)
	KeyDrillReported     = "phishing.reported"  // share: drill recipients who reported, of recipients sent to in [From, To)

	// incidents
	KeyIncidentsReportedOnTime = "incidents.reported_on_time" // share: cases whose initial report was due in [From, To) (or is overdue at Now) and went out by its deadline, of those cases
	KeyIncidentsByCategory     = "incidents.by_category"      // count, Dim = category code: cases detected in [From, To), as incident.MonthlySummary counts them
)
