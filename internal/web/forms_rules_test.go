package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// TestRuleFormShowsTheLine: a pasted rule the compiler refuses comes back
// in the box, with the reason and its line beside it, in the reader's
// language; a good one is added and shown.
func TestRuleFormShowsTheLine(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, w *world) {
		bad := "title: Thử\nid: 5a8b0000-0000-4000-8000-0000000000aa\nlogsource:\n  product: linux\ndetection:\n  sel:\n    a|nosuch: b\n  condition: sel\n"
		status, body := w.postForm("admin", "vi", "/rules", url.Values{"csrf": {"x"}, "yaml": {bad}})
		if status != 400 {
			t.Fatalf("bad rule: status %d", status)
		}
		if msg := fieldMessage(body, "yaml"); !strings.HasPrefix(msg, "Dòng 7:") || !strings.Contains(msg, "nosuch") {
			t.Errorf("message beside the rule: %q", msg)
		}
		if !strings.Contains(body, "a|nosuch: b") {
			t.Error("the pasted rule is not kept")
		}
		status, body = w.postForm("admin", "en", "/rules", url.Values{"yaml": {"title: x\nlogsource:\n  product: linux\ndetection:\n  k: [a]\n  condition: k\n"}})
		if msg := fieldMessage(body, "yaml"); status != 400 || !strings.Contains(msg, "has no id") {
			t.Errorf("rule without an id: %d %q", status, msg)
		}
		status, _ = w.postForm("admin", "vi", "/rules", url.Values{"yaml": {uiRuleYAML("5a8b0000-0000-4000-8000-0000000000ab")}})
		if status != 303 {
			t.Fatalf("good rule: status %d", status)
		}
		if st, page := w.getPage("officerA", "vi", "/rules?q=0000000000ab"); st != 200 || !strings.Contains(page, "5a8b0000-0000-4000-8000-0000000000ab") {
			t.Errorf("officer's list: %d", st)
		}
		if status, _ := w.postForm("officerA", "vi", "/rules", url.Values{"yaml": {uiRuleYAML("5a8b0000-0000-4000-8000-0000000000ac")}}); status != 403 {
			t.Errorf("officer adds a rule: %d", status)
		}
	})
}
