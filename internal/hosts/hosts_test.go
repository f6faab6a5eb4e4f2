package hosts

import (
	"context"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func setup(t *testing.T, db *store.DB) (*Service, context.Context) {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []org.UnitInput{{Code: "P1", Name: "Tỉnh một", Kind: "province", Parent: org.RootCode}, {Code: "P2", Name: "Tỉnh hai", Kind: "province", Parent: org.RootCode}} {
		if _, err := o.CreateUnit(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	return &Service{DB: db}, ctx
}

func inv(host, ip string, sigAge time.Duration, fw bool) *asset.Inventory {
	sig := time.Now().Add(-sigAge).UTC()
	return &asset.Inventory{Hostname: host, CollectedAt: time.Now().UTC(),
		OS:         asset.OS{Family: "windows", Name: "Microsoft Windows 10 Pro", Version: "10.0.19045", Build: "19045.3930"},
		Interfaces: []asset.Interface{{Name: "eth0", Addresses: []string{ip + "/24"}}},
		Software:   []asset.Software{{Name: "Google Chrome", Version: "120.0", Vendor: "Google LLC", Source: asset.SoftwareRegistry}},
		Accounts:   []asset.Account{{Name: "Administrator", Admin: true, Enabled: false}},
		Controls: []asset.Control{{Kind: asset.ControlAntivirus, Product: "Microsoft Defender Antivirus", Enabled: true, UpdatedAt: &sig},
			{Kind: asset.ControlFirewall, Product: "Windows Firewall", Enabled: fw}},
	}
}

func TestImportMatchesHosts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		res, err := s.Import(ctx, "P1", "a.json", []*asset.Inventory{inv("PC-01", "10.1.0.1", time.Hour, true), inv("PC-02", "10.1.0.2", time.Hour, true)})
		if err != nil || res.Created != 2 {
			t.Fatalf("first import: %+v %v", res, err)
		}
		// Names keep their case; matching ignores it (below).
		if hs, _, _ := s.ListHosts(ctx, HostFilter{Query: "pc-02"}); len(hs) != 1 || hs[0].Hostname != "PC-02" {
			t.Fatalf("PC-02 found as %+v", hs)
		}
		// Same host again (FQDN-style name, same address): updated.
		again := inv("pc-01.bhxh.local", "10.1.0.1", time.Hour, true)
		again.Software = append(again.Software, asset.Software{Name: "7-Zip", Version: "23.01", Vendor: "Igor Pavlov", Source: asset.SoftwareRegistry})
		res, err = s.Import(ctx, "P1", "b.json", []*asset.Inventory{again})
		if err != nil || res.Created != 0 || res.Updated != 1 || res.Changes == 0 {
			t.Fatalf("re-import: %+v %v", res, err)
		}
		// Same name, different address, no machine id: a different machine.
		res, _ = s.Import(ctx, "P1", "c.json", []*asset.Inventory{inv("PC-01", "10.1.9.9", time.Hour, true)})
		if res.Created != 1 {
			t.Fatalf("same name other address: %+v", res)
		}
		// Same host in another unit is another host.
		res, _ = s.Import(ctx, "P2", "d.json", []*asset.Inventory{inv("PC-01", "10.1.0.1", time.Hour, true)})
		if res.Created != 1 {
			t.Fatalf("other unit: %+v", res)
		}
		// A bad record imports nothing of its file.
		bad := inv("PC-03", "10.1.0.3", time.Hour, true)
		bad.Interfaces[0].Addresses = []string{"999.1.1.1/24"}
		_, err = s.Import(ctx, "P1", "e.json", []*asset.Inventory{inv("PC-04", "10.1.0.4", 0, true), bad})
		e, ok := errs.As(err)
		if !ok || e.Code != errs.EINVALID || e.Field == "" {
			t.Fatalf("bad record: %v", err)
		}
		hs, _, _ := s.ListHosts(ctx, HostFilter{Query: "pc-04"})
		if len(hs) != 0 {
			t.Fatal("PC-04 imported from a failed file")
		}
		// The history holds the software change.
		hs, _, _ = s.ListHosts(ctx, HostFilter{Unit: "P1", Query: "10.1.0.1"})
		if len(hs) != 1 {
			t.Fatalf("search by address found %d", len(hs))
		}
		changes, _, _ := s.Changes(ctx, ChangeFilter{HostID: hs[0].ID, Limit: 10})
		if len(changes) == 0 || changes[0].Kind != asset.ChangeSoftwareAdded {
			t.Fatalf("changes %+v", changes)
		}
	})
}

func TestEnrolTokensAndAgentFlow(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		tok, err := s.CreateEnrollmentToken(ctx, EnrollmentTokenInput{Unit: "P1", ExpiresIn: "1h", MaxUses: 2})
		if err != nil {
			t.Fatal(err)
		}
		enrol := func(token, host, ip string) (*agentapi.EnrollResponse, error) {
			return s.Enroll(context.Background(), &agentapi.EnrollRequest{Token: token, Hostname: host, Inventory: inv(host, ip, time.Hour, true)})
		}
		a1, err := enrol(tok.Token, "PC-01", "10.1.0.1")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := enrol(tok.Token, "PC-02", "10.1.0.2"); err != nil {
			t.Fatal(err)
		}
		if _, err := enrol(tok.Token, "PC-03", "10.1.0.3"); errs.Code(err) != errs.EUNAUTHORIZED {
			t.Fatalf("third use of a 2-use token: %v", err)
		}
		// Expired and revoked tokens are refused.
		s.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		tok2, _ := s.CreateEnrollmentToken(ctx, EnrollmentTokenInput{Unit: "P1", ExpiresIn: "1m", MaxUses: 5})
		s.Now = nil
		if _, err := enrol(tok2.Token, "PC-04", "10.1.0.4"); err != nil {
			t.Fatalf("token valid in the future refused: %v", err)
		}
		s.Now = func() time.Time { return time.Now().Add(-time.Hour) }
		tok3, _ := s.CreateEnrollmentToken(ctx, EnrollmentTokenInput{Unit: "P1", ExpiresIn: "1m", MaxUses: 5})
		s.Now = nil
		if _, err := enrol(tok3.Token, "PC-05", "10.1.0.5"); errs.Code(err) != errs.EUNAUTHORIZED {
			t.Fatalf("expired token: %v", err)
		}
		tok4, _ := s.CreateEnrollmentToken(ctx, EnrollmentTokenInput{Unit: "P1", ExpiresIn: "1h", MaxUses: 5})
		if err := s.RevokeEnrollmentToken(ctx, tok4.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := enrol(tok4.Token, "PC-06", "10.1.0.6"); errs.Code(err) != errs.EUNAUTHORIZED {
			t.Fatalf("revoked token: %v", err)
		}

		// The agent posts a delta: applied, and the changes recorded.
		p, err := s.AgentPrincipal(context.Background(), a1.AgentID, a1.Secret)
		if err != nil || p == nil {
			t.Fatalf("agent auth: %v", err)
		}
		if bad, _ := s.AgentPrincipal(context.Background(), a1.AgentID, "wrong"); bad != nil {
			t.Fatal("wrong agent secret accepted")
		}
		actx := auth.WithPrincipal(context.Background(), p)
		h, _ := s.GetHost(ctx, p.HostID)
		base := h.Inventory
		next := base.Clone()
		next.Listening = append(next.Listening, asset.Listener{Proto: "tcp", Address: "0.0.0.0", Port: 4444, Process: "nc.exe"})
		next.Accounts = append(next.Accounts, asset.Account{Name: "backdoor", Admin: true, Enabled: true})
		next.Normalize()
		resp, changes, err := s.PostInventory(actx, &agentapi.InventoryRequest{Changes: asset.MakeDelta(base, next)})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Hash != next.Hash() {
			t.Fatalf("hash after delta %s, want %s", resp.Hash, next.Hash())
		}
		kinds := map[string]bool{}
		for _, c := range changes {
			kinds[c.Kind] = true
		}
		if !kinds[asset.ChangePortOpened] || !kinds[asset.ChangeAdminAdded] {
			t.Fatalf("changes %+v", changes)
		}
		// A delta against a stale base is a conflict naming the hub's hash.
		_, _, err = s.PostInventory(actx, &agentapi.InventoryRequest{Changes: asset.MakeDelta(base, next)})
		if e, ok := errs.As(err); !ok || e.Code != errs.ECONFLICT || e.Field != "changes.base" || !strings.Contains(e.Message, next.Hash()[:12]) {
			t.Fatalf("stale delta: %v", err)
		}
		// Heartbeat returns a scan task until its final result arrives.
		task, err := s.CreateScanTask(ctx, p.HostID, agentapi.ScanParams{Paths: []string{`C:\Users`}})
		if err != nil {
			t.Fatal(err)
		}
		hb, err := s.Heartbeat(actx, &agentapi.HeartbeatRequest{InventoryHash: "stale"})
		if err != nil || len(hb.Tasks) != 1 || hb.Tasks[0].ID != task.ID || !hb.FullInventory {
			t.Fatalf("heartbeat %+v %v", hb, err)
		}
		if err := s.TaskResult(actx, task.ID, &agentapi.TaskResult{Status: agentapi.StatusFailed, Error: "access denied"}); err != nil {
			t.Fatal(err)
		}
		hb, _ = s.Heartbeat(actx, &agentapi.HeartbeatRequest{})
		if len(hb.Tasks) != 0 {
			t.Fatalf("finished task still handed out: %+v", hb.Tasks)
		}
	})
}

func TestCoverage(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		_, err := s.Import(ctx, "P1", "x.json", []*asset.Inventory{
			inv("OK-1", "10.1.0.1", time.Hour, true),
			inv("OLDSIG", "10.1.0.2", 4*24*time.Hour, true),
			inv("NOFW", "10.1.0.3", time.Hour, false),
		})
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.UnitCoverage(ctx, "P1")
		if err != nil {
			t.Fatal(err)
		}
		if c.Hosts != 3 || c.Antivirus != 2 || c.Firewall != 2 || c.AgentSeen != 0 || c.NoAgent != 3 {
			t.Fatalf("coverage %+v", c.Counts)
		}
		if len(c.Failing["antivirus"]) != 1 || c.Failing["antivirus"][0].Hostname != "OLDSIG" {
			t.Fatalf("failing antivirus %+v", c.Failing["antivirus"])
		}
		root, _ := s.UnitCoverage(ctx, org.RootCode)
		if root.Hosts != 3 || len(root.Children) != 2 {
			t.Fatalf("root roll-up %+v children %d", root.Counts, len(root.Children))
		}
		// Scope: an officer of P2 cannot see P1's coverage.
		off := auth.WithPrincipal(context.Background(), &auth.Principal{UserID: 9, Role: auth.RoleOfficer, UnitPath: "/3/", UnitCode: "P2"})
		if _, err := s.UnitCoverage(off, "P1"); errs.Code(err) != errs.ENOTFOUND {
			t.Fatalf("officer of P2 reads P1 coverage: %v", err)
		}
	})
}
