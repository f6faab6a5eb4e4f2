package advisory_test

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"vigil/internal/advisory"
	"vigil/internal/auth"
	"vigil/internal/org"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadRSS(t *testing.T) {
	t.Parallel()
	f, err := advisory.ReadFeed("CERT", bytes.NewReader(readTestdata(t, "cert-rss.xml")))
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != "rss" || !strings.HasPrefix(f.Title, "Trung tâm Ứng cứu") || len(f.Items) != 3 {
		t.Fatalf("feed %q %q with %d items", f.Format, f.Title, len(f.Items))
	}
	a := f.Items[0]
	if a.Key != "cert-example-2026-0412" || a.Severity != advisory.SeverityCritical || strings.Join(a.CVEs, ",") != "CVE-2023-23397" {
		t.Errorf("item 1: %+v", a)
	}
	if !a.Published.Equal(time.Date(2026, 12, 1, 2, 15, 0, 0, time.UTC)) {
		t.Errorf("item 1 published %v", a.Published)
	}
	if strings.Contains(a.Summary, "<") || strings.Contains(a.Summary, "alert") || !strings.Contains(a.Summary, "tháng 3/2023 & chặn") || !strings.Contains(a.Summary, "\n") {
		t.Errorf("item 1 summary not stripped to text: %q", a.Summary)
	}
	b := f.Items[1]
	if b.Key != "https://cert.example.vn/canh-bao/2026/lua-dao-cuoi-nam" || b.Severity != advisory.SeverityHigh || len(b.CVEs) != 0 {
		t.Errorf("item 2: %+v", b)
	}
	if !b.Published.Equal(time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("item 2 (dc:date) published %v", b.Published)
	}
	c := f.Items[2]
	if c.Key != c.Link || strings.Join(c.CVEs, ",") != "CVE-2023-36025,CVE-2023-44487" || c.Severity != advisory.SeverityMedium || c.Summary != "Tổng hợp các lỗ hổng trong tuần." {
		t.Errorf("item 3: %+v", c)
	}
}

func TestReadAtom(t *testing.T) {
	t.Parallel()
	f, err := advisory.ReadFeed("Vendor", bytes.NewReader(readTestdata(t, "vendor-atom.xml")))
	if err != nil {
		t.Fatal(err)
	}
	if f.Format != "atom" || len(f.Items) != 2 {
		t.Fatalf("feed %+v", f)
	}
	a := f.Items[0]
	if a.Title != "Windows SmartScreen Security Feature Bypass Vulnerability CVE-2023-36025" || a.Link != "https://security.example.com/update-guide/CVE-2023-36025" ||
		a.Severity != advisory.SeverityHigh || strings.Join(a.CVEs, ",") != "CVE-2023-36025" || a.Summary != "Max severity: Important. Exploited: Yes." {
		t.Errorf("entry 1: %+v", a)
	}
	b := f.Items[1]
	if b.Summary != "Low impact hardening.\nNo CVE assigned." || b.Severity != advisory.SeverityLow || !b.Published.Equal(time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("entry 2: %+v", b)
	}
}

func TestReadFeedRefuses(t *testing.T) {
	t.Parallel()
	item := func(date string) string {
		return `<item><title>x</title><link>https://a.example/1</link><pubDate>` + date + `</pubDate></item>`
	}
	for _, c := range []struct{ name, doc, want string }{
		{"empty", ``, "CERT: the document is empty"},
		{"doctype", `<?xml version="1.0"?>` + "\n" + `<!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>` + "\n" + `<rss><channel><title>&b;</title></channel></rss>`, "line 2: the document declares a DOCTYPE or ENTITY"},
		{"not a feed", `<html><body/></html>`, "neither RSS 2.0 nor Atom 1.0 (its root element is html)"},
		{"broken", "<rss version=\"2.0\"><channel>\n<item><title>x</title></channel></rss>", "line 2: malformed XML"},
		{"unknown entity", "<rss><channel><title>&nbsp;</title></channel></rss>", "line 1: malformed XML"},
		{"bad date", "<rss><channel>\n\n" + item("yesterday") + "</channel></rss>", `line 3: pubDate "yesterday" is not a date`},
		{"no key", "<rss><channel>\n<item><title>x</title></item></channel></rss>", "line 2: the item has neither a guid (id) nor a link"},
		{"bad link", "<rss><channel>\n<item><title>x</title><link>javascript:alert(1)</link></item></channel></rss>", `line 2: link "javascript:alert(1)" is not an http or https address`},
		{"truncated", "<rss><channel><item>", "the document ends too early"},
		{"too many", "<rss><channel>" + strings.Repeat(item("Mon, 02 Jan 2006 15:04:05 +0700"), advisory.MaxFeedItems+1) + "</channel></rss>", "more than 1000 items"},
		{"too big", "<rss><channel><title>" + strings.Repeat("a", advisory.MaxFeedBytes) + "</title></channel></rss>", "larger than"},
	} {
		_, err := advisory.ReadFeed("CERT", strings.NewReader(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "channel CERT") {
			t.Errorf("%s: %v, want an error saying %q", c.name, err, c.want)
		}
	}
}

func TestFeedDates(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"Mon, 02 Jan 2006 15:04:05 -0700", "Mon, 02 Jan 2006 15:04:05 GMT", "Mon, 2 Jan 2006 15:04:05 +0000", "02 Jan 2006 15:04:05 +0700",
		"Mon, 02 Jan 06 15:04:05 MST", "Mon, 02 Jan 2006 15:04 +0700", "2006-01-02T15:04:05Z", "2006-01-02T15:04:05.999+07:00", "2006-01-02T15:04:05", "2006-01-02"} {
		doc := `<rss><channel><item><title>x</title><link>https://a.example/1</link><pubDate>` + d + `</pubDate></item></channel></rss>`
		f, err := advisory.ReadFeed("c", strings.NewReader(doc))
		if err != nil || f.Items[0].Published.Year() != 2006 {
			t.Errorf("%q: %v", d, err)
		}
	}
}

func TestImportFeed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		doc := readTestdata(t, "cert-rss.xml")
		if _, err := f.svc.ImportFeed(f.as(auth.RoleOfficer, "A"), "VNCERT/CC", bytes.NewReader(doc)); err == nil {
			t.Error("a province officer imports a feed")
		}
		// The feeds poller calls with no user: the hub itself.
		n, err := f.svc.ImportFeed(context.Background(), "VNCERT/CC", bytes.NewReader(doc))
		if err != nil || n != 3 {
			t.Fatalf("first import: %d, %v", n, err)
		}
		n, err = f.svc.ImportFeed(context.Background(), "VNCERT/CC", bytes.NewReader(doc))
		if err != nil || n != 0 {
			t.Fatalf("second import: %d new, %v; want 0", n, err)
		}
		itc := f.as(auth.RoleOfficer, org.RootCode)
		list, total, err := f.svc.List(itc, advisory.Filter{Status: advisory.StatusDraft, Sort: "ref"})
		if err != nil || total != 3 {
			t.Fatalf("drafts %d %v", total, err)
		}
		// Oldest first: the weekly bulletin of 30/11 got the first number.
		if list[0].Ref != "CB-2026-001" || !strings.HasPrefix(list[0].Title, "Bản tin tuần") || list[0].Issuer != "VNCERT/CC" || list[0].Channel != "VNCERT/CC" {
			t.Errorf("first draft %+v", list[0])
		}
		if list[1].Severity != advisory.SeverityCritical || list[1].Link == "" || list[1].Published.IsZero() || strings.Join(list[1].CVEs, ",") != "CVE-2023-23397" {
			t.Errorf("Outlook draft %+v", list[1])
		}
		// A malformed document files nothing.
		bad := strings.Replace(string(doc), "<guid>https://cert.example.vn/canh-bao/2026/lua-dao-cuoi-nam</guid>", "<guid>new-one</guid><pubDate>soon</pubDate>", 1)
		if n, err := f.svc.ImportFeed(context.Background(), "Other", strings.NewReader(bad)); err == nil || n != 0 || !strings.Contains(err.Error(), "channel Other, line") {
			t.Errorf("malformed: %d %v", n, err)
		}
		if _, total, _ := f.svc.List(itc, advisory.Filter{}); total != 3 {
			t.Errorf("%d advisories after a refused import, want 3", total)
		}
	})
}

func FuzzReadFeed(f *testing.F) {
	f.Add(readTestdata(f, "cert-rss.xml"))
	f.Add(readTestdata(f, "vendor-atom.xml"))
	f.Add([]byte(`<!DOCTYPE x [<!ENTITY a "b">]><rss/>`))
	f.Add([]byte(`<feed><entry><id>1</id><title type="xhtml"><b>x</b></title><updated>2026-01-01</updated></entry></feed>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		feed, err := advisory.ReadFeed("fuzz", bytes.NewReader(b))
		if err != nil {
			if !strings.Contains(err.Error(), "channel fuzz") {
				t.Fatalf("error does not name the channel: %v", err)
			}
			return
		}
		if len(feed.Items) > advisory.MaxFeedItems {
			t.Fatalf("%d items", len(feed.Items))
		}
		for _, it := range feed.Items {
			if it.Key == "" || it.Title == "" {
				t.Fatalf("item without key or title: %+v", it)
			}
		}
	})
}

// BenchmarkReadFeed reads a channel of 1,000 items (the most one document
// holds).
func BenchmarkReadFeed(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>CERT</title>`)
	for i := 0; i < advisory.MaxFeedItems; i++ {
		buf.WriteString(`<item><title>Lỗ hổng nghiêm trọng CVE-2026-` + strings.Repeat("1", 5) + `</title><link>https://cert.example.vn/a/` + strings.Repeat("x", i%7) + `</link>`)
		buf.WriteString(`<guid>g` + string(rune('a'+i%26)) + strings.Repeat("0", i%5) + `</guid><pubDate>Tue, 01 Dec 2026 09:15:00 +0700</pubDate>`)
		buf.WriteString(`<description><![CDATA[<p>Mô tả <b>lỗ hổng</b> &amp; khuyến nghị cài bản vá.</p><ul><li>Sản phẩm A</li><li>Sản phẩm B</li></ul>]]></description></item>`)
	}
	buf.WriteString(`</channel></rss>`)
	doc := buf.Bytes()
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := advisory.ReadFeed("CERT", bytes.NewReader(doc)); err != nil {
			b.Fatal(err)
		}
	}
}
