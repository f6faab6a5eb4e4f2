package scanimport

import (
	"encoding/json"
	"strings"
	"time"
)

type grypeCVSS struct {
	Version string `json:"version"`
	Metrics struct {
		BaseScore float64 `json:"baseScore"`
	} `json:"metrics"`
}

type grypeVuln struct {
	ID          string      `json:"id"`
	Severity    string      `json:"severity"`
	Description string      `json:"description"`
	CVSS        []grypeCVSS `json:"cvss"`
	Fix         struct {
		Versions []string `json:"versions"`
		State    string   `json:"state"`
	} `json:"fix"`
}

type grypeMatch struct {
	Vulnerability grypeVuln   `json:"vulnerability"`
	Related       []grypeVuln `json:"relatedVulnerabilities"`
	Artifact      struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Type    string `json:"type"`
	} `json:"artifact"`
}

func bestCVSS(l []grypeCVSS) float64 {
	best, v3 := 0.0, false
	for _, c := range l {
		is3 := strings.HasPrefix(c.Version, "3") || strings.HasPrefix(c.Version, "4")
		if (is3 && !v3) || (is3 == v3 && c.Metrics.BaseScore > best) {
			best, v3 = c.Metrics.BaseScore, is3
		}
	}
	return best
}

// Grype severities: Critical, High, Medium, Low as such, Negligible low,
// Unknown graded by CVSS or filed medium. A match's CVE is its id when
// that is one, else those of its related vulnerabilities (a GHSA names
// its CVE there). Like Trivy, Grype names no host: --host.
//
// parseGrype reads Grype's JSON ({"matches": [...], "source": {...},
// "descriptor": {...}}), one match at a time.
func parseGrype(j *jsonReader, sink Sink) (*Report, error) {
	rep := &Report{Format: FormatGrype, Scanner: "Grype"}
	n := 0
	var target string
	matches := func() error {
		var m grypeMatch
		if err := j.decode(&m, recordName(n+1)); err != nil {
			return err
		}
		n++
		v := m.Vulnerability
		rec := &Record{N: n, CheckID: v.ID, Product: m.Artifact.Name, Installed: m.Artifact.Version, SkipNote: target}
		rec.Title = v.ID + " — " + m.Artifact.Name
		if !rec.addCVE(v.ID) {
			rec.BadCVEs = nil
		}
		desc := v.Description
		rec.CVSS = bestCVSS(v.CVSS)
		for _, r := range m.Related {
			if _, ok := NormalizeCVE(r.ID); ok {
				rec.addCVE(r.ID)
			}
			if rec.CVSS == 0 {
				rec.CVSS = bestCVSS(r.CVSS)
			}
			if desc == "" {
				desc = r.Description
			}
		}
		rec.Output = clip(desc, maxOutput)
		rec.FixedIn = strings.Join(v.Fix.Versions, ", ")
		sev, known := severityWord(v.Severity)
		switch {
		case known && sev == "":
			rec.Skip = SkipInformational
		case known:
			rec.Severity = sev
		default:
			if rec.Severity = severityFromCVSS(rec.CVSS); rec.Severity == "" {
				rec.Severity = unknownSeverity
			}
		}
		return sink.Record(rec)
	}
	err := j.object(func(key string) error {
		switch key {
		case "matches":
			return j.array(matches)
		case "source":
			var src struct {
				Type   string          `json:"type"`
				Target json.RawMessage `json:"target"`
			}
			if err := j.decode(&src, "source"); err != nil {
				return err
			}
			var s string
			if json.Unmarshal(src.Target, &s) != nil {
				var t struct {
					UserInput string `json:"userInput"`
				}
				json.Unmarshal(src.Target, &t)
				s = t.UserInput
			}
			target = strings.TrimSpace(src.Type + " " + s)
			rep.Target = target
			return nil
		case "descriptor":
			var d struct {
				Timestamp string `json:"timestamp"`
			}
			if err := j.decode(&d, "descriptor"); err != nil {
				return err
			}
			if at, err := time.Parse(time.RFC3339Nano, d.Timestamp); err == nil {
				rep.ScanAt = at
			}
			return nil
		}
		return j.skip()
	})
	if err != nil {
		return nil, err
	}
	return rep, j.end()
}
