package findings_test

import (
	"testing"

	"vigil/internal/findings"
)

// Warning-list findings come before every other finding of the unit (the
// directive: hosts on the IT Center's list are treated first), ordered
// among themselves by severity; other kinds keep the formula.
func TestWarningListPriorityIsAboveEveryVulnerability(t *testing.T) {
	t.Parallel()
	top := findings.Priority(findings.PriorityFacts{Kind: findings.KindVulnerability, Severity: "critical", CVSS: 10, EPSS: 1, KEV: true, Exposed: true, Internet: true, Server: true})
	malware := findings.Priority(findings.PriorityFacts{Kind: findings.KindMalware, Severity: "critical", Exposed: true, Internet: true, Server: true})
	prev := 0
	for _, sev := range []string{"low", "medium", "high", "critical"} {
		p := findings.Priority(findings.PriorityFacts{Kind: findings.KindWarningList, Severity: sev})
		if p <= top || p <= malware {
			t.Errorf("warning list %s: priority %d, not above the top vulnerability (%d) and malware (%d)", sev, p, top, malware)
		}
		if p <= prev {
			t.Errorf("warning list %s: priority %d, not above the less severe %d", sev, p, prev)
		}
		prev = p
	}
	if got := findings.Priority(findings.PriorityFacts{Kind: findings.KindWarningList, Severity: "low", CVSS: 9.9, KEV: true}); got != findings.WarningListPriority {
		t.Errorf("a low warning-list finding has priority %d, want %d whatever else is said", got, findings.WarningListPriority)
	}
}
