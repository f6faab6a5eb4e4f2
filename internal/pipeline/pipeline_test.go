package pipeline_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"vigil/internal/alerts"
	"vigil/internal/auth"
	"vigil/internal/bus"
	"vigil/internal/detect/ioc"
	"vigil/internal/org"
	"vigil/internal/pipeline"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

const sshdRule = `title: SSH brute force attempt
id: 6c1a0c2e-0f0e-4d5e-9a51-000000000001
status: test
level: medium
logsource:
  product: linux
  service: sshd
detection:
  keywords:
    - 'Failed password for invalid user'
  condition: keywords
`

const eveRule = `title: DNS query for a sinkholed domain
id: 6c1a0c2e-0f0e-4d5e-9a51-000000000002
status: test
level: high
logsource:
  product: suricata
detection:
  selection:
    dns.rrname|endswith: '.sinkhole.example'
  condition: selection
`

// world is a hub's database with two provinces, the rules service and
// the pipeline over a real journal.
type world struct {
	db      *store.DB
	sys     context.Context
	units   map[string]int64
	rules   *pipeline.Service
	alerts  *alerts.Service
	journal *bus.Journal
	pipe    *pipeline.Pipeline
	dir     string
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	sys := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(sys); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.UnitInput{
		{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: org.RootCode},
		{Code: "A1", Name: "Huyện A1", Kind: org.KindDistrict, Parent: "A"},
		{Code: "B", Name: "Tỉnh B", Kind: org.KindProvince, Parent: org.RootCode},
	} {
		if _, err := o.CreateUnit(sys, u); err != nil {
			t.Fatal(err)
		}
	}
	w := &world{db: db, sys: sys, units: map[string]int64{}, dir: t.TempDir()}
	rows, err := db.Query(sys, `SELECT id, code FROM units`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var code string
		rows.Scan(&id, &code)
		w.units[code] = id
	}
	rows.Close()
	if err := os.WriteFile(filepath.Join(w.dir, "sshd.yml"), []byte(sshdRule), 0o644); err != nil {
		t.Fatal(err)
	}
	m := pipeline.NewMetrics(nil)
	w.rules = &pipeline.Service{DB: db, Engine: pipeline.NewEngine(), Dirs: []string{w.dir}, Metrics: m, Poll: 50 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)}
	w.alerts = &alerts.Service{DB: db}
	w.journal, err = bus.OpenJournal(filepath.Join(t.TempDir(), "journal"), bus.JournalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.journal.Close() })
	w.pipe = &pipeline.Pipeline{Engine: w.rules.Engine, Alerts: w.alerts, Metrics: m}
	return w
}

// run starts the rules loop and the consumer until the test ends.
func (w *world) run(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stopRules := w.rules.Start(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.pipe.Run(ctx, w.journal)
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		stopRules()
	})
}

func (w *world) publish(t *testing.T, unit string, f bus.Format, lines ...string) {
	t.Helper()
	recs := make([]bus.Record, len(lines))
	for i, l := range lines {
		recs[i] = bus.Record{SourceID: 0, UnitID: w.units[unit], Format: f, Remote: "192.0.2.9:514", Received: time.Now().UTC(), Data: []byte(l)}
	}
	if err := w.journal.Publish(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
}

// matches waits until the alerts of rule hold want matches in all, and
// returns the units they went to.
func (w *world) matches(t *testing.T, rule string, want int) map[int64]int64 {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := map[int64]int64{}
		var total int64
		rows, err := w.db.Query(w.sys, `SELECT unit_id, match_count FROM alerts WHERE rule_id = ?`, rule)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var u, n int64
			rows.Scan(&u, &n)
			got[u] += n
			total += n
		}
		rows.Close()
		if total == int64(want) {
			return got
		}
		if total > int64(want) || time.Now().After(deadline) {
			t.Fatalf("rule %s: %d matches in alerts, want %d", rule, total, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func sshLine(i int) string {
	return fmt.Sprintf("<38>Dec  3 10:00:%02d web-%d sshd[2211]: Failed password for invalid user admin%d from 203.0.113.%d port 50022 ssh2", i%60, i%3, i, i%250)
}

// TestRecordToAlert sends syslog and JSON records through the journal:
// a directory rule, a UI rule and an indicator each become alerts.
func TestRecordToAlert(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		if _, err := w.rules.Create(w.sys, pipeline.RuleInput{YAML: eveRule}); err != nil {
			t.Fatal(err)
		}
		b := ioc.NewBuilder()
		b.Add(ioc.KindIP, "198.51.100.66", "C2 of the test")
		w.rules.Indicators = []pipeline.IndicatorProvider{staticIndicators{b}}
		w.run(t)
		w.publish(t, "A", bus.FormatText, sshLine(1), sshLine(2), "<38>Dec  3 10:00:00 web-1 sshd[1]: Accepted publickey for deploy", "not a log at all")
		w.publish(t, "B", bus.FormatJSON,
			`{"timestamp":"2026-12-03T10:00:00.000000+0700","flow_id":1,"event_type":"dns","src_ip":"192.0.2.31","dest_ip":"198.51.100.66","proto":"UDP","dns":{"type":"query","rrname":"c2.sinkhole.example","rrtype":"A"}}`,
			`{"broken":`)
		got := w.matches(t, "6c1a0c2e-0f0e-4d5e-9a51-000000000001", 2)
		if got[w.units["A"]] != 2 {
			t.Errorf("sshd matches by unit: %v", got)
		}
		w.matches(t, "6c1a0c2e-0f0e-4d5e-9a51-000000000002", 1)
		w.matches(t, "ioc:ip", 1)
		// Indicator kinds are listed among the rules and disabled like them.
		off := false
		if _, err := w.rules.Update(w.sys, "ioc:ip", pipeline.RulePatch{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		if err := w.rules.Reload(w.sys); err != nil {
			t.Fatal(err)
		}
		w.publish(t, "B", bus.FormatJSON,
			`{"timestamp":"2026-12-03T10:00:01.000000+0700","flow_id":2,"event_type":"dns","src_ip":"192.0.2.31","dest_ip":"198.51.100.66","proto":"UDP","dns":{"type":"query","rrname":"c3.sinkhole.example","rrtype":"A"}}`)
		w.matches(t, "6c1a0c2e-0f0e-4d5e-9a51-000000000002", 2)
		w.matches(t, "ioc:ip", 1)
		list, total, err := w.rules.List(w.sys, pipeline.RuleFilter{Source: pipeline.SourceIOC})
		if err != nil || total != len(pipeline.IOCKinds) || list[0].Level != "high" {
			t.Errorf("indicator kinds listed: %d %v", total, err)
		}
	})
}

// staticIndicators is a provider of a fixed list.
type staticIndicators struct{ b *ioc.Builder }

func (s staticIndicators) Version(context.Context) (string, error) { return "1", nil }

func (s staticIndicators) Add(_ context.Context, b *ioc.Builder) (int, error) {
	b.Add(ioc.KindIP, "198.51.100.66", "C2 of the test")
	return 1, nil
}

// TestDemoRulesAndCorrelation loads the demo's UI rules and exception,
// then runs the correlation in the stream: five failed SSH logins on one
// host within five minutes give one correlation alert, beside the single
// failures (generate: true), and none for the excepted district.
func TestDemoRulesAndCorrelation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		if n, err := w.rules.LoadDemo(w.sys); err != nil || n != 4 {
			t.Fatalf("demo rules: %d %v", n, err)
		}
		if n, _ := w.rules.LoadDemo(w.sys); n != 0 {
			t.Fatalf("demo rules loaded twice: %d", n)
		}
		w.run(t)
		var lines []string
		for i := 0; i < 6; i++ {
			lines = append(lines, fmt.Sprintf("<38>Dec  3 10:00:%02d web-7 sshd[1]: Failed password for invalid user u%d from 203.0.113.1 port 1 ssh2", i, i))
		}
		w.publish(t, "A", bus.FormatText, lines...)
		w.matches(t, "3f5c9a10-7d2e-4c61-9b1e-0a6d2f000002", 1)
		w.matches(t, "3f5c9a10-7d2e-4c61-9b1e-0a6d2f000001", 6)
		w.publish(t, "A1", bus.FormatText, lines[0])
		w.publish(t, "A", bus.FormatJSON, `{"Event":{"System":{"Provider":{"Name":"Microsoft-Windows-Eventlog"},"EventID":1102,"Channel":"Security","Computer":"ws-1","EventRecordID":9},"EventData":{}}}`)
		w.matches(t, "3f5c9a10-7d2e-4c61-9b1e-0a6d2f000003", 1)
		w.matches(t, "3f5c9a10-7d2e-4c61-9b1e-0a6d2f000001", 6) // A1 is excepted
	})
}
