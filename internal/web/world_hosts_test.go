package web_test

import (
	"context"
	"testing"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/agent/scan"
	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/detect/ioc"
	"vigil/internal/findings"
	"vigil/internal/hosts"
)

// testInventory is a small valid inventory of a Windows workstation.
func testInventory(hostname, ip string, avAge time.Duration) *asset.Inventory {
	sig := time.Now().Add(-avAge).UTC()
	on := true
	return &asset.Inventory{
		Hostname: hostname, CollectedAt: time.Now().UTC(),
		OS:         asset.OS{Family: "windows", Name: "Microsoft Windows 11 Pro", Version: "10.0.22631", Build: "22631.3007"},
		Interfaces: []asset.Interface{{Name: "Ethernet", MAC: "00:15:5d:01:02:03", Addresses: []string{ip + "/24"}}},
		Software:   []asset.Software{{Name: "7-Zip 23.01 (x64)", Version: "23.01", Vendor: "Igor Pavlov", Source: asset.SoftwareRegistry}},
		Hotfixes:   []asset.Hotfix{{ID: "KB5034123", InstalledAt: &sig}},
		Accounts:   []asset.Account{{Name: "Administrator", Admin: true, Enabled: false}},
		Listening:  []asset.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 445, Process: "System"}},
		Controls: []asset.Control{
			{Kind: asset.ControlAntivirus, Product: "Microsoft Defender Antivirus", Enabled: true, RealTime: &on, UpdatedAt: &sig},
			{Kind: asset.ControlFirewall, Product: "Windows Firewall", Enabled: true},
		},
	}
}

// addHosts gives units A and B an enrolled agent each (hostA, hostB), a
// host imported without agent in A, and a finding on hostB.
func (w *world) addHosts(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if w.hostIDs == nil {
		w.hostIDs = map[string]int64{}
		w.agentTok = map[string]string{}
		w.findingIDs = map[string]int64{}
	}
	for _, unit := range []string{"A", "B"} {
		p, _ := w.hub.Auth.Login(ctx, "officer"+lower(unit)+"@test.vigil", testPassword)
		tok, err := w.hub.Hosts.CreateEnrollmentToken(auth.WithPrincipal(ctx, p), hosts.EnrollmentTokenInput{Unit: unit, ExpiresIn: "1h", MaxUses: 5})
		if err != nil {
			t.Fatal(err)
		}
		inv := testInventory("ws-"+lower(unit)+"-01", "10.0."+map[string]string{"A": "1", "B": "2"}[unit]+".10", time.Hour)
		resp, err := w.hub.Hosts.Enroll(ctx, &agentapi.EnrollRequest{Token: tok.Token, Hostname: inv.Hostname, Inventory: inv})
		if err != nil {
			t.Fatal(err)
		}
		w.agentTok[unit] = "agent." + resp.AgentID + "." + resp.Secret
		hs, _, _ := w.hub.Hosts.ListHosts(auth.WithPrincipal(ctx, auth.System), hosts.HostFilter{Unit: unit})
		w.hostIDs[unit] = hs[0].ID
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	if _, err := w.hub.Hosts.Import(sys, "A1", "test.json", []*asset.Inventory{testInventory("srv-a1-db", "10.0.11.5", 10*24*time.Hour)}); err != nil {
		t.Fatal(err)
	}
	task, err := w.hub.Hosts.CreateScanTask(sys, w.hostIDs["B"], agentapi.ScanParams{Paths: []string{`C:\Users`}})
	if err != nil {
		t.Fatal(err)
	}
	agentB, _ := w.hub.Hosts.AgentPrincipal(ctx, agentIDOf(w.agentTok["B"]), secretOf(w.agentTok["B"]))
	err = w.hub.Hosts.TaskResult(auth.WithPrincipal(ctx, agentB), task.ID, &agentapi.TaskResult{Status: agentapi.StatusDone, Report: &scan.Report{
		Files: 10, Findings: []scan.Finding{{Kind: "file", Hit: ioc.Hit{Kind: ioc.KindSHA256, Indicator: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
			Path: `C:\Users\Public\evil.exe`, SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}}})
	if err != nil {
		t.Fatal(err)
	}
	fs, _, err := w.hub.Findings.List(sys, findings.Filter{HostID: w.hostIDs["B"]})
	if err != nil || len(fs) != 1 {
		t.Fatalf("findings of B's host: %v %v", fs, err)
	}
	w.findingIDs["B"] = fs[0].ID
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func agentIDOf(tok string) string { id, _, _ := agentapi.ParseBearer("Bearer " + tok); return id }
func secretOf(tok string) string  { _, s, _ := agentapi.ParseBearer("Bearer " + tok); return s }
