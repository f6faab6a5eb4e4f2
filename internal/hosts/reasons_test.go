package hosts

import (
	"context"
	"reflect"
	"testing"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func TestCheckReasons(t *testing.T) {
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	yes, no := true, false
	av := func(c Control) Control {
		c.Kind, c.Product = asset.ControlAntivirus, "Microsoft Defender Antivirus"
		return c
	}
	for _, c := range []struct {
		name      string
		avOK, edr bool
		updated   time.Time
		ctls      []Control
		ok        bool
		want      Reason
	}{
		{"fresh", true, false, now.Add(-time.Hour), []Control{av(Control{Enabled: true, UpdatedAt: now.Add(-time.Hour)})}, true, Reason{}},
		{"six days old", true, false, now.Add(-6*24*time.Hour - 3*time.Hour), []Control{av(Control{Enabled: true, UpdatedAt: now.Add(-6*24*time.Hour - 3*time.Hour)})}, false,
			Reason{ReasonAVSigOld, []any{6, "Microsoft Defender Antivirus"}}},
		{"signatures unknown", true, false, time.Time{}, []Control{av(Control{Enabled: true})}, false, Reason{ReasonAVSigUnknown, []any{"Microsoft Defender Antivirus"}}},
		{"disabled", false, false, time.Time{}, []Control{av(Control{})}, false, Reason{ReasonAVDisabled, []any{"Microsoft Defender Antivirus"}}},
		{"not running", false, false, time.Time{}, []Control{av(Control{Enabled: true, Running: &no})}, false, Reason{ReasonAVNotRunning, []any{"Microsoft Defender Antivirus"}}},
		{"real-time off", false, false, time.Time{}, []Control{av(Control{Enabled: true, Running: &yes, RealTime: &no})}, false, Reason{ReasonAVRealTimeOff, []any{"Microsoft Defender Antivirus"}}},
		{"none", false, false, time.Time{}, []Control{{Kind: asset.ControlFirewall, Product: "ufw", Enabled: true}}, false, Reason{ReasonAVNone, nil}},
		{"edr stopped", false, false, time.Time{}, []Control{{Kind: asset.ControlEDR, Product: "Wazuh", Running: &no}}, false, Reason{ReasonEDRNotRunning, []any{"Wazuh"}}},
		{"edr covers old signatures", true, true, now.Add(-30 * 24 * time.Hour), nil, true, Reason{}},
	} {
		ok, why := AntivirusCheck(c.avOK, c.updated, c.edr, c.ctls, now)
		if ok != c.ok || !reflect.DeepEqual(why, c.want) {
			t.Errorf("antivirus %s: %v %+v, want %v %+v", c.name, ok, why, c.ok, c.want)
		}
	}

	fw := []Control{{Kind: asset.ControlFirewall, Product: "Windows Defender Firewall", OffProfiles: []string{"Domain", "Public"}}}
	if ok, why := FirewallCheck(false, fw); ok || !reflect.DeepEqual(why, Reason{ReasonFWProfilesOff, []any{"Domain, Public", "Windows Defender Firewall"}}) {
		t.Errorf("firewall off on two profiles: %v %+v", ok, why)
	}
	if ok, why := FirewallCheck(false, []Control{{Kind: asset.ControlFirewall, Product: "ufw"}}); ok || why.Code != ReasonFWOff {
		t.Errorf("firewall off: %v %+v", ok, why)
	}
	if ok, why := FirewallCheck(false, nil); ok || why.Code != ReasonFWNone {
		t.Errorf("no firewall: %v %+v", ok, why)
	}

	seen := time.Date(2026, 12, 2, 3, 15, 0, 0, time.UTC)
	if ok, why := AgentCheck("a1", seen, now); ok || !reflect.DeepEqual(why, Reason{ReasonAgentSilent, []any{seen}}) {
		t.Errorf("silent agent: %v %+v", ok, why)
	}
	if ok, _ := AgentCheck("a1", now.Add(-time.Hour), now); !ok {
		t.Error("agent seen an hour ago fails")
	}
	if _, why := AgentCheck("", time.Time{}, now); why.Code != ReasonAgentNone {
		t.Errorf("no agent: %+v", why)
	}
	if _, why := AgentCheck("a1", time.Time{}, now); why.Code != ReasonAgentNever {
		t.Errorf("never seen: %+v", why)
	}
}

// TestHostReasons: what ingest stores is enough for the host lists and
// the coverage report to say why each check fails.
func TestHostReasons(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s, ctx := setup(t, db)
		old := inv("PC-OLD", "10.1.0.1", 6*24*time.Hour+time.Hour, true)
		old.Controls[1].Enabled = false
		old.Controls[1].Profiles = []asset.ControlProfile{{Name: "Domain", Enabled: false}, {Name: "Private", Enabled: true}, {Name: "Public", Enabled: true}}
		if _, err := s.Import(ctx, "P1", "a.json", []*asset.Inventory{old}); err != nil {
			t.Fatal(err)
		}
		tok, err := s.CreateEnrollmentToken(ctx, EnrollmentTokenInput{Unit: "P1", ExpiresIn: "1h", MaxUses: 1})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.Enroll(context.Background(), &agentapi.EnrollRequest{Token: tok.Token, Hostname: "PC-AGENT", Inventory: inv("PC-AGENT", "10.1.0.2", time.Hour, true)})
		if err != nil {
			t.Fatal(err)
		}
		p, _ := s.AgentPrincipal(ctx, resp.AgentID, resp.Secret)
		if _, err := s.Heartbeat(auth.WithPrincipal(ctx, p), &agentapi.HeartbeatRequest{}); err != nil {
			t.Fatal(err)
		}
		beat := time.Now()
		s.Now = func() time.Time { return time.Now().Add(30 * time.Hour) }

		cov, err := s.UnitCoverage(ctx, "P1")
		if err != nil {
			t.Fatal(err)
		}
		why := func(check, host string) Reason {
			for _, h := range cov.Failing[check] {
				if h.Hostname == host {
					return h.Status.Why[check]
				}
			}
			t.Errorf("%s does not fail %s", host, check)
			return Reason{}
		}
		// 6 days and 1 hour old, read 30 hours later: 7 whole days.
		if r := why("antivirus", "PC-OLD"); r.Code != ReasonAVSigOld || r.Args[0] != 7 {
			t.Errorf("PC-OLD antivirus: %+v", r)
		}
		if r := why("firewall", "PC-OLD"); r.Code != ReasonFWProfileOff || r.Args[0] != "Domain" {
			t.Errorf("PC-OLD firewall: %+v", r)
		}
		if r := why("agent", "PC-OLD"); r.Code != ReasonAgentNone {
			t.Errorf("PC-OLD agent: %+v", r)
		}
		r := why("agent", "PC-AGENT")
		if seen, ok := r.Args[0].(time.Time); r.Code != ReasonAgentSilent || !ok || seen.Sub(beat).Abs() > time.Second {
			t.Errorf("PC-AGENT agent: %+v (heartbeat at %s)", r, beat)
		}
		hs, _, err := s.ListHosts(ctx, HostFilter{Query: "pc-agent"})
		if err != nil || len(hs) != 1 || hs[0].Status.Why["antivirus"].Code != "" || hs[0].Status.Why["firewall"].Code != "" {
			t.Fatalf("PC-AGENT passes antivirus and firewall: %+v %v", hs, err)
		}
	})
}
