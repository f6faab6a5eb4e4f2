package alerts

import (
	"time"

	"vigil/internal/detect"
)

// Match is what detection hands the alert store: one event that matched
// one rule or indicator. Record groups matches into alerts (same rule,
// host and key within the grouping window give one alert with a count),
// attributes them to a host and unit, and keeps a bounded sample of the
// matched events.
type Match struct {
	RuleID    string // Sigma rule id, "ioc:<kind>" for indicators, "vigil.health.*" for the hub's own
	RuleTitle string
	Level     string    // Sigma level: informational, low, medium, high, critical
	SourceID  int64     // 0 for alerts the hub raises itself
	UnitID    int64     // the source's unit; attribution may narrow it to the host's
	Host      string    // host name from the event, if any
	Addresses []string  // addresses in the event that may name the host
	Key       string    // values of the rule's grouping fields, joined
	Time      time.Time // event time (received time when the event has none)
	Event     *detect.Event
}
