package phishing_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	"net/smtp"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/escalate"
	"vigil/internal/escalate/escalatetest"
	"vigil/internal/org"
	"vigil/internal/phishing"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/training"
)

// rawOf puts a delivered message back together, headers and body, as a
// mail client attaching it to a forward would.
func rawOf(m escalatetest.Message) string {
	var keys []string
	for k := range m.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range m.Header[k] {
			b.WriteString(k + ": " + v + "\r\n")
		}
	}
	b.WriteString("\r\n" + strings.ReplaceAll(m.Body, "\n", "\r\n"))
	return b.String()
}

// forwardAsAttachment is Outlook's and Thunderbird's "forward as
// attachment": the original whole, as message/rfc822.
func forwardAsAttachment(from, to, original string) string {
	return "From: " + from + "\r\nTo: " + to + "\r\nSubject: FW: thư nghi ngờ\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"fwd-b1\"\r\n\r\n" +
		"--fwd-b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		qp("Em gửi thư nghi ngờ lừa đảo.\n") + "\r\n" +
		"--fwd-b1\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"thu.eml\"\r\n\r\n" +
		original + "\r\n--fwd-b1--\r\n"
}

// forwardInline is a plain "Forward": the headers are gone, the text is
// quoted (quoted-printable), and the HTML part (base64) has its links
// rewritten by a link-checking gateway.
func forwardInline(from, to, text, link string) string {
	wrapped := "https://apc01.safelinks.protection.outlook.com/?url=" + url.QueryEscape(link) + "&amp;data=05%7C01&amp;reserved=0"
	htmlPart := `<div>---------- Forwarded message ---------<br>` + strings.ReplaceAll(text, link, `<a href="`+wrapped+`">Xác thực ngay</a>`) + `</div>`
	return "From: " + from + "\r\nTo: " + to + "\r\nSubject: Fwd: [BHXH] Yêu cầu cập nhật\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/alternative; boundary=\"alt-b2\"\r\n\r\n" +
		"--alt-b2\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		qp("---------- Forwarded message ---------\n> "+strings.ReplaceAll(text, "\n", "\n> ")) + "\r\n" +
		"--alt-b2\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		wrap76(base64.StdEncoding.EncodeToString([]byte(htmlPart))) + "\r\n--alt-b2--\r\n"
}

func qp(s string) string {
	var b strings.Builder
	w := quotedprintable.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.String()
}

func wrap76(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\r\n")
		s = s[76:]
	}
	return b.String() + s
}

var textLinkRE = regexp.MustCompile(`https://hub\.test/p/[0-9]+\.[A-Za-z0-9_-]+`)

// TestReportByForwardedMail: drill messages go out through a real SMTP
// server; employees forward them to the report address, received by the
// hub's own SMTP listener — as an attachment (the X-Vigil-Drill header) or
// inline (the tracked link, quoted-printable and, in the HTML part, base64
// behind a link-rewriting gateway). Each counts as the forwarder's report;
// a colleague forwarding someone else's message, a tampered token and mail
// for another address do not. On both engines.
func TestReportByForwardedMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		smtpSrv := escalatetest.NewSMTPServer(t)
		ctx := auth.WithPrincipal(context.Background(), auth.System)
		o := &org.Service{DB: db}
		root, err := o.EnsureRoot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.CreateUnit(ctx, org.UnitInput{Code: "A", Name: "Tỉnh A", Kind: org.KindProvince, Parent: root.Code}); err != nil {
			t.Fatal(err)
		}
		tr := &training.Service{DB: db}
		rows, _ := training.ParseEmployees(strings.NewReader("name,email,position,department\nAn,an@a.vn,,\nBình,binh@a.vn,,\nCường,cuong@a.vn,,\n"))
		if _, err := tr.ImportEmployees(ctx, "A", rows); err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		svc := &phishing.Service{DB: db, Training: tr, PerRelayPerMinute: 6000, Now: func() time.Time { return now },
			Relay: func() (*escalate.Mailer, string) { return smtpSrv.Mailer(), "https://hub.test" }}
		ts, err := svc.Templates(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := svc.CreateCampaign(ctx, phishing.CampaignInput{Template: ts[0].ID, Unit: "A"})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := svc.SendDue(ctx, 10); err != nil || n != 3 {
			t.Fatalf("sent %d: %v", n, err)
		}
		got := map[string]escalatetest.Message{}
		for _, m := range smtpSrv.Wait(3, 10*time.Second) {
			got[m.To[0]] = m
		}
		now = now.Add(time.Hour)

		const reportAddr = "baocao-luadao@a.vn"
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l := &phishing.ReportListener{Service: svc, Addresses: []string{reportAddr}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
		go l.Serve(ln)
		t.Cleanup(func() { l.Close() })
		send := func(from, msg string) error {
			return smtp.SendMail(ln.Addr().String(), nil, from, []string{reportAddr}, []byte(msg))
		}
		results := func() phishing.Results {
			r, err := svc.Results(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}

		// Cường forwards An's message: not An's report, nor his.
		if err := send("cuong@a.vn", forwardAsAttachment("Cường <cuong@a.vn>", reportAddr, rawOf(got["an@a.vn"]))); err != nil {
			t.Fatal(err)
		}
		if r := results(); r.Reported != 0 {
			t.Fatalf("a colleague's forward counted: %+v", r)
		}
		// An forwards her own as an attachment.
		if err := send("an@a.vn", forwardAsAttachment("An <an@a.vn>", reportAddr, rawOf(got["an@a.vn"]))); err != nil {
			t.Fatal(err)
		}
		if r := results(); r.Reported != 1 {
			t.Fatalf("forward as attachment: %+v", r)
		}
		// Bình forwards inline; his mail server rewrites the envelope
		// sender, the From header is his.
		b := got["binh@a.vn"]
		text := b.Body
		if i := strings.Index(text, "Kính gửi"); i >= 0 {
			text = text[i:]
		}
		if j := strings.Index(text, "Bộ phận hỗ trợ VssID"); j >= 0 {
			text = text[:j+len("Bộ phận hỗ trợ VssID")]
		}
		link := textLinkRE.FindString(text)
		if link == "" {
			t.Fatalf("no link in Bình's message: %q", b.Body)
		}
		// A tampered token first: ignored.
		bad := link[:len(link)-3] + "AAA"
		if err := send("binh@a.vn", forwardInline("Bình <binh@a.vn>", reportAddr, strings.ReplaceAll(text, link, bad), bad)); err != nil {
			t.Fatal(err)
		}
		if r := results(); r.Reported != 1 {
			t.Fatalf("a tampered token counted: %+v", r)
		}
		if err := send("bounces@relay.a.vn", forwardInline("Bình <binh@a.vn>", reportAddr, text, link)); err != nil {
			t.Fatal(err)
		}
		if r := results(); r.Reported != 2 {
			t.Fatalf("inline forward: %+v", r)
		}
		// Mail for another address is refused.
		err = smtp.SendMail(ln.Addr().String(), nil, "an@a.vn", []string{"someone@a.vn"}, []byte(forwardAsAttachment("An <an@a.vn>", "someone@a.vn", rawOf(got["an@a.vn"]))))
		if err == nil || !strings.Contains(err.Error(), "550") {
			t.Errorf("mail for another address: %v", err)
		}
		var events int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM phishing_events WHERE kind = 'report' AND NOT scanner`).Scan(&events)
		if events != 2 {
			t.Errorf("%d report events, want 2", events)
		}
	})
}

// TestParseReport: the tokens of a forwarded message wherever they are.
func TestParseReport(t *testing.T) {
	tok := "42.abcdefghijklmnopqrstuv"
	for name, c := range map[string]struct {
		raw  string
		want []string
	}{
		"header":           {"From: A <A@X.vn>\r\nX-Vigil-Drill: " + tok + "\r\n\r\nhi", []string{tok}},
		"bare link":        {"just text https://hub/p/" + tok + " end", []string{tok}},
		"pixel":            {"From: a@x\r\nContent-Type: text/html\r\n\r\n<img src=\"https://hub/p/o/" + tok + ".gif\">", []string{tok}},
		"quoted header":    {"From: a@x\r\n\r\n> X-Vigil-Drill: " + tok + "\r\n", []string{tok}},
		"url-escaped link": {"From: a@x\r\n\r\nhttps://gw/?u=https%3A%2F%2Fhub%2Fp%2F" + tok + "&x=1", []string{tok}},
		"html-escaped":     {"From: a@x\r\nContent-Type: text/html\r\n\r\n<a href=\"https://gw/?u=https%3A%2F%2Fhub%2Fp%2F" + tok + "&amp;d=1\">x</a>", []string{tok}},
		"nothing":          {"From: a@x\r\n\r\nNo drill here /p/short.x", nil},
		"two, once each":   {"From: a@x\r\nX-Vigil-Drill: " + tok + "\r\n\r\nhttps://hub/p/" + tok + " https://hub/p/7.ZZZZZZZZZZZZZZZZZZZZZZ", []string{tok, "7.ZZZZZZZZZZZZZZZZZZZZZZ"}},
	} {
		r, err := phishing.ParseReport([]byte(c.raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if fmt.Sprint(r.Tokens) != fmt.Sprint(c.want) {
			t.Errorf("%s: tokens %v, want %v", name, r.Tokens, c.want)
		}
	}
	r, _ := phishing.ParseReport([]byte("From: \"An\" <An@A.VN>\r\n\r\nx"))
	if r.From != "an@a.vn" {
		t.Errorf("From: %q", r.From)
	}
}

// FuzzParseReport: any bytes a sender may send to the report address are
// read without panic, within bounds, and every token found has the token's
// shape.
func FuzzParseReport(f *testing.F) {
	f.Add([]byte("From: a@x\r\nX-Vigil-Drill: 42.abcdefghijklmnopqrstuv\r\n\r\nhi"))
	f.Add([]byte(forwardAsAttachment("a@x", "r@x", "X-Vigil-Drill: 1.abcdefghijklmnop\r\n\r\nbody")))
	f.Add([]byte(forwardInline("a@x", "r@x", "see https://hub.test/p/3.abcdefghijklmnop now", "https://hub.test/p/3.abcdefghijklmnop")))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: message/rfc822\r\n\r\n--x--"))
	shape := regexp.MustCompile(`^[0-9]{1,18}\.[A-Za-z0-9_-]{10,40}$`)
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := phishing.ParseReport(raw)
		if err != nil {
			return
		}
		for _, tok := range r.Tokens {
			if !shape.MatchString(tok) {
				t.Fatalf("token %q", tok)
			}
		}
	})
}
