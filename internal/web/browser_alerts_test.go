package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/alerts"
	"vigil/internal/auth"
	"vigil/internal/demo"
	"vigil/internal/detect"
	"vigil/internal/hub"
	"vigil/internal/i18n"
	"vigil/internal/store/storetest"
)

// alertsBrowserHub is browserHub keeping the hub, so the test can record
// alerts as the detection pipeline would while a page watches.
func alertsBrowserHub(t *testing.T, engine string) (*httptest.Server, *hub.Hub) {
	t.Helper()
	ctx := context.Background()
	cfg := hub.Config{AdminEmail: "admin@vigil.local", AdminPassword: browserAdminPassword, Demo: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "browser-test"}
	h, err := hub.New(storetest.Open(t, engine), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Bootstrap(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Server.Handler())
	t.Cleanup(func() {
		h.Alerts.CloseStreams()
		srv.Close()
	})
	return srv, h
}

// TestBrowserAlertQueueLive: the SOC's analyst opens the demo's alert
// queue in Chromium; an alert the pipeline records afterwards appears on
// the page without a reload, and a new match of an alert shown raises its
// count in place. The queue in English, an alert's page with its events,
// and no console error or CSP report.
func TestBrowserAlertQueueLive(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			srv, h := alertsBrowserHub(t, engine)
			ctx := newBrowser(t, 2*time.Minute)
			b := &browser{t: t, ctx: ctx, base: srv.URL}
			con := recordConsole(ctx)
			b.login("soc@demo.vigil.local", demo.Password)

			// The dashboard's card 2 leads to the queue.
			b.open("/")
			b.wantText("#measure-m2", i18n.T("vi", "alert.unacked_critical"))
			b.clickAndWait(`#measure-m2 p a[href="/alerts"]`)
			b.wantPath("/alerts")
			b.wantText("h1", i18n.T("vi", "alerts.title"))
			before := b.count(`#alerts-rows tr`)
			if before < 5 {
				t.Fatalf("the demo queue shows %d alerts", before)
			}
			b.waitFor(`document.querySelector("#alerts-live.live-on") !== null`, "the page connected to the live stream")
			sys := auth.WithPrincipal(context.Background(), auth.System)
			first, _, err := h.Alerts.List(sys, alerts.Filter{Statuses: alerts.Active, Limit: 1})
			if err != nil || len(first) == 0 {
				t.Fatalf("demo alerts: %v", err)
			}
			shown := first[0]

			// The pipeline records a new alert and one more match of a shown one.
			var unit int64
			h.DB.QueryRow(context.Background(), `SELECT id FROM units WHERE code = 'T01'`).Scan(&unit)
			ev := &detect.Event{Host: "pc-ketoan-live", Fields: []detect.Field{{Name: "CommandLine", Value: "vssadmin.exe delete shadows /all /quiet"}}}
			if err := h.Alerts.Record(context.Background(), []alerts.Match{
				{RuleID: "c947b146-0abc-4c87-9c64-b17e9d7274a2", RuleTitle: "Shadow Copies Deletion Using Operating Systems Utilities (live)", Level: "critical",
					UnitID: unit, Host: "pc-ketoan-live", Time: time.Now(), Event: ev},
			}); err != nil {
				t.Fatal(err)
			}
			b.waitFor(`Array.from(document.querySelectorAll("#alerts-rows tr")).some(function(r){return r.innerText.indexOf("(live)") >= 0})`, "the new alert on the page")
			if got := b.count(`#alerts-rows tr`); got != before+1 {
				t.Errorf("%d rows after the new alert, want %d", got, before+1)
			}
			newRow := b.text(`#alerts-rows tr.alert-new`)
			if !strings.Contains(newRow, i18n.T("vi", "alert.sev.critical")) || !strings.Contains(newRow, "pc-ketoan-live") || !strings.Contains(newRow, i18n.T("vi", "alert.status.open")) {
				t.Errorf("the new row says %q", newRow)
			}
			if b.count(`#alerts-rows tr.alert-new a[href^="/units/"]`) != 1 {
				t.Error("the new row has no link to its unit")
			}
			again := alerts.Match{RuleID: shown.RuleID, RuleTitle: shown.RuleTitle, Level: shown.Severity, UnitID: shown.UnitID, Host: shown.Host,
				Key: shown.Key, Time: shown.LastSeen.Add(time.Second), Event: ev}
			if err := h.Alerts.Record(context.Background(), []alerts.Match{again}); err != nil {
				t.Fatal(err)
			}
			want := strconv.FormatInt(shown.Count+1, 10)
			b.waitFor(`(function(){var r=document.querySelector('#alerts-rows tr[data-alert-id="`+strconv.FormatInt(shown.ID, 10)+`"] [data-f=count]');return r!==null&&r.textContent==="`+want+`"})()`,
				"the count of alert "+strconv.FormatInt(shown.ID, 10)+" raised to "+want)
			if b.path() != "/alerts" {
				t.Errorf("the page moved to %s", b.path())
			}

			// The alert's page shows its kept events; the queue in English.
			b.open("/alerts/" + strconv.FormatInt(shown.ID, 10))
			if b.count(`#alert-events tbody tr`) == 0 {
				t.Error("the alert's page shows no event")
			}
			b.open("/lang/en?next=/alerts")
			b.open("/alerts")
			b.wantText("h1", "Alert queue")
			screenshot(t, ctx, "alerts-"+engine)
			b.checkConsole(con)
		})
	}
}

// waitFor polls a JavaScript condition for up to ten seconds.
func (b *browser) waitFor(cond, what string) {
	b.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not seen within 10 s (%v)", what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
