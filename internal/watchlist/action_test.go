package watchlist_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"vigil/internal/asset"
	"vigil/internal/intel"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/watchlist"
)

// A list imported through intel without an action column asks for the
// action fitting what matched (docs/watchlist.md, "Required action"),
// not "block" for every address; an explicit action from the file is
// kept. The run counts as matched only the hosts that got a hit after
// unit targeting.
func TestImportedListActionByWhatMatchedAndHostsMatched(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.host(t, "A", "PC-A-01", workstation("10.1.2.3", []asset.Account{{Name: "quantri", Admin: true, Enabled: true}, {Name: "ketoan", Enabled: true}}, nil))
		f.host(t, "A1", "PC-A1-07", workstation("10.1.7.7", nil, []asset.Process{{PID: 10, Name: "updater.exe", Path: `C:\Temp\updater.exe`, SHA256: evilHash}}))
		f.host(t, "B", "PC-B-01", workstation("10.2.0.5", nil, nil))
		// PC-B-02's address is listed for unit A only: not a hit, not a
		// host matched.
		f.host(t, "B", "PC-B-02", workstation("10.2.0.9", nil, nil))
		in := &intel.Service{DB: db, Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return f.now }, OnPublish: []func(context.Context, int64) error{f.svc.Start}}
		csv := "type,value,comment,source,confidence,tlp,valid_until,tags,unit,action,severity,reason\n" +
			"ip,10.1.2.3,c2\n" +
			"account,quantri\n" +
			"account,ketoan\n" +
			"sha256," + evilHash + "\n" +
			"ip,10.2.0.5,,,,,,,,block\n" +
			"ip,10.2.0.9,,,,,,,A\n"
		res, err := in.Import(f.sys, intel.ImportInput{Name: "canh-bao.csv", Data: strings.NewReader(csv), List: "Danh sách tháng", Source: "ITC"})
		if err != nil || res.List == nil || res.List.Status != intel.ListPublished {
			t.Fatalf("import: %+v %v", res, err)
		}
		f.svc.Wait()
		hits, _, err := f.svc.List(f.analyst, watchlist.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, h := range hits {
			got[h.Object+" "+h.Value+" "+h.Host] = h.Action
		}
		want := map[string]string{
			"host_address 10.1.2.3 PC-A-01":       "scan",
			"account quantri PC-A-01":             "disable_account",
			"account ketoan PC-A-01":              "password_reset",
			"file_hash " + evilHash + " PC-A1-07": "removal",
			"host_address 10.2.0.5 PC-B-01":       "block", // explicit in the file
		}
		for k, a := range want {
			if got[k] != a {
				t.Errorf("%s: action %q, want %q (all: %v)", k, got[k], a, got)
			}
		}
		if len(got) != len(want) {
			t.Errorf("hits %v, want %v", got, want)
		}
		runs, err := f.svc.Runs(f.analyst, res.List.ID, 1)
		if err != nil || len(runs) == 0 {
			t.Fatalf("runs %v %v", runs, err)
		}
		if runs[0].HostsScanned != 4 || runs[0].HostsMatched != 3 {
			t.Errorf("run: %d hosts scanned, %d matched; want 4 and 3 (PC-B-02's entry targets A)", runs[0].HostsScanned, runs[0].HostsMatched)
		}
	})
}
