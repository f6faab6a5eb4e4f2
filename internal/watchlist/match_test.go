package watchlist_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/findings"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/watchlist"
)

const evilHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func TestPublishMatchesInventoriesAndAlerts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		pcA := f.host(t, "A", "PC-A-01", workstation("10.1.2.3", []asset.Account{{Name: "svc_backup", Admin: true, Enabled: true}}, nil))
		pcA1 := f.host(t, "A1", "PC-A1-07", workstation("10.1.7.7", nil, []asset.Process{{PID: 10, Name: "updater.exe", Path: `C:\Temp\updater.exe`, SHA256: strings.ToUpper(evilHash)}}))
		pcB := f.host(t, "B", "PC-B-01", workstation("10.2.0.5", []asset.Account{{Name: "svc_backup", Enabled: true}}, nil))
		// An alert in B whose kept event names a listed domain.
		var unitB, alertID int64
		db.QueryRow(ctx, `SELECT id FROM units WHERE code = 'B'`).Scan(&unitB)
		now := store.Micros(f.now)
		if err := db.QueryRow(ctx, `INSERT INTO alerts (rule_id, rule_title, severity, severity_rank, host, host_key, host_id, unit_id, first_seen, last_seen, status_since, created_at, changed_at)
			VALUES ('r1', 'DNS', 'high', 3, 'PC-B-01', 'pc-b-01', ?, ?, ?, ?, ?, ?, ?) RETURNING id`, pcB, unitB, now, now, now, now, now).Scan(&alertID); err != nil {
			t.Fatal(err)
		}
		for i, fields := range []string{`{"_host":"PC-B-01","QueryName":"cdn.Evil-Example.com","Image":"C:\\Windows\\x.exe"}`, `{"DestinationIp":"10.9.9.9","n":3}`} {
			if _, err := db.Exec(ctx, `INSERT INTO alert_events (alert_id, seq, at, fields) VALUES (?, ?, ?, ?)`, alertID, i+1, now, fields); err != nil {
				t.Fatal(err)
			}
		}
		list := f.list(t, "Danh sách cảnh báo tháng", 30, []indicator{
			{kind: "ip", value: "10.1.2.3", severity: "critical", reason: "Máy bị điều khiển từ xa"},
			{kind: "account", value: "svc_backup", unit: "A", reason: "Tài khoản bị lộ"}, // only A's subtree
			{kind: "sha256", value: evilHash, reason: "Mã độc đánh cắp thông tin"},
			{kind: "domain", value: "evil-example.com", reason: "Máy chủ điều khiển"},
			{kind: "ip", value: "10.200.0.0/16"},
		})
		f.publish(t, list)

		hits, total, err := f.svc.List(f.analyst, watchlist.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]*watchlist.Hit{}
		for _, h := range hits {
			got[h.Object+" "+h.Value+" "+h.Host] = h
		}
		if total != 4 {
			t.Errorf("%d hits, want 4: %v", total, keys(got))
		}
		addr := got["host_address 10.1.2.3 PC-A-01"]
		if addr == nil || addr.Action != "scan" || addr.Severity != "critical" || addr.Unit != "A" || addr.Status != "open" || addr.DueAt.IsZero() || addr.Reason != "Máy bị điều khiển từ xa" {
			t.Errorf("address hit: %+v", addr)
		}
		if h := got["account svc_backup PC-A-01"]; h == nil || h.Action != "disable_account" {
			t.Errorf("admin account hit: %+v (want disable_account)", h)
		}
		if h := got["account svc_backup PC-B-01"]; h != nil {
			t.Errorf("the account entry targets A only, but B's host matched: %+v", h)
		}
		if h := got["file_hash "+evilHash+" PC-A1-07"]; h == nil || h.Action != "removal" || !strings.Contains(h.Seen, `C:\Temp\updater.exe`) {
			t.Errorf("hash hit: %+v", h)
		}
		if h := got["alert evil-example.com PC-B-01"]; h == nil || h.AlertID != alertID || !strings.Contains(h.Seen, "QueryName") || h.FindingID == 0 {
			t.Errorf("alert hit: %+v", h)
		}
		// The officer of B sees only B's match; the finding is a
		// warning-list finding at the top of B's queue.
		bh, _, err := f.svc.List(f.officerB, watchlist.Filter{})
		if err != nil || len(bh) != 1 || bh[0].Unit != "B" {
			t.Fatalf("officer B's queue: %v %v", bh, err)
		}
		fs := &findings.Service{DB: db}
		list2, _, err := fs.List(f.officerA, findings.Filter{Sort: "priority", Desc: true})
		if err != nil || len(list2) == 0 || list2[0].Kind != findings.KindWarningList {
			t.Fatalf("A's findings by priority: %v %v", list2, err)
		}
		var ev findings.WarningListEvidence
		json.Unmarshal(list2[0].Evidence, &ev)
		if ev.Action == "" || ev.List == "" || ev.Object == "" {
			t.Errorf("evidence %+v", ev)
		}
		// Publishing again (or a later list naming the same address)
		// updates the findings: no duplicates.
		list3 := f.list(t, "Danh sách bổ sung", 0, []indicator{{kind: "ip", value: "10.1.2.3", severity: "critical"}})
		f.publish(t, list3)
		var n int
		db.QueryRow(ctx, `SELECT COUNT(*) FROM findings WHERE kind = 'warning_list' AND host_id = ?`, pcA).Scan(&n)
		if n != 2 {
			t.Errorf("host A has %d warning-list findings, want 2 (address, account)", n)
		}
		_ = pcA1
	})
}

func keys(m map[string]*watchlist.Hit) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A host enrolled after the list was published is caught by the
// inventory re-match.
func TestRematchCatchesHostsEnrolledLater(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		list := f.list(t, "Tháng này", 0, []indicator{{kind: "hostname", value: "pc-late-01"}})
		f.publish(t, list)
		if err := f.svc.Rematch(f.sys); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Minute)
		f.host(t, "B", "PC-LATE-01", workstation("10.2.3.4", nil, nil))
		if err := f.svc.Rematch(f.sys); err != nil {
			t.Fatal(err)
		}
		hits, _, err := f.svc.List(f.officerB, watchlist.Filter{})
		if err != nil || len(hits) != 1 || hits[0].Object != watchlist.ObjectHostname || hits[0].FindingID == 0 {
			t.Fatalf("hits after enrolment: %+v %v", hits, err)
		}
	})
}
