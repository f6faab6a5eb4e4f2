package pipeline_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/bus"
	"vigil/internal/detect/sigma"
	"vigil/internal/hosts"
	"vigil/internal/pipeline"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

const sshdID = "6c1a0c2e-0f0e-4d5e-9a51-000000000001"

// TestReloadLosesNothing publishes a stream while the rule set is rebuilt
// and swapped again and again (UI rules added, disabled, the directory
// touched): every event is matched by the directory's rule exactly once.
func TestReloadLosesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.run(t)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		var reloads atomic.Int64
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("7d000000-0000-4000-8000-%012d", i)
				y := strings.NewReplacer(eveRule[:strings.Index(eveRule, "\n")], "title: churn "+id, "6c1a0c2e-0f0e-4d5e-9a51-000000000002", id).Replace(eveRule)
				if _, err := w.rules.Create(w.sys, pipeline.RuleInput{YAML: y}); err != nil {
					t.Error(err)
					return
				}
				if err := w.rules.Reload(context.Background()); err != nil {
					t.Error(err)
					return
				}
				reloads.Add(1)
			}
		}()
		// Publish until the set was swapped several times.
		n := 0
		for deadline := time.Now().Add(30 * time.Second); (n < 3000 || reloads.Load() < 5) && time.Now().Before(deadline); n += 100 {
			sent := n
			lines := make([]string, 100)
			for i := range lines {
				lines[i] = sshLine(sent + i)
			}
			w.publish(t, "A", bus.FormatText, lines...)
			time.Sleep(2 * time.Millisecond)
		}
		w.matches(t, sshdID, n)
		close(stop)
		wg.Wait()
		if reloads.Load() < 5 {
			t.Errorf("only %d reloads during the stream", reloads.Load())
		}
		t.Logf("%d events matched once each across %d reloads", n, reloads.Load())
	})
}

// TestExceptions: an exception for A1 silences the rule for A1's sources
// and for A1's hosts reported by a central source; A keeps alerting;
// disabling a directory rule by id silences it everywhere.
func TestExceptions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		inv := &asset.Inventory{Hostname: "web-9", CollectedAt: time.Now().UTC(), Role: asset.RoleServer,
			OS: asset.OS{Family: "linux", Name: "Debian GNU/Linux", Version: "12"}}
		if _, err := (&hosts.Service{DB: db}).Import(w.sys, "A1", "hosts.json", []*asset.Inventory{inv}); err != nil {
			t.Fatal(err)
		}
		if err := w.rules.Reload(w.sys); err != nil { // the directory's rules reach the table
			t.Fatal(err)
		}
		if _, err := w.rules.AddException(w.sys, sshdID, pipeline.ExceptionInput{Unit: "A1", Note: "honeypot"}); err != nil {
			t.Fatal(err)
		}
		w.run(t)
		line := func(host string, i int) string {
			return fmt.Sprintf("<38>Dec  3 10:00:00 %s sshd[1]: Failed password for invalid user u%d from 203.0.113.1 port 1 ssh2", host, i)
		}
		w.publish(t, "A1", bus.FormatText, line("web-1", 1), line("web-2", 2))     // A1's own source
		w.publish(t, "BHXHVN", bus.FormatText, line("web-9", 3), line("WEB-9", 4)) // the root's SIEM about A1's host
		w.publish(t, "A", bus.FormatText, line("web-3", 5))                        // A alerts
		w.publish(t, "B", bus.FormatText, line("web-4", 6), line("web-5", 7))      // B alerts
		got := w.matches(t, sshdID, 3)
		if got[w.units["A"]] != 1 || got[w.units["B"]] != 2 {
			t.Errorf("matches by unit: %v", got)
		}
		// Disabled by id: nothing more, even from B.
		off := false
		if _, err := w.rules.Update(w.sys, sshdID, pipeline.RulePatch{Enabled: &off}); err != nil {
			t.Fatal(err)
		}
		if err := w.rules.Reload(w.sys); err != nil {
			t.Fatal(err)
		}
		w.publish(t, "B", bus.FormatText, line("web-4", 8))
		w.publish(t, "A", bus.FormatText, "<38>Dec  3 10:00:00 x sshd[1]: marker")
		time.Sleep(500 * time.Millisecond)
		w.matches(t, sshdID, 3)
		// The rules page counts the matches of the last 24 hours.
		w.rules.FlushHits(w.sys)
		r, err := w.rules.Get(w.sys, sshdID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Hits24h != 3 || r.Enabled || r.Source != pipeline.SourceDir {
			t.Errorf("rule as listed: %+v", r)
		}
	})
}

// TestPlaceholdersFromDemoInventory fills the expand placeholders from the
// demo organisation's hosts plus a domain controller, and runs a rule
// that uses one.
func TestPlaceholdersFromDemoInventory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		hs := &hosts.Service{DB: db}
		if n, err := hs.LoadDemo(w.sys); err != nil || n == 0 {
			t.Fatalf("demo hosts: %d %v", n, err)
		}
		ph, err := w.rules.Placeholders(w.sys)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"ServerSystems", "Workstations", "Administrators", "internal_domains"} {
			if len(ph[name]) == 0 {
				t.Errorf("placeholder %s has no value from the demo inventory: %v", name, ph)
			}
		}
		if len(ph["DomainControllers"]) != 0 {
			t.Errorf("the demo has no domain controller, got %v", ph["DomainControllers"])
		}
		if !slices.Contains(ph["internal_domains"], "bhxh.local") {
			t.Errorf("internal domains %v", ph["internal_domains"])
		}
		// A rule for a DC is refused until the inventory has one.
		dcRule := `title: Logon to a domain controller from a workstation
id: 8e000000-0000-4000-8000-000000000001
level: high
logsource:
  product: windows
  service: security
detection:
  selection:
    EventID: 4624
    Computer|expand: '%domain_controller_hostnames%'
  condition: selection
`
		if _, err := w.rules.Create(w.sys, pipeline.RuleInput{YAML: dcRule}); err == nil || !strings.Contains(err.Error(), "domain_controller_hostnames") {
			t.Fatalf("a rule with an unfilled placeholder: %v", err)
		}
		dc := &asset.Inventory{Hostname: "DC01", FQDN: "dc01.bhxh.local", Domain: "bhxh.local", DomainKind: "ad", CollectedAt: time.Now().UTC(), Role: asset.RoleServer,
			OS:         asset.OS{Family: "windows", Name: "Microsoft Windows Server 2022 Standard", Version: "10.0.20348"},
			Interfaces: []asset.Interface{{Name: "Ethernet", Addresses: []string{"10.1.0.10/24"}}},
			Listening:  []asset.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 88, Process: "lsass.exe"}, {Proto: "tcp", Address: "0.0.0.0", Port: 389, Process: "lsass.exe"}},
			Accounts:   []asset.Account{{Name: "quantri.ad", Admin: true, Enabled: true}}}
		if _, err := hs.Import(w.sys, "A", "dc.json", []*asset.Inventory{dc}); err != nil {
			t.Fatal(err)
		}
		ph, err = w.rules.Placeholders(w.sys)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ph["dc_machine_accounts"], "DC01$") || !slices.Contains(ph["dc_ip_addresses"], "10.1.0.10") ||
			!slices.Contains(ph["domain_controller_hostnames"], "dc01.bhxh.local") || !slices.Contains(ph["Administrators"], "quantri.ad") {
			t.Errorf("placeholders with a DC: %v", ph)
		}
		if _, err := w.rules.Create(w.sys, pipeline.RuleInput{YAML: dcRule}); err != nil {
			t.Fatal(err)
		}
		w.run(t)
		ev := `{"Event":{"System":{"Provider":{"Name":"Microsoft-Windows-Security-Auditing"},"EventID":4624,"Channel":"Security","Computer":"%s","EventRecordID":%d},"EventData":{"TargetUserName":"an","LogonType":"3"}}}`
		w.publish(t, "A", bus.FormatJSON, fmt.Sprintf(ev, "dc01.bhxh.local", 1), fmt.Sprintf(ev, "ws-01.bhxh.local", 2))
		w.matches(t, "8e000000-0000-4000-8000-000000000001", 1)
	})
}

// TestIndicatorFilesReload reads an indicator file and reads it again
// only when it changes.
func TestIndicatorFilesReload(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	path := filepath.Join(t.TempDir(), "iocs.csv")
	if err := os.WriteFile(path, []byte("type,value,comment\nip,198.51.100.7,C2\ndomain,evil.example,phishing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &pipeline.Service{DB: db, Engine: pipeline.NewEngine(), Indicators: []pipeline.IndicatorProvider{pipeline.IndicatorFiles{Paths: []string{path}}}}
	if err := s.ReloadIndicators(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	first := s.Engine.IOC.Load()
	if first.Len() != 2 {
		t.Fatalf("%d indicators", first.Len())
	}
	if err := s.ReloadIndicators(context.Background(), true); err != nil || s.Engine.IOC.Load() != first {
		t.Fatalf("an unchanged file was read again (%v)", err)
	}
	if err := os.WriteFile(path, []byte("type,value\nip,198.51.100.7\ndomain,evil.example\nsha256,"+strings.Repeat("ab", 32)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, time.Now().Add(time.Second), time.Now().Add(time.Second))
	if err := s.ReloadIndicators(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if n := s.Engine.IOC.Load().Len(); n != 3 {
		t.Fatalf("after the change: %d indicators", n)
	}
}

// TestChangeFromAnotherProcess: a rule added through a web-only
// process's service reaches the detecting process by the version row.
func TestChangeFromAnotherProcess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		w.run(t)
		web := &pipeline.Service{DB: db} // no engine: a --role web process
		if _, err := web.Create(w.sys, pipeline.RuleInput{YAML: eveRule}); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			rs := w.rules.Engine.Rules()
			if rs.Sigma != nil && slices.ContainsFunc(rs.Sigma.Rules(), func(c *sigma.Compiled) bool { return c.ID == "6c1a0c2e-0f0e-4d5e-9a51-000000000002" }) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the detecting process did not pick up the rule")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestMissingRulesDirectory: a rules directory that cannot be read does
// not keep the UI's rules from running, and its rules load once it can.
func TestMissingRulesDirectory(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	w := newWorld(t, db)
	dir := filepath.Join(t.TempDir(), "later")
	w.rules.Dirs = []string{dir}
	if _, err := w.rules.Create(w.sys, pipeline.RuleInput{YAML: eveRule}); err != nil {
		t.Fatal(err)
	}
	if err := w.rules.Reload(w.sys); err != nil {
		t.Fatal(err)
	}
	if n := w.rules.Engine.Rules().Sigma.Len(); n != 1 {
		t.Fatalf("%d rules with the directory missing, want the UI's 1", n)
	}
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "sshd.yml"), []byte(sshdRule), 0o644)
	w.run(t)
	deadline := time.Now().Add(10 * time.Second)
	for w.rules.Engine.Rules().Sigma.Len() != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the directory's rule did not load once the directory appeared")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
