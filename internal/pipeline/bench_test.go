package pipeline

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/bus"
	"vigil/internal/detect/ioc"
	"vigil/internal/detect/sigma"
)

// sharedData returns ../shared/data/<sub> beside the repository, or skips.
func sharedData(tb testing.TB, sub string) string {
	tb.Helper()
	dir, _ := os.Getwd()
	for i := 0; i < 6; i++ {
		p := filepath.Join(dir, "..", "shared", "data", sub)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		dir = filepath.Dir(dir)
	}
	if os.Getenv("VIGIL_TEST_REQUIRE") == "all" {
		tb.Fatalf("shared sample data %s not found", sub)
	}
	tb.Skipf("shared sample data %s not found", sub)
	return ""
}

// sigmaHQ1000 compiles 1,000 SigmaHQ rules: every Linux rule, then
// Windows rules in path order.
func sigmaHQ1000(tb testing.TB) *sigma.RuleSet {
	root := sharedData(tb, "sigma/rules")
	var files []string
	for _, sub := range []string{"linux", "windows", "network", "web"} {
		filepath.WalkDir(filepath.Join(root, sub), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yml") {
				files = append(files, p)
			}
			return nil
		})
	}
	sort.SliceStable(files, func(i, j int) bool {
		return strings.Contains(files[i], "/linux/") && !strings.Contains(files[j], "/linux/")
	})
	var rules []*sigma.Rule
	for _, f := range files {
		if len(rules) >= 1000 {
			break
		}
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		rs, _ := sigma.Parse(data, f)
		for _, r := range rs {
			if r.Correlation == nil && len(rules) < 1000 {
				rules = append(rules, r)
			}
		}
	}
	set, _ := sigma.Compile(rules, sigma.Options{Placeholders: map[string][]string{"Workstations": {"WS01"}}})
	return set
}

// millionIndicators builds 1,000,000 indicators: addresses, domains and
// hashes in equal parts.
func millionIndicators() *ioc.Set {
	b := ioc.NewBuilder()
	for i := 0; i < 333_334; i++ {
		b.Add(ioc.KindIP, fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), "")
		b.Add(ioc.KindDomain, fmt.Sprintf("bad%d.example.net", i), "")
		if i < 333_332 {
			b.Add(ioc.KindSHA256, fmt.Sprintf("%x", sha256.Sum256([]byte(strconv.Itoa(i)))), "")
		}
	}
	return b.Build()
}

// benchRecords is a mix of what the syslog listener and the events API
// receive: sshd and sudo lines, a firewall's CEF, Suricata EVE and Sysmon
// JSON.
func benchRecords(n int) []bus.Record {
	lines := []struct {
		f    bus.Format
		data string
	}{
		{bus.FormatText, "<38>Dec  3 10:00:%02d web-%d sshd[2211]: Failed password for invalid user admin from 203.0.113.%d port 50022 ssh2"},
		{bus.FormatText, "<86>Dec  3 10:00:%02d app-%d sudo: operator : TTY=pts/0 ; PWD=/home/operator ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx%d"},
		{bus.FormatText, "<134>Dec  3 10:00:%02d fw-%d CEF:0|Fortinet|FortiGate|7.0|13|traffic|3|src=192.0.2.%d dst=198.51.100.7 spt=51000 dpt=443 proto=6 act=accept"},
		{bus.FormatJSON, `{"timestamp":"2026-12-03T10:00:%02d.000000+0700","flow_id":1,"event_type":"dns","src_ip":"192.0.2.%d","src_port":53000,"dest_ip":"198.51.100.53","dest_port":53,"proto":"UDP","dns":{"type":"query","rrname":"host%d.example.org","rrtype":"A"}}`},
		{bus.FormatJSON, `{"Event":{"System":{"Provider":{"Name":"Microsoft-Windows-Sysmon"},"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws-%02d.bhxh.local","EventRecordID":%d},"EventData":{"Image":"C:\\Windows\\System32\\cmd.exe","CommandLine":"cmd.exe /c whoami %d","ParentImage":"C:\\Windows\\explorer.exe","User":"BHXH\\an","Hashes":"SHA256=ABCDEF"}}}`},
	}
	out := make([]bus.Record, n)
	now := time.Now().UTC()
	for i := range out {
		l := lines[i%len(lines)]
		out[i] = bus.Record{Seq: uint64(i + 1), SourceID: 1, UnitID: 1, Format: l.f, Remote: "192.0.2.1:514", Received: now,
			Data: []byte(fmt.Sprintf(l.data, i%60, i%250, i%250))}
		if i%100 == 99 {
			// One event in a hundred is an attack a rule and an indicator
			// catch: whoami run by cmd, connecting to a listed address.
			out[i].Format = bus.FormatJSON
			out[i].Data = []byte(fmt.Sprintf(`{"Event":{"System":{"Provider":{"Name":"Microsoft-Windows-Sysmon"},"EventID":1,"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws-%02d.bhxh.local","EventRecordID":%d},"EventData":{"Image":"C:\\Windows\\System32\\whoami.exe","OriginalFileName":"whoami.exe","CommandLine":"whoami /all","ParentImage":"C:\\Windows\\System32\\cmd.exe","User":"BHXH\\an","SourceIp":"10.0.1.%d"}}}`, i%60, i, i%250))
		}
	}
	return out
}

type countRecorder struct{ n atomic.Int64 }

func (c *countRecorder) Record(_ context.Context, ms []alerts.Match) error {
	c.n.Add(int64(len(ms)))
	return nil
}

// BenchmarkPipeline runs batches of bus records through parsing, 1,000
// SigmaHQ rules and 1,000,000 indicators on every core, and reports
// events per second.
func BenchmarkPipeline(b *testing.B) {
	e := NewEngine()
	rs := sigmaHQ1000(b)
	e.Swap(&Ruleset{Sigma: rs})
	e.IOC.Replace(millionIndicators())
	rec := &countRecorder{}
	p := &Pipeline{Engine: e, Alerts: rec}
	recs := benchRecords(5000)
	const batch = 1000
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	events := 0
	for i := 0; i < b.N; i++ {
		for lo := 0; lo < len(recs); lo += batch {
			if err := p.Handle(context.Background(), recs[lo:lo+batch]); err != nil {
				b.Fatal(err)
			}
		}
		events += len(recs)
	}
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(events)/el.Seconds(), "events/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(events), "cpu-µs/event")
	b.ReportMetric(float64(rec.n.Load())/float64(events), "matches/event")
	b.Logf("%d rules, %d indicators, %d cores: %.0f events/s, %.2f µs of CPU per event (%.0f events/s per core busy)", rs.Len(), e.IOC.Load().Len(),
		runtime.GOMAXPROCS(0), float64(events)/el.Seconds(), float64(cpu.Microseconds())/float64(events), float64(events)/cpu.Seconds())
}
