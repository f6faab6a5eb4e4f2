package web_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/auth"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/hub"
	"vigil/internal/org"
	"vigil/internal/training"
)

// TestBrowserWalksTheCourse: in real Chromium, an employee asks for a
// sign-in link, opens the link delivered to a real SMTP server, walks every
// lesson of the starter course answering its quiz (one wrong try first),
// and sees the course passed; the page raises no console or CSP problem.
func TestBrowserWalksTheCourse(t *testing.T) {
	smtpSrv := escalatetest.NewSMTPServer(t)
	ctx := context.Background()
	cfg := hub.Config{AdminEmail: "admin@vigil.local", AdminPassword: browserAdminPassword, DataDir: t.TempDir(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "browser-test",
		Escalation: hub.EscalationConfig{SMTPAddr: smtpSrv.Addr, SMTPFrom: "vigil@hub.test", SMTPUser: smtpSrv.User, SMTPPassword: smtpSrv.Password, SMTPTLS: smtpSrv.ClientTLS}}
	h, err := hub.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	if err := h.Bootstrap(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Server.Handler())
	t.Cleanup(srv.Close)
	h.Escalate.PublicURL = srv.URL

	sys := auth.WithPrincipal(ctx, auth.System)
	if _, err := h.Org.CreateUnit(sys, org.UnitInput{Code: "T01", Name: "Bảo hiểm xã hội thành phố Hà Nội", Kind: org.KindProvince, Parent: org.RootCode}); err != nil {
		t.Fatal(err)
	}
	rows, _ := training.ParseEmployees(strings.NewReader("name,email,position,department\nPhạm Thu Hà,ha.pt@t01.vn,Chuyên viên,Phòng Thu\n"))
	if _, err := h.Training.ImportEmployees(sys, "T01", rows); err != nil {
		t.Fatal(err)
	}
	c, err := h.Training.CreateCampaign(sys, training.CampaignInput{Course: training.StarterSlug, Units: []string{"T01"}, DueAt: time.Now().AddDate(0, 0, 7).Format("2006-01-02")})
	if err != nil {
		t.Fatal(err)
	}
	course, err := h.Training.Course(sys, c.CourseID)
	if err != nil {
		t.Fatal(err)
	}

	bctx := newBrowser(t, 3*time.Minute)
	b := &browser{t: t, ctx: bctx, base: srv.URL}
	con := recordConsole(bctx)
	b.open("/learn")
	b.do(chromedp.SendKeys(chromedp.CSS(`#learn-login input[name=email]`), "ha.pt@t01.vn"))
	b.submit(`#learn-login button[type=submit]`)
	b.wantText("#link-sent", "đường dẫn")
	var link string
	re := regexp.MustCompile(`http://\S+/learn/signin\?t=vgt_[a-z0-9]+`)
	for _, m := range smtpSrv.Wait(1, 20*time.Second) {
		if m.Header.Get("X-Vigil-Training") == "signin" {
			link = re.FindString(m.Body)
		}
	}
	if link == "" {
		t.Fatal("no sign-in link reached the SMTP server")
	}
	b.open(strings.TrimPrefix(link, srv.URL))
	b.submit(`#learn-signin button`)
	b.wantPath("/learn")
	b.wantText("main", "Phạm Thu Hà")
	b.submit(`#my-courses a`)
	for i, l := range course.Lessons {
		// The course page's "continue" leads to the next lesson.
		b.submit(`#continue`)
		b.wantText("h1", l.Title)
		if i == 0 { // a first try with nothing ticked fails and says so
			b.submit(`#submit-quiz`)
			b.wantText("#quiz-result", "Chưa đạt")
		}
		for qi, q := range l.Questions {
			for _, ci := range q.Right {
				b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`fieldset[data-q="%d"] input[value="%d"]`, qi, ci))))
			}
		}
		b.submit(`#submit-quiz`)
		if msg := b.text("#quiz-result"); !strings.HasPrefix(msg, "Đạt") {
			t.Fatalf("lesson %d: %q", l.Position, msg)
		}
		b.submit(`#back-to-course`)
	}
	b.wantText("#course-passed", "Chúc mừng")
	got, err := h.Training.CompletionOf(sys, training.CompletionFilter{Unit: "T01"})
	if err != nil || got != (training.Completion{Assigned: 1, Completed: 1, Passed: 1}) {
		t.Fatalf("completion after the walk: %v %+v", err, got)
	}
	if p := con.problems(nil); len(p) > 0 {
		t.Errorf("console: %v", p)
	}
}
