package web_test

import (
	"net/url"
	"strings"
	"testing"

	"vigil/internal/store/storetest"
)

// The readiness pages: the campaigns and the form that opens one (back
// with the input and the reason beside the field), the scoreboard with
// its countdown and colours, the leadership view, a unit's sheet with
// what to do next and the attestation form, the review queue and the
// template editor; in both languages with no raw key shown.
func TestReadinessPages(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.Open(t, "sqlite"))
	id := w.campaignFor(t)
	aid, fid := w.attestation(t, id)
	for _, lang := range []string{"vi", "en"} {
		for _, c := range []struct{ actor, path, want string }{
			{"admin", "/readiness", `id="new-campaign"`},
			{"officerA", "/readiness", "/readiness/" + id + "/units/A"},
			{"admin", "/readiness/" + id, `id="scoreboard"`},
			{"officerA", "/readiness/" + id, `class="rd rd-`},
			{"analyst", "/readiness/" + id + "/leadership", `id="leadership"`},
			{"officerA", "/readiness/" + id + "/units/A", `id="next"`},
			{"officerA", "/readiness/" + id + "/units/A", `enctype="multipart/form-data"`},
			{"officerA", "/readiness/" + id + "/units/A", "/hosts?unit=A&amp;failing=antivirus"},
			{"admin", "/readiness/" + id + "/attestations", `value="accept"`},
			{"viewerA", "/readiness/" + id + "/attestations", "/readiness-attestations/" + aid + "/files/" + fid},
			{"admin", "/readiness-templates/directive-182-tet", `name="criteria[1].target"`},
			{"officerA", "/units/A", "/readiness/" + id + "/units/A"},
		} {
			status, body := w.getPage(c.actor, lang, c.path)
			if status != 200 || !strings.Contains(body, c.want) {
				t.Errorf("%s %s (%s): status %d, want %q in the page", c.actor, c.path, lang, status, c.want)
				continue
			}
			text := " " + pageText(t, body)
			for _, raw := range []string{" rd.", " field.", "%!", "no_data", "at_risk", "min_share"} {
				if strings.Contains(text, raw) {
					t.Errorf("%s %s (%s) shows a raw %q", c.actor, c.path, lang, raw)
				}
			}
		}
	}
	_, body := w.getPage("officerA", "vi", "/readiness/"+id)
	if !strings.Contains(body, "Còn ") && !strings.Contains(body, "Chiến dịch bắt đầu") {
		t.Error("no countdown on the scoreboard")
	}
	if strings.Contains(body, "Hà Nội") {
		t.Error("officerA's scoreboard shows B")
	}
	if status, _ := w.getPage("officerB", "vi", "/readiness/"+id+"/units/A"); status != 404 {
		t.Errorf("officerB opens A's sheet: %d", status)
	}
	if status, body := w.getPage("admin", "vi", "/readiness/"+id+"/leadership"); status != 200 || strings.Contains(mainRE.FindString(body), "<form") {
		t.Errorf("the leadership view is not read-only: %d", status)
	}

	// A bad deadline comes back with the input kept and the reason beside it.
	form := url.Values{"name": {"Tết Đinh Mùi 2027 — đợt 2"}, "template": {"directive-182-tet"}, "starts_at": {"04/02/2027"}, "due_at": {"31/02/2027"}}
	status, body := w.postForm("admin", "vi", "/readiness", form)
	if status != 400 || !strings.Contains(body, "Tết Đinh Mùi 2027 — đợt 2") || !strings.Contains(fieldMessage(body, "due_at"), "không phải ngày") {
		t.Errorf("bad deadline: status %d, message %q", status, fieldMessage(body, "due_at"))
	}
	form.Set("due_at", "12/02/2027")
	if status, _ := w.postForm("admin", "vi", "/readiness", form); status != 303 {
		t.Errorf("good form: status %d", status)
	}
	if status, _ := w.postForm("officerA", "vi", "/readiness", form); status != 403 {
		t.Errorf("officerA opens a campaign: %d", status)
	}
	// An attestation without a note comes back with the reason beside it.
	status, body = w.postForm("officerA", "vi", "/readiness/"+id+"/units/A/attest", url.Values{"criterion": {"m2.response_plan"}, "note": {" "}})
	if status != 400 || !strings.Contains(fieldMessage(body, "note"), "nội dung đã thực hiện") {
		t.Errorf("attest without a note: status %d, message %q", status, fieldMessage(body, "note"))
	}
	if status, _ := w.postForm("officerA", "vi", "/readiness/"+id+"/units/A/attest", url.Values{"criterion": {"m2.response_plan"}, "note": {"Phương án số 12/PA-TTCNTT đã được duyệt."}}); status != 303 {
		t.Errorf("attest: status %d", status)
	}
	// Sending back without a reason comes back; with one it is done.
	if status, body := w.postForm("admin", "vi", "/readiness-attestations/"+aid+"/review", url.Values{"decision": {"return"}}); status != 400 || !strings.Contains(fieldMessage(body, "note"), "lý do") {
		t.Errorf("return without a reason: %d %q", status, fieldMessage(body, "note"))
	}
	if status, _ := w.postForm("admin", "vi", "/readiness-attestations/"+aid+"/review", url.Values{"decision": {"accept"}}); status != 303 {
		t.Errorf("accept: %d", status)
	}
	if status, _ := w.postForm("admin", "vi", "/readiness/"+id+"/refresh", url.Values{}); status != 303 {
		t.Errorf("refresh: %d", status)
	}
	_, body = w.getPage("officerA", "vi", "/readiness/"+id+"/units/A1")
	if !strings.Contains(pageText(t, body), "Đã chấp nhận") {
		t.Error("A1's accepted attestation is not on its sheet")
	}

	// The template editor: a target changed, a criterion removed; a bad
	// target comes back beside its row.
	tpl := url.Values{"name": {"Chỉ thị 182 — Tết"}, "rows": {"2"},
		"criteria[1].key": {"m1.av_current"}, "criteria[1].measure": {"1"}, "criteria[1].kind": {"metric"}, "criteria[1].metric": {"hosts.av_current"},
		"criteria[1].direction": {"min_share"}, "criteria[1].target": {"120"}, "criteria[1].margin": {"5"}, "criteria[1].label": {"Máy có mẫu nhận diện mới"},
		"criteria[2].key": {"m1.firewall_on"}, "criteria[2].measure": {"1"}, "criteria[2].kind": {"metric"}, "criteria[2].metric": {"hosts.firewall_on"},
		"criteria[2].direction": {"min_share"}, "criteria[2].target": {"95"}, "criteria[2].margin": {"5"}, "criteria[2].label": {"Máy bật tường lửa"}, "criteria[2].remove": {"1"}}
	status, body = w.postForm("admin", "vi", "/readiness-templates/tet-2", tpl)
	if status != 400 || !strings.Contains(body, "criteria[1].target") || !strings.Contains(body, "phần trăm từ 0 đến 100") || !strings.Contains(body, "Máy có mẫu nhận diện mới") {
		t.Errorf("bad target: status %d", status)
	}
	tpl.Set("criteria[1].target", "98,5")
	if status, _ := w.postForm("admin", "vi", "/readiness-templates/tet-2", tpl); status != 303 {
		t.Errorf("template saved: %d", status)
	}
	r := w.call("admin", "GET", "/api/v1/readiness/templates/tet-2", nil)
	if cs, _ := r.json(t)["criteria"].([]any); len(cs) != 1 || cs[0].(map[string]any)["target"] != 98.5 {
		t.Errorf("saved template: %s", r.Body)
	}
	if status, _ := w.postForm("officerA", "vi", "/readiness-templates/tet-2", tpl); status != 403 {
		t.Errorf("officerA edits a template: %d", status)
	}
}
