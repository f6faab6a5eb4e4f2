package scanimport

import (
	"strings"
	"time"
)

type trivyVuln struct {
	VulnerabilityID  string
	PkgName          string
	InstalledVersion string
	FixedVersion     string
	Status           string
	Severity         string
	Title            string
	Description      string
	PrimaryURL       string
	CVSS             map[string]struct {
		V3Score float64
		V2Score float64
	}
}

type trivyResult struct {
	Target            string
	Class             string
	Type              string
	Vulnerabilities   []trivyVuln
	Misconfigurations []struct{ ID string }
	Secrets           []struct{ RuleID string }
}

// Trivy severities: CRITICAL, HIGH, MEDIUM, LOW as such; UNKNOWN graded by
// the best CVSS score given, else filed medium (see unknownSeverity). A
// vulnerability whose status is not_affected is skipped as not
// vulnerable; misconfigurations and secrets are skipped as not
// vulnerabilities. Trivy does not name a host: the import's host (--host)
// is used, and without one every record is skipped as having no host.
//
// parseTrivy reads schema 2 ({"SchemaVersion": 2, "ArtifactName",
// "Results": [...]}), the legacy list of results, a Kubernetes report
// ({"ClusterName", "Vulnerabilities": [{"Namespace", "Kind", "Name",
// "Results"}], "Misconfigurations": [...]}) and "null" (an empty legacy
// report). Each result is decoded on its own.
func parseTrivy(j *jsonReader, sink Sink, first byte) (*Report, error) {
	rep := &Report{Format: FormatTrivy, Scanner: "Trivy"}
	n := 0
	target := ""
	result := func(where string) func() error {
		return func() error {
			var res trivyResult
			if err := j.decode(&res, "result"); err != nil {
				return err
			}
			note := strings.TrimSpace(where + " " + res.Target)
			for _, v := range res.Vulnerabilities {
				n++
				rec := &Record{N: n, CheckID: v.VulnerabilityID, Title: v.Title, Product: v.PkgName, Installed: v.InstalledVersion, FixedIn: v.FixedVersion, SkipNote: note}
				if rec.Title == "" {
					rec.Title = v.VulnerabilityID
					if v.PkgName != "" {
						rec.Title += " — " + v.PkgName
					}
				}
				rec.addCVE(v.VulnerabilityID)
				if len(rec.CVEs) == 0 {
					rec.BadCVEs = nil // a GHSA or distribution id: filed by check id
				}
				for _, src := range []string{"nvd", "redhat", "ghsa"} {
					if c, ok := v.CVSS[src]; ok && rec.CVSS == 0 {
						rec.CVSS = c.V3Score
						if rec.CVSS == 0 {
							rec.CVSS = c.V2Score
						}
					}
				}
				rec.Output = clip(v.Description, maxOutput)
				sev, known := severityWord(v.Severity)
				switch {
				case strings.EqualFold(v.Status, "not_affected"):
					rec.Skip = SkipNotVulnerable
				case known && sev == "":
					rec.Skip = SkipInformational
				case known:
					rec.Severity = sev
				default:
					if rec.Severity = severityFromCVSS(rec.CVSS); rec.Severity == "" {
						rec.Severity = unknownSeverity
					}
				}
				if err := sink.Record(rec); err != nil {
					return err
				}
			}
			for range res.Misconfigurations {
				n++
				if err := sink.Record(&Record{N: n, Skip: SkipNotVulnerabilty, SkipNote: note}); err != nil {
					return err
				}
			}
			for range res.Secrets {
				n++
				if err := sink.Record(&Record{N: n, Skip: SkipNotVulnerabilty, SkipNote: note}); err != nil {
					return err
				}
			}
			return nil
		}
	}
	switch first {
	case '[', 'n':
		if err := j.array(result("")); err != nil {
			return nil, err
		}
	default:
		k8s := func() error {
			var where string
			return j.object(func(key string) error {
				switch key {
				case "Namespace", "Kind", "Name":
					var s string
					if err := j.decode(&s, key); err != nil {
						return err
					}
					where = strings.TrimSpace(where + " " + s)
					return nil
				case "Results":
					return j.array(result(where))
				}
				return j.skip()
			})
		}
		err := j.object(func(key string) error {
			switch key {
			case "ArtifactName", "ClusterName":
				if err := j.decode(&target, key); err != nil {
					return err
				}
				rep.Target = target
				return nil
			case "CreatedAt":
				var s string
				if err := j.decode(&s, key); err != nil {
					return err
				}
				if at, err := time.Parse(time.RFC3339Nano, s); err == nil {
					rep.ScanAt = at
				}
				return nil
			case "Results":
				return j.array(result(target))
			case "Vulnerabilities", "Misconfigurations":
				return j.array(k8s)
			}
			return j.skip()
		})
		if err != nil {
			return nil, err
		}
	}
	return rep, j.end()
}
