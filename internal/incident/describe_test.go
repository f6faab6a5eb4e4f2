package incident_test

import (
	"strings"
	"testing"
	"time"

	"vigil/internal/incident"
)

// Every timeline entry reads in the reader's language: statuses, kinds,
// forms, delivery states and the system's actors in words.
func TestEntryDescribe(t *testing.T) {
	at := time.Now()
	for _, c := range []struct {
		e      incident.Entry
		vi, en string
	}{
		{incident.Entry{At: at, Kind: "status", Text: "new"}, "Mới", "New"},
		{incident.Entry{At: at, Kind: "status", Text: "new → triage\nĐã xem"}, "Mới → Đánh giá, phân loại\nĐã xem", "New → Triage\nĐã xem"},
		{incident.Entry{At: at, Kind: "observable", Text: "domain: evil.example"}, "Tên miền: evil.example", "Domain: evil.example"},
		{incident.Entry{At: at, Kind: "report", Text: "initial"}, "Báo cáo ban đầu", "Initial"},
		{incident.Entry{At: at, Kind: "delivery", Who: incident.WhoOutbox, Text: "incident_initial → x (email): pending — smtp: connect",
			Delivery: &incident.Delivery{Purpose: "incident_initial", Channel: "email", Target: "ir@vncert.test", Status: "pending", Error: "smtp: connect"}},
			"Báo cáo ban đầu (Mẫu 03) → ir@vncert.test (Thư điện tử): Chờ gửi", "Initial report (Mẫu 03) → ir@vncert.test (E-mail): Waiting"},
		{incident.Entry{At: at, Kind: "delivery", Who: incident.WhoOutbox, Text: "incident_initial → x (http) #2: retry — HTTP 500",
			Delivery: &incident.Delivery{Purpose: "incident_initial", Channel: "http", Target: "https://irlab.test/in", Status: "pending", Attempt: 2, Result: "retry", Detail: "HTTP 500"}},
			"Lần gửi 2: Báo cáo ban đầu (Mẫu 03) → https://irlab.test/in (", "Attempt 2: Initial report (Mẫu 03) → https://irlab.test/in ("},
		{incident.Entry{At: at, Kind: "note", Text: "initial"}, "initial", "initial"},
		{incident.Entry{At: at, Kind: "task", Text: "Cô lập máy — a@b.vn — 23:59 01/01/2020"}, "Cô lập máy — a@b.vn — 23:59 01/01/2020", "Cô lập máy — a@b.vn — 2020-01-01 23:59"},
	} {
		if got := c.e.Describe("vi"); !strings.HasPrefix(got, c.vi) {
			t.Errorf("%s %q (vi): %q, want %q", c.e.Kind, c.e.Text, got, c.vi)
		}
		if got := c.e.Describe("en"); !strings.HasPrefix(got, c.en) {
			t.Errorf("%s %q (en): %q, want %q", c.e.Kind, c.e.Text, got, c.en)
		}
	}
	if w := (incident.Entry{Who: incident.WhoOutbox}).WhoIn("vi"); w == "outbox" || w == "" {
		t.Errorf("the outbox named %q", w)
	}
}
