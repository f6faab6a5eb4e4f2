// Package pipeline is detection in the stream: it consumes the bus,
// parses each record into a detect.Event (internal/detect/parse), runs the
// Sigma engine and the hub's indicators over it, and hands the matches to
// the alert store (alerts.Service.Record) in batches.
//
// The rules it runs come from a directory (--rules) and from the UI
// (Service): enabled or disabled by id, with per-unit exceptions and the
// expand placeholders filled from the inventory. A new set is compiled in
// the background and swapped in atomically (Engine.Swap), so reloading
// never pauses matching: a batch runs to its end on the set it started
// with, the next takes the new one.
package pipeline

import (
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"vigil/internal/detect/ioc"
	"vigil/internal/detect/sigma"
)

// Ruleset is one compiled generation of what the pipeline runs: the Sigma
// rules and what decides whether a match becomes an alert. It is
// immutable once built.
type Ruleset struct {
	Sigma *sigma.RuleSet // nil for none
	// Disabled holds ids of rules not to alert on (indicator kinds as
	// "ioc:<kind>"); disabled Sigma rules are not even compiled.
	Disabled map[string]bool
	// Exceptions maps a rule id to the unit paths ("/1/7/") under which
	// it does not alert.
	Exceptions map[string][]string
	// UnitPaths maps unit ids to their paths; HostUnits folded host names
	// (and FQDNs) from the inventory to their unit's path, so an
	// exception follows the host even when a central source sends its
	// events.
	UnitPaths map[int64]string
	HostUnits map[string]string
	// Refused are the rules that failed to compile, for the rules page.
	Refused []*sigma.RuleError
	Built   time.Time
}

// excepted reports whether rule must not alert for an event of the
// source's unit about host.
func (rs *Ruleset) excepted(rule string, unitID int64, host string) bool {
	paths := rs.Exceptions[rule]
	if len(paths) == 0 {
		return false
	}
	up := rs.UnitPaths[unitID]
	hp := ""
	if host != "" {
		hp = rs.HostUnits[foldHost(host)]
	}
	for _, p := range paths {
		if up != "" && strings.HasPrefix(up, p) || hp != "" && strings.HasPrefix(hp, p) {
			return true
		}
	}
	return false
}

// foldHost lowers a host name and drops a trailing dot; the short name of
// an FQDN is looked up as well by the caller's map holding both.
func foldHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// Engine holds the current Ruleset and indicator set. Swapping either is
// atomic: matching goes on with the old one until the next batch.
type Engine struct {
	rules atomic.Pointer[Ruleset]
	IOC   ioc.Live

	mu   sync.Mutex
	hits map[string]int64 // alerts per rule id since the last TakeHits
}

// NewEngine returns an engine with no rules and no indicators.
func NewEngine() *Engine {
	e := &Engine{hits: map[string]int64{}}
	e.rules.Store(&Ruleset{Built: time.Now()})
	e.IOC.Replace(ioc.NewBuilder().Build())
	return e
}

// Rules returns the current Ruleset.
func (e *Engine) Rules() *Ruleset { return e.rules.Load() }

// Swap installs rs and returns the previous set.
func (e *Engine) Swap(rs *Ruleset) *Ruleset { return e.rules.Swap(rs) }

// countHits adds one batch's matches per rule.
func (e *Engine) countHits(h map[string]int64) {
	if len(h) == 0 {
		return
	}
	e.mu.Lock()
	for k, v := range h {
		e.hits[k] += v
	}
	e.mu.Unlock()
}

// TakeHits returns the matches per rule since the last call and resets
// them (the Service writes them to rule_hits).
func (e *Engine) TakeHits() map[string]int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	h := e.hits
	e.hits = map[string]int64{}
	return h
}

// isAddressField reports whether a field's name says it holds an address
// that may name the host an event is about (for alert attribution).
func isAddressField(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "src", "dst", "ipaddress", "host.ip", "source.ip", "destination.ip", "client.ip", "agent.ip", "observer.ip":
		return true
	}
	return strings.HasSuffix(n, "ip") || strings.HasSuffix(n, "_ip") || strings.HasSuffix(n, ".ip") ||
		strings.HasSuffix(n, "ipaddress") || strings.HasSuffix(n, "address") && !strings.Contains(n, "mail")
}

// validAddr reports whether v is an IP address.
func validAddr(v string) bool {
	if len(v) < 2 || len(v) > 64 {
		return false
	}
	_, err := netip.ParseAddr(v)
	return err == nil
}
