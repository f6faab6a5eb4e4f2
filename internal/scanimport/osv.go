package scanimport

import (
	"strings"
)

type osvVuln struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases"`
	Summary  string   `json:"summary"`
	Details  string   `json:"details"`
	Affected []struct {
		Ranges []struct {
			Events []struct {
				Fixed string `json:"fixed"`
			} `json:"events"`
		} `json:"ranges"`
	} `json:"affected"`
	DatabaseSpecific struct {
		Severity string `json:"severity"`
	} `json:"database_specific"`
}

type osvPackage struct {
	Package struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		Ecosystem string `json:"ecosystem"`
	} `json:"package"`
	Vulnerabilities []osvVuln `json:"vulnerabilities"`
	Groups          []struct {
		IDs         []string  `json:"ids"`
		MaxSeverity flexFloat `json:"max_severity"`
	} `json:"groups"`
}

// OSV-Scanner severities: the group's max_severity (a CVSS score, graded
// 9.0 critical, 7.0 high, 4.0 medium, else low), else the advisory's
// database_specific severity word (GitHub's CRITICAL, HIGH, MODERATE,
// LOW), else medium. An entry's CVEs are its id and aliases that are CVE
// ids; the same CVE reported under several advisories (GHSA, PYSEC) is
// one finding. OSV-Scanner names no host: --host.
//
// parseOSV reads {"results": [{"source": {"path"}, "packages": [...]}]},
// one source's result at a time.
func parseOSV(j *jsonReader, sink Sink) (*Report, error) {
	rep := &Report{Format: FormatOSV, Scanner: "OSV-Scanner"}
	n := 0
	result := func() error {
		var res struct {
			Source struct {
				Path string `json:"path"`
				Type string `json:"type"`
			} `json:"source"`
			Packages []osvPackage `json:"packages"`
		}
		if err := j.decode(&res, "result"); err != nil {
			return err
		}
		if rep.Target == "" {
			rep.Target = res.Source.Path
		}
		for _, p := range res.Packages {
			for _, v := range p.Vulnerabilities {
				n++
				rec := &Record{N: n, CheckID: v.ID, Product: p.Package.Name, Installed: p.Package.Version, SkipNote: res.Source.Path}
				rec.Title = v.Summary
				if rec.Title == "" {
					rec.Title = v.ID + " — " + p.Package.Name
				}
				for _, id := range append([]string{v.ID}, v.Aliases...) {
					if _, ok := NormalizeCVE(id); ok {
						rec.addCVE(id)
					}
				}
				for _, a := range v.Affected {
					for _, r := range a.Ranges {
						for _, e := range r.Events {
							if e.Fixed != "" && rec.FixedIn == "" {
								rec.FixedIn = e.Fixed
							}
						}
					}
				}
				rec.Output = clip(v.Details, maxOutput)
				for _, g := range p.Groups {
					for _, id := range g.IDs {
						if id == v.ID && float64(g.MaxSeverity) > rec.CVSS {
							rec.CVSS = float64(g.MaxSeverity)
						}
					}
				}
				rec.Severity = severityFromCVSS(rec.CVSS)
				if rec.Severity == "" {
					if sev, known := severityWord(v.DatabaseSpecific.Severity); known && sev != "" {
						rec.Severity = sev
					} else {
						rec.Severity = unknownSeverity
					}
				}
				if err := sink.Record(rec); err != nil {
					return err
				}
			}
		}
		return nil
	}
	err := j.object(func(key string) error {
		if key == "results" {
			return j.array(result)
		}
		return j.skip()
	})
	if err != nil {
		return nil, err
	}
	return rep, j.end()
}

var _ = strings.TrimSpace
