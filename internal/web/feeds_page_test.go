package web_test

import (
	"os"
	"strings"
	"testing"
)

// The knowledge base page with data, in both languages: the feeds' status,
// the MSRC document, a CVE looked up with its fix; MSRC's words for its
// kinds of update are translated, not shown raw.
func TestFeedsPage(t *testing.T) {
	each(t, func(t *testing.T, w *world) {
		cvrf, err := os.ReadFile("../vuln/msrc/testdata/cvrf-small.xml")
		if err != nil {
			t.Fatal(err)
		}
		expect(t, w.call("admin", "POST", "/api/v1/feeds/import?file=cvrf-small.xml", jsonBody(cvrf)), 200, "load MSRC")
		expect(t, w.call("admin", "POST", "/api/v1/feeds/import?file=kev.json", jsonBody(kevFeed)), 200, "load KEV")
		for lang, want := range map[string][]string{
			"vi": {"Cơ sở dữ liệu lỗ hổng", "Microsoft (MSRC)", "2023-Ex", "KB5033371", "Bản cập nhật bảo mật", "Đang bị khai thác", "Chưa nạp", "02/01/2024"},
			"en": {"Vulnerability knowledge base", "Microsoft (MSRC)", "2023-Ex", "KB5033371", "Security update", "Exploited", "Never loaded"},
		} {
			st, body := w.getPage("viewerA", lang, "/feeds?cve=CVE-2023-99901")
			if st != 200 {
				t.Fatalf("%s: status %d", lang, st)
			}
			for _, s := range want {
				if !strings.Contains(body, s) {
					t.Errorf("%s: page lacks %q", lang, s)
				}
			}
			if lang == "vi" && strings.Contains(body, ">Security Update<") {
				t.Error("vi: MSRC's sub-type shown raw")
			}
		}
		_, body := w.getPage("viewerA", "vi", "/feeds?cve=CVE-23-1")
		if !strings.Contains(body, "không phải mã CVE") {
			t.Error("a malformed id is not explained in Vietnamese")
		}
	})
}
