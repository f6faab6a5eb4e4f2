package intel

// TEMPORARY: a minimal CSV reader the tests use while format.Read is the
// contract's stub (the format helper lands the real readers); it steps
// aside by itself once format.Read reads a CSV, and goes then.

import (
	"bufio"
	"io"
	"strings"

	"vigil/internal/intel/format"
)

func init() {
	if _, err := format.Read("probe.csv", strings.NewReader("ip,192.0.2.1\n"), format.ReadOptions{}); err == nil {
		return
	}
	readFile = func(name string, r io.Reader, opt format.ReadOptions) (*format.Result, error) {
		res := &format.Result{Format: "csv", Skipped: []format.Problem{}}
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		line := 0
		for sc.Scan() {
			line++
			t := strings.TrimSpace(sc.Text())
			if t == "" || strings.HasPrefix(t, "type,") {
				continue
			}
			res.ObjectsRead++
			f := strings.Split(t, ",")
			if len(f) < 2 {
				res.Skipped = append(res.Skipped, format.Problem{File: name, Line: line, Field: "value", Reason: "missing value"})
				continue
			}
			ind := format.Indicator{Kind: f[0], Value: strings.ToLower(f[1]), Source: opt.Source, TLP: opt.TLP}
			if len(f) > 2 {
				ind.Comment = f[2]
			}
			if len(f) > 8 {
				ind.Unit = f[8]
			}
			if len(f) > 9 {
				ind.Action = f[9]
			}
			if len(f) > 10 {
				ind.Severity = f[10]
			}
			if ind.Kind != "ip" && ind.Kind != "domain" && ind.Kind != "account" && ind.Kind != "hostname" && ind.Kind != "sha256" {
				res.Skipped = append(res.Skipped, format.Problem{File: name, Line: line, Field: "type", Reason: "unknown type"})
				continue
			}
			res.Indicators = append(res.Indicators, ind)
		}
		return res, sc.Err()
	}
}
