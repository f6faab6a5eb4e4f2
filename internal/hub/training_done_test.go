package hub_test

import (
	"bytes"
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

	"vigil/internal/escalate/escalatetest"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/training"
)

// TestTrainingDone is issue 14's done-when for training: employees are
// imported through the API, the starter course is assigned, invitations
// reach a real SMTP server, a person signs in with the e-mail link
// delivered there, passes every quiz through the learner's pages and is
// counted; their certificate is a PDF with their name. Then a phishing drill
// goes to the same SMTP server: scanner requests are kept apart, a tampered
// link is ignored, a click, a submission (what was typed is not stored) and
// a report are counted, and the clicker is enrolled in the lesson.
func TestTrainingDone(t *testing.T) {
	smtpSrv := escalatetest.NewSMTPServer(t)
	dataDir := t.TempDir()
	listen := freePort(t)
	base := "http://" + listen
	const pw = "training-admin-password-1"
	_, stopHub := runHub(t, hub.Config{Listen: listen, DataDir: dataDir, AdminEmail: "admin@e2e.vigil", AdminPassword: pw,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "e2e",
		Escalation: hub.EscalationConfig{SMTPAddr: smtpSrv.Addr, SMTPFrom: "vigil@e2e.vigil", SMTPUser: smtpSrv.User, SMTPPassword: smtpSrv.Password,
			SMTPTLS: smtpSrv.ClientTLS, PublicURL: base}}, 60*time.Second)

	call := func(token, method, path, ctype string, body []byte, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, bytes.NewReader(body))
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
		if out != nil {
			if err := json.Unmarshal(b, out); err != nil && resp.StatusCode < 300 {
				t.Fatalf("%s %s: %v: %s", method, path, err, b)
			}
		}
		if resp.StatusCode >= 300 {
			t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode
	}
	jsonBody := func(v any) []byte { b, _ := json.Marshal(v); return b }
	var tok struct{ Token string }
	if st := call("", "POST", "/api/v1/auth/token", "application/json", jsonBody(map[string]string{"email": "admin@e2e.vigil", "password": pw}), &tok); st != 201 {
		t.Fatalf("token: %d", st)
	}
	admin := tok.Token
	if st := call(admin, "POST", "/api/v1/units", "application/json", jsonBody(map[string]string{"code": "T99", "name": "Bảo hiểm xã hội tỉnh Thử", "kind": "province", "parent": org.RootCode}), nil); st != 201 {
		t.Fatalf("unit: %d", st)
	}

	// A bad row names its line and column, and nothing is imported.
	bad := "name,email,position,department\nNguyễn Văn An,an@t99.vn,Chuyên viên,Phòng Thu\nTrần Thị Bình,not-an-address,Chuyên viên,Văn phòng\n"
	var e struct{ Error, Message string }
	if st := call(admin, "POST", "/api/v1/training/employees/import?unit=T99", "text/csv", []byte(bad), &e); st != 400 {
		t.Fatalf("bad CSV: %d", st)
	}
	var people struct{ Total int }
	call(admin, "GET", "/api/v1/training/employees?unit=T99", "", nil, &people)
	if people.Total != 0 {
		t.Fatalf("a bad file imported %d people", people.Total)
	}
	good := "name,email,position,department\nNguyễn Văn An,an@t99.vn,Chuyên viên,Phòng Thu\nTrần Thị Bình,binh@t99.vn,Trưởng phòng,Văn phòng\n"
	var imp training.ImportResult
	if st := call(admin, "POST", "/api/v1/training/employees/import?unit=T99", "text/csv", []byte(good), &imp); st != 200 || imp.Created != 2 {
		t.Fatalf("import: %d %+v", st, imp)
	}

	// The starter course, assigned to T99.
	var courses struct {
		Items []struct {
			ID    int64
			Title string
		}
	}
	call(admin, "GET", "/api/v1/training/courses", "", nil, &courses)
	if len(courses.Items) == 0 {
		t.Fatal("no starter course")
	}
	courseID := courses.Items[0].ID
	var camp training.Campaign
	due := time.Now().AddDate(0, 0, 14).Format("02/01/2006")
	if st := call(admin, "POST", "/api/v1/training/campaigns", "application/json",
		jsonBody(map[string]any{"course": fmt.Sprint(courseID), "units": []string{"T99"}, "due_at": due}), &camp); st != 201 || camp.People != 2 {
		t.Fatalf("campaign: %d %+v", st, camp)
	}
	// Invitations go out off the request path, through the real server.
	msgs := smtpSrv.Wait(2, 40*time.Second)
	invites := 0
	for _, m := range msgs {
		if m.Header.Get("X-Vigil-Training") == "invite" {
			invites++
			if !strings.Contains(m.Body, base+"/learn") {
				t.Errorf("invitation without the learner's address: %s", m.Body)
			}
		}
	}
	if invites != 2 {
		t.Fatalf("invitations delivered: %d of %d messages", invites, len(msgs))
	}

	// An Bình signs in by e-mail link.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	form := func(path string, v url.Values) (*http.Response, string) {
		t.Helper()
		resp, err := browser.PostForm(base+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := browser.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := form("/learn/login", url.Values{"email": {"an@t99.vn"}}); resp.StatusCode != 200 || !strings.Contains(body, "link-sent") {
		t.Fatalf("ask for a link: %d", resp.StatusCode)
	}
	var link string
	re := regexp.MustCompile(`https?://\S+/learn/signin\?t=vgt_[a-z0-9]+`)
	for _, m := range smtpSrv.Wait(3, 20*time.Second) {
		if m.Header.Get("X-Vigil-Training") == "signin" && m.To[0] == "an@t99.vn" {
			link = re.FindString(m.Body)
		}
	}
	if link == "" {
		t.Fatal("no sign-in link delivered")
	}
	token := link[strings.Index(link, "t=")+2:]
	if resp, body := get(strings.TrimPrefix(link, base)); resp.StatusCode != 200 || !strings.Contains(body, "learn-signin") {
		t.Fatalf("the link's page: %d", resp.StatusCode) // a GET does not spend it
	}
	if resp, body := form("/learn/signin", url.Values{"t": {token}}); resp.StatusCode != 200 || !strings.Contains(body, "my-courses") {
		t.Fatalf("sign in: %d %s", resp.StatusCode, body)
	}
	// The link works once.
	other := &http.Client{}
	if resp, err := other.PostForm(base+"/learn/signin", url.Values{"t": {token}}); err != nil || resp.StatusCode != 401 {
		t.Fatalf("the link used twice: %v %v", resp.StatusCode, err)
	}

	// The course's answers, as the IT Center sees them.
	var full training.Course
	call(admin, "GET", fmt.Sprintf("/api/v1/training/courses/%d", courseID), "", nil, &full)
	csrfRe := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	for _, l := range full.Lessons {
		qs, err := training.ParseQuiz(l.Quiz)
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/learn/courses/%d/lessons/%d", courseID, l.Position)
		_, page := get(path)
		m := csrfRe.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("lesson %d: no form", l.Position)
		}
		v := url.Values{"csrf": {m[1]}}
		for i, q := range qs {
			for _, c := range q.Right {
				v.Add(fmt.Sprintf("q%d", i), fmt.Sprint(c))
			}
		}
		if resp, body := form(path, v); resp.StatusCode != 200 || !strings.Contains(body, "Đạt: 100 điểm") {
			t.Fatalf("lesson %d quiz: %d", l.Position, resp.StatusCode)
		}
	}
	var c training.Completion
	call(admin, "GET", "/api/v1/training/completion?unit=T99", "", nil, &c)
	if c != (training.Completion{Assigned: 2, Completed: 1, Passed: 1}) {
		t.Fatalf("completion %+v, want 2 assigned, 1 completed, 1 passed", c)
	}
	// Her certificate, in Vietnamese.
	resp, pdf := get(fmt.Sprintf("/learn/courses/%d/certificate", courseID))
	if resp.StatusCode != 200 || !strings.HasPrefix(pdf, "%PDF-") {
		t.Fatalf("certificate: %d", resp.StatusCode)
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		cmd := exec.Command("pdftotext", "-", "-")
		cmd.Stdin = strings.NewReader(pdf)
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), "Nguyễn Văn An") || !strings.Contains(string(out), "GIẤY CHỨNG NHẬN") {
			t.Errorf("certificate text: %v %q", err, out)
		}
	}
	// The XLSX export of the campaign's people.
	req, _ := http.NewRequest("GET", fmt.Sprintf("%s/api/v1/training/assignments?campaign=%d&format=xlsx", base, camp.ID), nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	xr, err := http.DefaultClient.Do(req)
	if err != nil || xr.StatusCode != 200 || !strings.Contains(xr.Header.Get("Content-Type"), "spreadsheet") {
		t.Fatalf("xlsx export: %v %v", err, xr.Status)
	}
	xr.Body.Close()

	// A phishing drill to T99's own employees, through the same server.
	var tpls struct {
		Items []struct {
			ID   int64
			Name string
		}
	}
	call(admin, "GET", "/api/v1/phishing/templates", "", nil, &tpls)
	if len(tpls.Items) == 0 {
		t.Fatal("no drill template")
	}
	// A broken placeholder is refused before anything is sent.
	if st := call(admin, "POST", "/api/v1/phishing/templates", "application/json", jsonBody(map[string]string{"name": "x", "subject": "Chào {nmae}", "body": "{link}"}), nil); st != 400 {
		t.Fatalf("broken placeholder: %d", st)
	}
	var drill struct{ ID int64 }
	if st := call(admin, "POST", "/api/v1/phishing/campaigns", "application/json", jsonBody(map[string]any{"template": tpls.Items[0].ID, "unit": "T99"}), &drill); st != 201 {
		t.Fatalf("drill: %d", st)
	}
	drillLinks := map[string]string{}
	raw := map[string]string{}
	deadline := time.Now().Add(40 * time.Second)
	for len(drillLinks) < 2 && time.Now().Before(deadline) {
		for _, m := range smtpSrv.Wait(6, 2*time.Second) {
			if tok := m.Header.Get("X-Vigil-Drill"); tok != "" {
				drillLinks[m.To[0]] = base + "/p/" + tok
				raw[m.To[0]] = "X-Vigil-Drill: " + tok + "\nSubject: " + m.Subject + "\n\n" + m.Body
				if !strings.Contains(m.Body, base+"/p/"+tok) || !strings.Contains(m.Body, "/p/o/"+tok+".gif") {
					t.Errorf("drill message without its link and pixel: %s", m.Body)
				}
			}
		}
	}
	if len(drillLinks) != 2 {
		t.Fatalf("drill messages delivered: %d", len(drillLinks))
	}
	const ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
	hit := func(method, url, agent string, body io.Reader) int {
		req, _ := http.NewRequest(method, url, body)
		req.Header.Set("User-Agent", agent)
		if body != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// The mail scanner's look: right after delivery, a HEAD and a known agent.
	hit("HEAD", drillLinks["binh@t99.vn"], ua, nil)
	hit("GET", drillLinks["binh@t99.vn"], "Mozilla/5.0 (compatible; Barracuda Sentinel)", nil)
	// A tampered link is ignored.
	if st := hit("GET", drillLinks["binh@t99.vn"][:len(drillLinks["binh@t99.vn"])-2]+"xx", ua, nil); st != 404 {
		t.Errorf("tampered link: %d", st)
	}
	time.Sleep(11 * time.Second) // past the scanners' first seconds
	// Bình clicks and types her password; An opens and reports it.
	if st := hit("GET", drillLinks["binh@t99.vn"], ua, nil); st != 200 {
		t.Fatalf("click: %d", st)
	}
	const typed = "MatKhauBiMat-7391"
	if st := hit("POST", drillLinks["binh@t99.vn"], ua, strings.NewReader("u=binh&p="+typed)); st != 200 {
		t.Fatalf("submit: %d", st)
	}
	hit("GET", strings.Replace(drillLinks["an@t99.vn"], "/p/", "/p/o/", 1)+".gif", ua, nil)
	if st := hit("POST", base+"/phish/report", "Outlook report button", strings.NewReader(raw["an@t99.vn"])); st != 202 {
		t.Fatalf("report: %d", st)
	}
	var res map[string]int
	call(admin, "GET", fmt.Sprintf("/api/v1/phishing/campaigns/%d/results", drill.ID), "", nil, &res)
	for k, want := range map[string]int{"sent": 2, "opened": 2, "clicked": 1, "submitted": 1, "reported": 1} {
		if res[k] != want {
			t.Errorf("results %s = %d, want %d (%v)", k, res[k], want, res)
		}
	}
	if res["scanner_requests"] < 2 {
		t.Errorf("scanner requests recorded apart: %v", res)
	}
	// Bình, who clicked, is enrolled in the lesson.
	var camps struct {
		Items []struct {
			Name     string
			Assigned int
		}
	}
	call(admin, "GET", "/api/v1/training/campaigns", "", nil, &camps)
	enrolled := false
	for _, c := range camps.Items {
		if strings.HasPrefix(c.Name, "Học lại sau diễn tập") && c.Assigned == 1 {
			enrolled = true
		}
	}
	if !enrolled {
		t.Errorf("the clicker is not enrolled: %+v", camps.Items)
	}
	// What she typed is nowhere in the database.
	stopHub()
	files, _ := filepath.Glob(filepath.Join(dataDir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil && bytes.Contains(b, []byte(typed)) {
			t.Errorf("%s holds what was typed on the landing page", f)
		}
	}
}
