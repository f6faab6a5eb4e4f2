package natreport

import (
	"testing"
	"time"
)

// Mẫu 03's status follows the case's: a case still new is "just
// detected, not yet handled", not "being handled".
func TestInitialStatusFollowsTheCase(t *testing.T) {
	for st, want := range map[string]string{"new": "detected", "triage": "handling", "containment": "contained", "closed": "resolved"} {
		v := fillInitial(&Case{Status: st, OpenedAt: time.Now()}, &Profile{}, time.Now())
		if v["incident_status"] != want {
			t.Errorf("case %s: Mẫu 03 status %q, want %q", st, v["incident_status"], want)
		}
	}
}
