package hub_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/duty"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/hub"
	"vigil/internal/i18n"
	"vigil/internal/org"
	"vigil/internal/store"
)

// sharedData returns ../shared/data/<sub> beside the module, skipping the
// test (failing it under VIGIL_TEST_REQUIRE=all) when it is absent.
func sharedData(t *testing.T, sub string) string {
	t.Helper()
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", sub)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("VIGIL_TEST_REQUIRE") == "all" {
			t.Fatalf("shared sample data %s not found (VIGIL_TEST_REQUIRE=all)", p)
		}
		t.Skipf("shared sample data %s not found; skipping", p)
	}
	return p
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestWatchEndToEnd is the "Done when": a hub with a TCP syslog
// listener and SigmaHQ rules receives real sample events over TCP syslog
// and over POST /api/v1/events; the alerts appear in GET /api/v1/alerts;
// nobody acknowledges them, so they are escalated to the SMTP server (the
// unit's officer on duty, then the SOC analyst on duty) and to the webhook;
// the duty roster names who got them; an alert acknowledged at once is not
// escalated. A policy's minute lasts 100 ms here.
func TestWatchEndToEnd(t *testing.T) {
	sigma := sharedData(t, "sigma")
	ctx := context.Background()

	// Two SigmaHQ rules, as they are: one for Linux syslog (useradd),
	// one for Sysmon process creation (certutil -decode), each with its
	// real sample.
	rules := t.TempDir()
	for _, r := range []string{"rules/linux/builtin/lnx_privileged_user_creation.yml", "rules/windows/process_creation/proc_creation_win_certutil_decode.yml"} {
		b, err := os.ReadFile(filepath.Join(sigma, r))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(rules, filepath.Base(r)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(filepath.Join(sigma, "regression_data/rules/windows/process_creation/proc_creation_win_certutil_decode/cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sysmon bytes.Buffer
	if err := json.Compact(&sysmon, raw); err != nil {
		t.Fatal(err)
	}
	// The rule's own example of the event, as rsyslog forwards it.
	useradd := "<86>Dec 21 17:13:54 testserver useradd[1337]: new user: name=john, UID=0, GID=0, home=/home/john, shell=/bin/bash"

	// A policy's minute lasts this long here.
	const minute = 100 * time.Millisecond
	smtpSrv := escalatetest.NewSMTPServer(t)
	hook := escalatetest.NewWebhookReceiver(t, "whsec-e2e-0123456789abcdef")

	dataDir := t.TempDir()
	syslogAddr := freePort(t)
	runCtx, cancel := context.WithCancel(ctx)
	ready := make(chan string, 1)
	done := make(chan error, 1)
	const pw = "e2e-admin-password-1"
	go func() {
		done <- hub.Run(runCtx, hub.Config{Listen: "127.0.0.1:0", DataDir: dataDir, AdminEmail: "admin@e2e.vigil", AdminPassword: pw,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "e2e", Ready: func(a string) { ready <- a },
			Watch: hub.WatchConfig{SyslogTCP: syslogAddr, Rules: []string{rules}},
			Escalation: hub.EscalationConfig{SMTPAddr: smtpSrv.Addr, SMTPFrom: "vigil@e2e.vigil", SMTPUser: smtpSrv.User, SMTPPassword: smtpSrv.Password,
				SMTPTLS: smtpSrv.ClientTLS, PublicURL: "https://vigil.e2e.test", Every: 100 * time.Millisecond, Minute: minute}})
	}()
	var base string
	select {
	case a := <-ready:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("hub: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("hub never became ready")
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})

	call := func(token, method, path string, body any, out any) int {
		t.Helper()
		var rd io.Reader
		if s, ok := body.(string); ok {
			rd = strings.NewReader(s)
		} else if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if _, ok := body.(string); !ok {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		if out != nil && resp.StatusCode < 300 {
			if err := json.Unmarshal(data, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, data)
			}
		}
		if resp.StatusCode >= 300 {
			t.Logf("%s %s: %d %s", method, path, resp.StatusCode, data)
		}
		return resp.StatusCode
	}
	login := func(email string) string {
		var tok struct{ Token string }
		if st := call("", "POST", "/api/v1/auth/token", map[string]string{"email": email, "password": pw}, &tok); st != 201 {
			t.Fatalf("sign in %s: %d", email, st)
		}
		return tok.Token
	}
	admin := login("admin@e2e.vigil")

	// The organisation: the IT Center runs the SOC, a province with its
	// officer, two SOC analysts of whom one leads.
	for _, u := range []org.UnitInput{{Code: "ITC", Name: "Trung tâm Công nghệ thông tin", Kind: org.KindServiceUnit, Parent: org.RootCode},
		{Code: "T66", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode}} {
		if st := call(admin, "POST", "/api/v1/units", u, nil); st != 201 {
			t.Fatalf("unit %s: %d", u.Code, st)
		}
	}
	for _, u := range []org.UserInput{{Email: "attt.daklak@e2e.vigil", Name: "Y Đức Niê", Role: "officer", Unit: "T66"},
		{Email: "soc.truc@e2e.vigil", Name: "Trần Minh Khoa", Role: "analyst", Unit: "ITC"},
		{Email: "soc.truongca@e2e.vigil", Name: "Lê Thị Hạnh", Role: "analyst", Unit: "ITC"}} {
		u.Password = pw
		if st := call(admin, "POST", "/api/v1/users", u, nil); st != 201 {
			t.Fatalf("user %s: %d", u.Email, st)
		}
	}

	// The duty roster, written by another process on the same database
	// (as a second hub would): today's shifts at T66 and at the SOC.
	db, err := store.Open(ctx, dataDir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys := auth.WithPrincipal(ctx, auth.System)
	roster := &duty.Service{DB: db}
	today := time.Now().In(i18n.Location)
	for _, r := range []struct {
		unit   string
		people []duty.Assignment
	}{{"T66", []duty.Assignment{{User: "attt.daklak@e2e.vigil"}}},
		{"ITC", []duty.Assignment{{User: "soc.truc@e2e.vigil"}, {User: "soc.truongca@e2e.vigil", Role: "lead"}}}} {
		ro, err := roster.CreateRoster(sys, duty.RosterInput{Unit: r.unit, From: today.AddDate(0, 0, -1).Format("02/01/2006"), To: today.AddDate(0, 0, 1).Format("02/01/2006"), Pattern: "3x8"})
		if err != nil {
			t.Fatalf("roster %s: %v", r.unit, err)
		}
		shifts, _, err := roster.Shifts(sys, ro.ID, duty.ShiftFilter{From: time.Now(), To: time.Now().Add(time.Minute), Limit: 10})
		if err != nil || len(shifts) == 0 {
			t.Fatalf("shifts of %s now: %d %v", r.unit, len(shifts), err)
		}
		for _, sh := range shifts {
			for _, a := range r.people {
				if _, err := roster.Assign(sys, sh.ID, a); err != nil {
					t.Fatalf("assign %s: %v", a.User, err)
				}
			}
		}
	}
	var now struct {
		Items []struct{ Email, Role string }
	}
	if st := call(admin, "GET", "/api/v1/duty/now?unit=T66", nil, &now); st != 200 || len(now.Items) != 1 {
		t.Fatalf("on duty at T66: %d %+v", st, now)
	}
	officerOnDuty := now.Items[0].Email
	if st := call(admin, "GET", "/api/v1/duty/now?unit=ITC", nil, &now); st != 200 || len(now.Items) != 2 {
		t.Fatalf("on duty at the SOC: %d %+v", st, now)
	}
	var socOnDuty string
	for _, p := range now.Items {
		if p.Role != "lead" {
			socOnDuty = p.Email
		}
	}

	// Escalation: 15 minutes to the unit's person on duty, 10 more to the
	// SOC analyst on duty and the SIEM's webhook.
	var ch struct{ ID int64 }
	if st := call(admin, "POST", "/api/v1/escalation/channels", map[string]any{"unit": org.RootCode, "name": "SIEM trung tâm", "kind": "webhook",
		"target": hook.URL, "secret": hook.Secret}, &ch); st != 201 {
		t.Fatalf("channel: %d", st)
	}
	if st := call(admin, "POST", "/api/v1/escalation/policies", map[string]any{"unit": org.RootCode, "name": "Cảnh báo cao chưa xác nhận", "min_severity": "high",
		"soc_unit": "ITC", "steps": []map[string]any{{"delay_minutes": 15, "target": "unit_duty"}, {"delay_minutes": 10, "target": "soc_duty"},
			{"delay_minutes": 0, "target": "channel", "channel": ch.ID}}}, nil); st != 201 {
		t.Fatalf("policy: %d", st)
	}

	// Event sources of T66: the syslog sender (this machine) and the SIEM
	// posting JSON.
	var src struct{ Token string }
	if st := call(admin, "POST", "/api/v1/sources", map[string]any{"unit": "T66", "name": "rsyslog tỉnh", "kind": "siem", "senders": []string{"127.0.0.1"}}, nil); st != 201 {
		t.Fatalf("syslog source: %d", st)
	}
	if st := call(admin, "POST", "/api/v1/sources", map[string]any{"unit": "T66", "name": "Wazuh tỉnh", "kind": "siem"}, &src); st != 201 || src.Token == "" {
		t.Fatalf("HTTP source: %d", st)
	}

	officer := login("attt.daklak@e2e.vigil")
	sent := time.Now()
	conn, err := net.Dial("tcp", syslogAddr)
	if err != nil {
		t.Fatal(err)
	}
	// The same event from a second host: an alert of its own, which the
	// officer acknowledges at once.
	if _, err := fmt.Fprintf(conn, "%s\n%s\n", useradd, strings.Replace(useradd, "testserver", "otherserver", 1)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	var accepted map[string]any
	if st := call(src.Token, "POST", "/api/v1/events", sysmon.String()+"\n", &accepted); st >= 300 {
		t.Fatalf("events API: %d", st)
	}

	// The alerts appear in the queue.
	type alert struct {
		ID        int64  `json:"id"`
		RuleID    string `json:"rule_id"`
		RuleTitle string `json:"rule_title"`
		Severity  string `json:"severity"`
		Host      string `json:"host"`
		Unit      string `json:"unit"`
		Status    string `json:"status"`
	}
	var list struct{ Items []alert }
	deadline := time.Now().Add(30 * time.Second)
	for {
		list.Items = nil
		call(admin, "GET", "/api/v1/alerts?unit=T66&status=open", nil, &list)
		if len(list.Items) >= 3 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	visible := time.Since(sent)
	rulesSeen := map[string]alert{}
	var acked alert
	for _, a := range list.Items {
		if a.Host == "otherserver" {
			acked = a
			continue
		}
		rulesSeen[a.RuleID] = a
	}
	if acked.ID == 0 {
		t.Fatalf("no alert for the second host: %+v", list.Items)
	}
	if st := call(officer, "PATCH", fmt.Sprintf("/api/v1/alerts/%d", acked.ID), map[string]any{"action": "acknowledge"}, nil); st != 200 {
		t.Fatalf("acknowledge: %d", st)
	}
	ackedAfter := time.Since(sent)
	syslogAlert, okS := rulesSeen["0ac15ec3-d24f-4246-aa2a-3077bb1cf90e"]
	httpAlert, okH := rulesSeen["cc9cbe82-7bc0-4ef5-bc23-bbfb83947be7"]
	if !okS || !okH {
		t.Fatalf("alerts of the useradd rule (TCP syslog) %v and the certutil rule (events API) %v: %+v", okS, okH, list.Items)
	}
	if syslogAlert.Host != "testserver" || syslogAlert.Severity != "high" || syslogAlert.Unit != "T66" {
		t.Errorf("syslog alert %+v", syslogAlert)
	}
	if !strings.EqualFold(httpAlert.Host, "ar-win-dc.attackrange.local") && !strings.HasPrefix(strings.ToLower(httpAlert.Host), "ar-win-dc") {
		t.Errorf("HTTP alert %+v", httpAlert)
	}
	t.Logf("acknowledged the second host's alert %v after sending", ackedAfter.Round(time.Millisecond))
	t.Logf("alerts visible %v after sending: %q (%s), %q (%s)", visible.Round(time.Millisecond), syslogAlert.RuleTitle, syslogAlert.Host, httpAlert.RuleTitle, httpAlert.Host)

	// Nobody acknowledges them: two e-mails to the officer on duty, then
	// two to the SOC analyst on duty, and two signed webhooks.
	msgs := smtpSrv.Wait(4, 30*time.Second)
	deliveries := hook.Wait(2, 30*time.Second)
	escalated := time.Since(sent)
	if len(msgs) != 4 {
		t.Fatalf("the SMTP server got %d messages, want 4", len(msgs))
	}
	to := map[string]int{}
	for _, m := range msgs {
		if !m.TLS || m.User != smtpSrv.User {
			t.Errorf("message sent without STARTTLS and AUTH: %+v", m)
		}
		to[m.To[0]]++
		if !strings.Contains(m.Body, "https://vigil.e2e.test/alerts/") || !strings.Contains(m.Body, "Bảo hiểm xã hội tỉnh Đắk Lắk (T66)") {
			t.Errorf("message body:\n%s", m.Body)
		}
	}
	if to[officerOnDuty] != 2 || to[socOnDuty] != 2 {
		t.Errorf("e-mails by recipient %v; on duty: %s at T66, %s at the SOC", to, officerOnDuty, socOnDuty)
	}
	first := msgs[0]
	if first.To[0] != officerOnDuty {
		t.Errorf("the first e-mail went to %s, not the unit's officer on duty %s", first.To[0], officerOnDuty)
	}
	if len(deliveries) != 2 || len(hook.Refused()) != 0 {
		t.Fatalf("webhook: %d deliveries, refused %v", len(deliveries), hook.Refused())
	}
	ids := []int64{deliveries[0].Body.Alert.ID, deliveries[1].Body.Alert.ID}
	slices.Sort(ids)
	want := []int64{syslogAlert.ID, httpAlert.ID}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("webhook alerts %v, want %v", ids, want)
	}

	// The acknowledged alert was never escalated, even once its steps were
	// long due.
	time.Sleep(30 * minute)
	if n := len(smtpSrv.Messages()); n != 4 {
		t.Errorf("%d e-mails once every step was due, want 4", n)
	}
	for _, m := range smtpSrv.Messages() {
		if strings.Contains(m.Subject, "otherserver") {
			t.Errorf("the acknowledged alert was e-mailed: %s", m.Subject)
		}
	}

	// The notification log says who got what: the people the roster
	// names, delivered.
	var log struct {
		Items []struct {
			AlertID   int64  `json:"alert_id"`
			Step      int    `json:"step"`
			Target    string `json:"target"`
			Recipient string `json:"recipient"`
			Address   string `json:"address"`
			Status    string `json:"status"`
		}
		Total int
	}
	// (The receivers may have answered before the hub recorded it.)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		log.Items = nil
		if st := call(admin, "GET", "/api/v1/escalation/notifications?sort=created", nil, &log); st != 200 {
			t.Fatalf("log: %d", st)
		}
		all := log.Total == 6
		for _, n := range log.Items {
			all = all && n.Status == "delivered"
		}
		if all || time.Now().After(deadline) {
			break
		}
	}
	if log.Total != 6 {
		t.Errorf("%d notifications, want 6: %+v", log.Total, log.Items)
	}
	for _, n := range log.Items {
		if n.Status != "delivered" {
			t.Errorf("notification %+v", n)
		}
		if n.Target == "unit_duty" && n.Address != officerOnDuty || n.Target == "soc_duty" && n.Address != socOnDuty {
			t.Errorf("step %d went to %s", n.Step, n.Address)
		}
	}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`vigil_notification_attempts_total{kind="email",result="delivered"} 4`, `vigil_notification_attempts_total{kind="webhook",result="delivered"} 2`,
		`vigil_escalation_steps_total{target="unit_duty"} 2`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	t.Logf("escalated (4 e-mails, 2 webhooks) %v after sending; policy: +15 min, +10 min at %v a minute", escalated.Round(time.Millisecond), minute)
}
