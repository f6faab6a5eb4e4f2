package hub_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vigil/internal/alerts"
	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/outbox/outboxtest"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// TestIncidentDone is issue 13's "done when": an alert becomes a case,
// the case is worked to closed, both national reports are produced as
// PDF (read back with pdftotext) and DOCX, and the initial report is
// delivered by e-mail to a real SMTP server (subject "[TBSC] …", the PDF
// attached) and to a local HTTP receiver, each of which is down (and then
// answers errors and garbage) when the report is sent and comes back
// later: each gets the report exactly once, under one idempotency key,
// and every attempt shows on the case. All of it through the hub's API,
// with the hub's own outbox worker running.
func TestIncidentDone(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed (apt-get install poppler-utils)")
	}
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		start := time.Now()
		mail := outboxtest.NewSMTPServer(t)
		secret := "irlab-endpoint-secret-0123456789"
		recv := outboxtest.NewReceiver(t, secret)
		h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
			Escalation: hub.EscalationConfig{SMTPAddr: mail.Addr, SMTPFrom: "vigil@bhxh.test"},
			Outbox:     hub.OutboxConfig{RetryBase: 200 * time.Millisecond, RetryMax: time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, stop := context.WithCancel(context.Background())
		defer stop()
		go h.Outbox.Run(ctx, 100*time.Millisecond)

		const pw = "incident-done-password"
		if err := h.Bootstrap(context.Background(), hub.Config{AdminEmail: "admin@bhxh.test", AdminPassword: pw}); err != nil {
			t.Fatal(err)
		}
		sys := auth.WithPrincipal(context.Background(), auth.System)
		unit, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "DL", Name: "Bảo hiểm xã hội tỉnh Đắk Lắk", Kind: org.KindProvince, Parent: org.RootCode})
		if err != nil {
			t.Fatal(err)
		}
		p, err := h.Auth.Login(context.Background(), "admin@bhxh.test", pw)
		if err != nil {
			t.Fatal(err)
		}
		_, token, err := h.Auth.CreateToken(auth.WithPrincipal(context.Background(), p), "e2e", 0)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(h.Server.Handler())
		defer srv.Close()
		call := func(method, path string, body any, want int) []byte {
			t.Helper()
			var rd io.Reader
			if body != nil {
				b, _ := json.Marshal(body)
				rd = bytes.NewReader(b)
			}
			req, _ := http.NewRequest(method, srv.URL+path, rd)
			req.Header.Set("Authorization", "Bearer "+token)
			if body != nil {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			out, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != want {
				t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, out)
			}
			return out
		}
		decode := func(b []byte) map[string]any {
			t.Helper()
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			return m
		}

		// The alert the watch raised.
		if err := h.Alerts.Record(context.Background(), []alerts.Match{{RuleID: "vigil-ransomware-001", RuleTitle: "Mã hoá tệp hàng loạt trên máy chủ tệp",
			Level: "critical", UnitID: unit.ID, Host: "fs01.daklak.bhxh.test", Time: time.Now().Add(-2 * time.Hour)}}); err != nil {
			t.Fatal(err)
		}
		var alertID int64
		if err := db.QueryRow(context.Background(), `SELECT id FROM alerts WHERE unit_id = ? ORDER BY id DESC LIMIT 1`, unit.ID).Scan(&alertID); err != nil {
			t.Fatal(err)
		}

		// The case, from the alert (the fixed interface).
		c := decode(call("POST", "/api/v1/incidents", map[string]any{"title": "Mã độc mã hoá dữ liệu trên máy chủ tệp Đắk Lắk", "category": "ransomware",
			"severity": "critical", "units": []string{"DL"}, "alerts": []int64{alertID}}, 201))
		caseID := fmt.Sprint(c["id"])
		list := decode(call("GET", "/api/v1/incidents?unit=DL", nil, 200))
		if items, _ := list["items"].([]any); len(items) != 1 || fmt.Sprint(items[0].(map[string]any)["id"]) != caseID || items[0].(map[string]any)["report_due_at"] == nil {
			t.Fatalf("GET /api/v1/incidents?unit=DL: %v", list)
		}

		// Worked: the affected system, then every status to closed.
		call("PATCH", "/api/v1/incidents/"+caseID, map[string]any{"system_name": "Hệ thống quản lý hồ sơ điện tử", "security_level": 3,
			"public_ips": []string{"203.0.113.10"}, "domains": []string{"hoso.daklak.bhxh.test"}, "os": []string{"Windows Server 2019"},
			"services": []string{"SMB", "IIS"}, "security_measures": "Tường lửa, phần mềm diệt virus tập trung", "purpose": "Lưu trữ hồ sơ"}, 200)
		call("POST", "/api/v1/incidents/"+caseID+"/notes", map[string]any{"text": "Cô lập máy chủ fs01 khỏi mạng."}, 201)
		for _, st := range []string{"triage", "containment", "eradication", "recovery"} {
			call("POST", "/api/v1/incidents/"+caseID+"/status", map[string]any{"status": st}, 200)
		}

		// The reporting profile and the recipients of the initial report.
		call("PUT", "/api/v1/reporting/profile?unit=DL", map[string]any{"org_name": "Bảo hiểm xã hội tỉnh Đắk Lắk", "address": "Số 1 Nguyễn Tất Thành, Buôn Ma Thuột",
			"phone": "0262 3855 555", "email": "vanthu@daklak.bhxh.test", "owner_body": "Bảo hiểm xã hội Việt Nam", "contact_name": "Nguyễn Văn Đức",
			"contact_position": "Trưởng phòng CNTT", "contact_phone": "0912 345 678", "contact_email": "duc.nv@daklak.bhxh.test", "signer_name": "Trần Thị Hoa",
			"signer_title": "Giám đốc"}, 200)
		call("PUT", "/api/v1/outbox/settings/incident_initial", map[string]any{"coordinator_name": "VNCERT/CC", "coordinator_emails": []string{"ir@vncert.test"},
			"http_url": recv.URL, "secret": secret}, 200)
		call("PUT", "/api/v1/outbox/settings/incident_final", map[string]any{"coordinator_emails": []string{"ir@vncert.test"}}, 200)

		// The initial report: drafted from the case, completed, reviewed,
		// approved.
		approve := func(form string, fill map[string]string) map[string]any {
			t.Helper()
			r := decode(call("POST", "/api/v1/incidents/"+caseID+"/reports", map[string]any{"form": form}, 201))
			id := fmt.Sprint(r["id"])
			r = decode(call("PATCH", "/api/v1/reports/"+id, map[string]any{"fields": fill}, 200))
			if probs, _ := r["problems"].([]any); len(probs) > 0 {
				t.Fatalf("%s report still has problems: %v", form, probs)
			}
			call("POST", "/api/v1/reports/"+id+"/submit", nil, 200)
			r = decode(call("POST", "/api/v1/reports/"+id+"/approve", nil, 200))
			if r["status"] != "approved" || r["number"] == "" {
				t.Fatalf("%s report: %v", form, r)
			}
			return r
		}
		initial := approve("initial", map[string]string{"detection": "monitoring", "notified": "owner,vncert", "detected_time": "08:30"})
		initialID := fmt.Sprint(initial["id"])

		// When it is sent the SMTP server is down and the receiver hangs
		// (the outbox's client gives up after 20 s): the SOC's click does
		// not wait for either; then the receiver goes down too.
		h.Outbox.HTTP = &http.Client{Timeout: 20 * time.Second}
		mail.Stop()
		recv.SetMode(outboxtest.ModeHang)
		sent := time.Now()
		call("POST", "/api/v1/reports/"+initialID+"/send", map[string]any{}, 200)
		if d := time.Since(sent); d > 15*time.Second {
			t.Errorf("sending waited %v for the recipients", d)
		}
		waitFor(t, 10*time.Second, "the hung request", func() bool { return recv.Hits() >= 1 })
		recv.Stop()
		hits := recv.Hits()
		// Attempts fail and show on the case; the SOC works on.
		waitFor(t, 10*time.Second, "two failed attempts on each delivery", func() bool {
			ds := deliveries(t, call, caseID)
			for _, d := range ds {
				if d.Attempts < 2 || d.Status == "delivered" {
					return false
				}
			}
			return len(ds) == 2
		})
		call("POST", "/api/v1/incidents/"+caseID+"/notes", map[string]any{"text": "Khôi phục dữ liệu từ bản sao lưu."}, 201)
		// Back, but answering 500, then garbage; the SMTP server refuses for a while.
		recv.Start(t)
		recv.SetMode(outboxtest.ModeError)
		mail.Fail = func(int) error { return &smtp.SMTPError{Code: 451, Message: "4.3.0 try again later"} }
		mail.Start(t)
		waitFor(t, 10*time.Second, "the receiver's 500", func() bool { return recv.Hits() >= hits+1 })
		recv.SetMode(outboxtest.ModeGarbage)
		waitFor(t, 10*time.Second, "the receiver's garbage", func() bool { return recv.Hits() >= hits+2 })
		time.Sleep(500 * time.Millisecond)
		if len(mail.Messages()) != 0 || len(recv.Accepted()) != 0 {
			t.Fatal("delivered during the outage")
		}
		mail.Fail = nil
		recv.SetMode(outboxtest.ModeOK)
		waitFor(t, 15*time.Second, "both deliveries", func() bool { return len(mail.Messages()) >= 1 && len(recv.Accepted()) >= 1 })
		time.Sleep(1500 * time.Millisecond) // more rounds of the worker: nothing more is sent
		msgs, acc := mail.Messages(), recv.Accepted()
		if len(msgs) != 1 || len(acc) != 1 {
			t.Fatalf("the report arrived %d times by e-mail and %d by HTTP; want once each", len(msgs), len(acc))
		}
		keys := map[string]bool{}
		for _, k := range recv.Keys() {
			keys[k] = true
		}
		if len(keys) != 1 || acc[0].Key == "" {
			t.Fatalf("idempotency keys across retries: %v", recv.Keys())
		}
		m := msgs[0]
		if !strings.HasPrefix(m.Subject, "[TBSC]") || m.To[0] != "ir@vncert.test" {
			t.Fatalf("e-mail: subject %q to %v", m.Subject, m.To)
		}
		var pdf, docx []byte
		for _, f := range m.Files {
			switch {
			case strings.HasSuffix(f.Name, ".pdf") && f.ContentType == "application/pdf":
				pdf = f.Data
			case strings.HasSuffix(f.Name, ".docx"):
				docx = f.Data
			}
		}
		if pdf == nil || docx == nil {
			t.Fatalf("the PDF and the DOCX are not both attached: %d files", len(m.Files))
		}
		mailed := squashSpace(pdfToText(t, pdf))
		for _, want := range []string{"BÁO CÁO BAN ĐẦU SỰ CỐ", fmt.Sprint(initial["number"]), "Bảo hiểm xã hội tỉnh Đắk Lắk", "Mã độc mã hoá dữ liệu trên máy chủ tệp Đắk Lắk",
			"203.0.113.10", "Nguyễn Văn Đức"} {
			if !strings.Contains(mailed, want) {
				t.Errorf("the mailed PDF lacks %q:\n%s", want, mailed)
			}
		}
		if !strings.Contains(docxToText(t, docx), "Đắk Lắk") {
			t.Error("the mailed DOCX lacks the unit")
		}
		var js map[string]any
		if err := json.Unmarshal(acc[0].Body, &js); err != nil || fmt.Sprint(js["number"]) != fmt.Sprint(initial["number"]) {
			t.Errorf("HTTP body: %v %s", err, acc[0].Body)
		}
		// Every attempt is on the case.
		ds := deliveries(t, call, caseID)
		attempts := 0
		var details []string
		for _, d := range ds {
			if d.Status != "delivered" {
				t.Errorf("delivery %d to %s: %s", d.ID, d.Target, d.Status)
			}
			attempts += len(d.Log)
			for _, a := range d.Log {
				details = append(details, a.Result+": "+a.Detail)
			}
		}
		all := strings.Join(details, "\n")
		for _, want := range []string{"connection refused", "HTTP 500", "not the receiver's JSON", "451", "delivered: HTTP 201"} {
			if !strings.Contains(all, want) {
				t.Errorf("no attempt on the case says %q:\n%s", want, all)
			}
		}
		if strings.Contains(all, secret) {
			t.Error("the endpoint's secret in an attempt")
		}
		tl := call("GET", "/api/v1/incidents/"+caseID+"/timeline?kind=delivery", nil, 200)
		if !strings.Contains(string(tl), "ir@vncert.test") {
			t.Errorf("the case's timeline shows no delivery: %.500s", tl)
		}
		// Every attempt is a line of the case's timeline, with what the
		// recipient answered.
		var page struct {
			Items []struct {
				Delivery *struct {
					Attempt int    `json:"attempt"`
					Result  string `json:"result"`
					Detail  string `json:"detail"`
				} `json:"delivery"`
			} `json:"items"`
		}
		if err := json.Unmarshal(tl, &page); err != nil {
			t.Fatalf("timeline: %v", err)
		}
		logged, failed := 0, 0
		for _, it := range page.Items {
			if d := it.Delivery; d != nil && d.Attempt > 0 {
				logged++
				if d.Result != "delivered" && d.Detail != "" {
					failed++
				}
			}
		}
		if logged != attempts || failed == 0 {
			t.Errorf("the case's timeline lists %d attempts (%d failed with a reason), the outbox %d", logged, failed, attempts)
		}

		// Closed, with the closing note; the final report.
		call("POST", "/api/v1/incidents/"+caseID+"/status", map[string]any{"status": "closed",
			"note": "Đã khôi phục toàn bộ dữ liệu từ bản sao lưu; vá lỗ hổng SMB; đổi mật khẩu quản trị."}, 200)
		final := approve("final", map[string]string{})
		for _, f := range []struct{ form, id string }{{"initial", initialID}, {"final", fmt.Sprint(final["id"])}} {
			text := squashSpace(pdfToText(t, call("GET", "/api/v1/incidents/"+caseID+"/report?form="+f.form+"&format=pdf", nil, 200)))
			want := map[string]string{"initial": "BÁO CÁO BAN ĐẦU SỰ CỐ", "final": "BÁO CÁO KẾT THÚC"}[f.form]
			if !strings.Contains(text, want) || !strings.Contains(text, "Đắk Lắk") {
				t.Errorf("%s report PDF lacks %q:\n%s", f.form, want, text)
			}
			dtext := docxToText(t, call("GET", "/api/v1/incidents/"+caseID+"/report?form="+f.form+"&format=docx", nil, 200))
			if !strings.Contains(dtext, want) || !strings.Contains(dtext, "Đắk Lắk") {
				t.Errorf("%s report DOCX lacks %q:\n%s", f.form, want, dtext)
			}
		}
		if f := squashSpace(pdfToText(t, call("GET", "/api/v1/incidents/"+caseID+"/report?form=final&format=pdf", nil, 200))); !strings.Contains(f, "vá lỗ hổng SMB") {
			t.Errorf("the final report lacks the resolution:\n%s", f)
		} else {
			// Its progress lines name the statuses in Vietnamese, never their codes.
			if !strings.Contains(f, "Trạng thái: Ngăn chặn → Loại bỏ nguyên nhân") || !strings.Contains(f, "Khôi phục → Đã đóng") {
				t.Errorf("the final report's progress lacks the statuses in words:\n%s", f)
			}
			for _, code := range []string{"triage", "containment", "eradication", "recovery", "closed", "→ new", "new →"} {
				if strings.Contains(f, code) {
					t.Errorf("the final report shows the code %q:\n%s", code, f)
				}
			}
		}
		t.Logf("measured: the whole flow (alert, case, both reports, outage, delivery) in %v; the initial report was sent while both recipients were down, %d attempts logged on the case, delivered once by SMTP and once by HTTP under one idempotency key",
			time.Since(start).Round(time.Millisecond), attempts)
	})
}

type e2eDelivery struct {
	ID       int64  `json:"id"`
	Channel  string `json:"channel"`
	Target   string `json:"target"`
	Status   string `json:"status"`
	Attempts int    `json:"attempts"`
	Log      []struct {
		Result string `json:"result"`
		Detail string `json:"detail"`
	} `json:"attempts_log"`
}

// deliveries lists the case's deliveries with their attempts through the
// outbox API.
func deliveries(t *testing.T, call func(method, path string, body any, want int) []byte, caseID string) []e2eDelivery {
	t.Helper()
	var page struct {
		Items []e2eDelivery `json:"items"`
	}
	if err := json.Unmarshal(call("GET", "/api/v1/outbox?object_type=incident&object_id="+caseID, nil, 200), &page); err != nil {
		t.Fatal(err)
	}
	for i, d := range page.Items {
		if err := json.Unmarshal(call("GET", fmt.Sprintf("/api/v1/outbox/%d", d.ID), nil, 200), &page.Items[i]); err != nil {
			t.Fatal(err)
		}
	}
	return page.Items
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s after %v", what, d)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pdfToText extracts a PDF's text with pdftotext (poppler).
func pdfToText(t *testing.T, pdf []byte) string {
	t.Helper()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("not a PDF: %.100q", pdf)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	if err := os.WriteFile(in, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", in, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

var xmlTag = regexp.MustCompile(`<[^>]+>`)

// docxToText is the text of a DOCX's main document, paragraphs on lines.
func docxToText(t *testing.T, docx []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatalf("not a DOCX (zip): %v", err)
	}
	for _, f := range zr.File {
		if f.Name != "word/document.xml" {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		s := strings.ReplaceAll(string(b), "</w:p>", "\n")
		s = xmlTag.ReplaceAllString(s, "")
		for _, e := range [][2]string{{"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", `"`}, {"&apos;", "'"}, {"&amp;", "&"}} {
			s = strings.ReplaceAll(s, e[0], e[1])
		}
		return s
	}
	t.Fatal("the DOCX has no word/document.xml")
	return ""
}

func squashSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
