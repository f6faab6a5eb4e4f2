package hub_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"vigil/internal/agent"
	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/hub"
	"vigil/internal/i18n"
	"vigil/internal/monthly"
	"vigil/internal/org"
	"vigil/internal/readiness"
	"vigil/internal/training"
)

// TestReadinessDone is issue 15's "done when", on a hub started as
// `vigil serve --demo` starts it, driven through its API, its agents'
// API and the learner's pages: the IT Center opens a readiness campaign
// over the demo organisation and a new province; the province starts
// failed on measure 1 (its three machines' anti-malware is off or stale
// and their firewalls are off) and on its employee's training; the
// machines are fixed (their agents report it), the employee signs in by
// e-mail link and passes the course, the province's officer attests the
// state-secret criterion with a file and the IT Center accepts it: after
// a refresh the province's measure 1 is met and its training criterion
// too. Then the month's report for the province comes out as JSON, PDF
// (read back with pdftotext: the province's name with its diacritics and
// the API's figures) and DOCX.
func TestReadinessDone(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext is not installed (apt-get install poppler-utils)")
	}
	t.Parallel()
	smtpSrv := escalatetest.NewSMTPServer(t)
	listen := freePort(t)
	base := "http://" + listen
	const pw = "readiness-admin-password-1"
	runHub(t, hub.Config{Listen: listen, DataDir: t.TempDir(), Demo: true, AdminEmail: "admin@e2e.vigil", AdminPassword: pw,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "e2e",
		Escalation: hub.EscalationConfig{SMTPAddr: smtpSrv.Addr, SMTPFrom: "vigil@e2e.vigil", SMTPUser: smtpSrv.User, SMTPPassword: smtpSrv.Password,
			SMTPTLS: smtpSrv.ClientTLS, PublicURL: base}}, 3*time.Minute)

	call := func(token, method, path string, body any, want int, out any) []byte {
		t.Helper()
		var rd io.Reader
		ctype := ""
		switch b := body.(type) {
		case nil:
		case string: // CSV
			rd, ctype = strings.NewReader(b), "text/csv"
		default:
			j, _ := json.Marshal(b)
			rd, ctype = bytes.NewReader(j), "application/json"
		}
		req, _ := http.NewRequest(method, base+path, rd)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, b)
		}
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v: %s", method, path, err, b)
			}
		}
		return b
	}
	token := func(email, password string) string {
		var tok struct{ Token string }
		call("", "POST", "/api/v1/auth/token", map[string]string{"email": email, "password": password}, 201, &tok)
		return tok.Token
	}
	admin := token("admin@e2e.vigil", pw)

	// A province the demo does not have, with its officer.
	const unitName = "Bảo hiểm xã hội tỉnh Đắk Lắk"
	call(admin, "POST", "/api/v1/units", map[string]string{"code": "DLK", "name": unitName, "kind": "province", "parent": org.RootCode}, 201, nil)
	call(admin, "POST", "/api/v1/users", map[string]string{"email": "attt@dlk.e2e.vigil", "name": "Hoàng Văn Đức", "password": "officer-password-dlk-1",
		"role": "officer", "unit": "DLK"}, 201, nil)
	officer := token("attt@dlk.e2e.vigil", "officer-password-dlk-1")

	// Three machines whose agents report anti-malware off or stale and the firewall off.
	var et struct{ Token string }
	call(officer, "POST", "/api/v1/enrollment-tokens", map[string]any{"unit": "DLK", "max_uses": 3}, 201, &et)
	inventory := func(i int, fixed bool) *asset.Inventory {
		now := time.Now().UTC()
		sigs := now.AddDate(0, 0, -10)
		if fixed {
			sigs = now.Add(-time.Hour)
		}
		on := true
		return &asset.Inventory{Hostname: fmt.Sprintf("dlk-kt-%02d", i), OS: asset.OS{Family: "windows", Name: "Microsoft Windows 11 Pro", Version: "10.0.22631"},
			Interfaces: []asset.Interface{{Name: "Ethernet", Addresses: []string{fmt.Sprintf("10.250.7.%d/24", 10+i)}}},
			Controls: []asset.Control{
				{Kind: asset.ControlAntivirus, Product: "Microsoft Defender Antivirus", Enabled: fixed || i != 0, UpdatedAt: &sigs, RealTime: &on, Running: &on},
				{Kind: asset.ControlFirewall, Product: "Windows Defender Firewall", Enabled: fixed},
			}}
	}
	agents := make([]*agent.Client, 3)
	for i := range agents {
		c := &agent.Client{Server: base, Version: "e2e"}
		resp, err := c.Enroll(context.Background(), et.Token, fmt.Sprintf("dlk-kt-%02d", i), inventory(i, false))
		if err != nil {
			t.Fatalf("enrol %d: %v", i, err)
		}
		c.AgentID, c.Secret = resp.AgentID, resp.Secret
		agents[i] = c
	}

	// One employee, assigned the starter course.
	call(admin, "POST", "/api/v1/training/employees/import?unit=DLK", "name,email,position,department\nLê Thị Hồng,hong@dlk.e2e.vigil,Chuyên viên,Phòng Thu\n", 200, nil)
	var courses struct {
		Items []struct {
			ID    int64
			Title string
		}
	}
	call(admin, "GET", "/api/v1/training/courses", nil, 200, &courses)
	courseID := courses.Items[0].ID
	call(admin, "POST", "/api/v1/training/campaigns", map[string]any{"course": fmt.Sprint(courseID), "units": []string{"DLK"},
		"due_at": time.Now().AddDate(0, 0, 7).Format("02/01/2006")}, 201, nil)

	// The IT Center opens the campaign over every unit.
	var camp struct{ ID int64 }
	call(admin, "POST", "/api/v1/readiness/campaigns", map[string]any{"name": "Tết Đinh Mùi 2027", "template": readiness.BuiltinTemplate,
		"units": []string{}, "starts_at": time.Now().Format("02/01/2006"), "due_at": time.Now().AddDate(0, 0, 14).Format("02/01/2006")}, 201, &camp)
	type board struct {
		Units []struct {
			Unit     string
			Measures []struct {
				Measure  int
				Status   string
				Criteria []struct {
					Key    string
					Value  *float64
					Target float64
					Status string
					Since  time.Time
				}
			}
		}
	}
	sheet := func(token string) (measures map[int]string, criteria map[string]string, units int) {
		t.Helper()
		var b board
		call(token, "GET", fmt.Sprintf("/api/v1/readiness/campaigns/%d/scoreboard", camp.ID), nil, 200, &b)
		measures, criteria = map[int]string{}, map[string]string{}
		for _, u := range b.Units {
			if u.Unit != "DLK" {
				continue
			}
			for _, m := range u.Measures {
				measures[m.Measure] = m.Status
				for _, c := range m.Criteria {
					v := "—"
					if c.Value != nil {
						v = fmt.Sprint(*c.Value)
					}
					criteria[c.Key] = c.Status + " " + v
				}
			}
		}
		return measures, criteria, len(b.Units)
	}
	m, c, n := sheet(admin)
	if n < 50 {
		t.Errorf("the IT Center's scoreboard has %d units; the demo organisation has more", n)
	}
	if m[1] != readiness.StatusFailed || c["m1.av_current"] != "failed 0" || c["m1.firewall_on"] != "failed 0" || c["m4.training_passed"] != "failed 0" {
		t.Fatalf("before: measures %v, criteria %v", m, c)
	}
	t.Logf("before: measures %v; criteria %v", m, c)
	if _, _, n := sheet(officer); n != 1 {
		t.Errorf("the province's officer sees %d rows of the scoreboard, want 1", n)
	}
	x := call(admin, "GET", fmt.Sprintf("/api/v1/readiness/campaigns/%d/scoreboard?format=xlsx", camp.ID), nil, 200, nil)
	if !bytes.HasPrefix(x, []byte("PK")) {
		t.Error("the scoreboard's XLSX is not a spreadsheet")
	}

	// The machines are fixed: each agent reports its full inventory again.
	for i, a := range agents {
		if _, err := a.Inventory(context.Background(), agentapi.InventoryRequest{Full: true, Inventory: inventory(i, true)}); err != nil {
			t.Fatalf("inventory %d: %v", i, err)
		}
	}

	// The employee signs in by the link she is mailed and passes every quiz.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	page := func(method, path string, v url.Values) (int, string) {
		t.Helper()
		var resp *http.Response
		var err error
		if method == "GET" {
			resp, err = browser.Get(base + path)
		} else {
			resp, err = browser.PostForm(base+path, v)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, _ := page("POST", "/learn/login", url.Values{"email": {"hong@dlk.e2e.vigil"}}); st != 200 {
		t.Fatalf("ask for a link: %d", st)
	}
	link := ""
	re := regexp.MustCompile(`https?://\S+/learn/signin\?t=(vgt_[a-z0-9]+)`)
	for deadline := time.Now().Add(30 * time.Second); link == "" && time.Now().Before(deadline); {
		for _, msg := range smtpSrv.Wait(1, time.Second) {
			if msg.Header.Get("X-Vigil-Training") == "signin" && msg.To[0] == "hong@dlk.e2e.vigil" {
				if mm := re.FindStringSubmatch(msg.Body); mm != nil {
					link = mm[1]
				}
			}
		}
	}
	if link == "" {
		t.Fatal("no sign-in link delivered")
	}
	if st, body := page("POST", "/learn/signin", url.Values{"t": {link}}); st != 200 || !strings.Contains(body, "my-courses") {
		t.Fatalf("sign in: %d", st)
	}
	var course training.Course
	call(admin, "GET", fmt.Sprintf("/api/v1/training/courses/%d", courseID), nil, 200, &course)
	csrfRe := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	for _, l := range course.Lessons {
		qs, err := training.ParseQuiz(l.Quiz)
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/learn/courses/%d/lessons/%d", courseID, l.Position)
		_, body := page("GET", path, nil)
		mm := csrfRe.FindStringSubmatch(body)
		if mm == nil {
			t.Fatalf("lesson %d: no form", l.Position)
		}
		v := url.Values{"csrf": {mm[1]}}
		for i, q := range qs {
			for _, r := range q.Right {
				v.Add(fmt.Sprintf("q%d", i), fmt.Sprint(r))
			}
		}
		if st, _ := page("POST", path, v); st != 200 {
			t.Fatalf("lesson %d quiz: %d", l.Position, st)
		}
	}

	// The officer attests what no data can show, with a file; the IT Center accepts.
	evidence := []byte("Biên bản kiểm tra bảo vệ bí mật nhà nước, 05/01/2027.\n")
	var att readiness.Attestation
	call(officer, "POST", fmt.Sprintf("/api/v1/readiness/campaigns/%d/attestations", camp.ID), map[string]any{"unit": "DLK", "criterion": "m1.secret_protection",
		"note": "Đã triển khai theo Quyết định của Giám đốc.", "files": []map[string]any{{"name": "bien-ban.txt", "data": evidence}}}, 201, &att)
	sum := sha256.Sum256(evidence)
	if len(att.Files) != 1 || att.Files[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("attestation files %+v", att.Files)
	}
	call(officer, "POST", fmt.Sprintf("/api/v1/readiness/attestations/%d/accept", att.ID), map[string]string{}, 403, nil)
	call(admin, "POST", fmt.Sprintf("/api/v1/readiness/attestations/%d/accept", att.ID), map[string]string{"note": "Đủ hồ sơ."}, 200, &att)
	if att.State != "accepted" {
		t.Fatalf("attestation %s", att.State)
	}

	call(admin, "POST", fmt.Sprintf("/api/v1/readiness/campaigns/%d/refresh", camp.ID), nil, 200, nil)
	m, c, _ = sheet(admin)
	if m[1] != readiness.StatusMet || c["m1.av_current"] != "met 100" || c["m1.firewall_on"] != "met 100" || c["m1.secret_protection"] != "met 100" ||
		c["m4.training_passed"] != "met 100" {
		t.Fatalf("after: measures %v, criteria %v", m, c)
	}

	t.Logf("after: measures %v; criteria %v", m, c)

	// The month's report for the province: JSON, PDF and DOCX say the same.
	month := time.Now().In(i18n.Location).Format("2006-01")
	q := "/api/v1/reports/monthly?month=" + month + "&unit=DLK&format="
	var fig monthly.Figures
	call(officer, "GET", q+"json", nil, 200, &fig)
	if fig.UnitName != unitName || fig.Passed == nil || fig.Passed.Num != 1 || fig.Passed.Den != 1 {
		t.Fatalf("figures: %+v", fig)
	}
	want := []string{unitName, "Tỷ lệ đạt bài kiểm tra: " + monthly.Percent(fig.Passed), "Tỷ lệ hoàn thành: " + monthly.Percent(fig.Completed),
		"Tổng số cảnh báo: " + monthly.Num(fig.AlertsTotal), "Phát hiện mới: " + monthly.Num(fig.FindingsOpenedTotal) + "; đã xử lý: " + monthly.Num(fig.FindingsClosedTotal)}
	pdf := call(officer, "GET", q+"pdf", nil, 200, nil)
	p := filepath.Join(t.TempDir(), "bao-cao.pdf")
	if err := os.WriteFile(p, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, s := range want {
		if !strings.Contains(text, s) {
			t.Errorf("the PDF lacks %q", s)
		}
	}
	docx := call(officer, "GET", q+"docx", nil, 200, nil)
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatal(err)
	}
	var doc []byte
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			doc, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	docText := regexp.MustCompile(`<[^>]+>`).ReplaceAllString(string(doc), "")
	for _, s := range want[:3] {
		if !strings.Contains(docText, s) {
			t.Errorf("the DOCX lacks %q", s)
		}
	}
}
