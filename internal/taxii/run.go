package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/intel"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// Caps of one run.
const (
	MaxTAXIIObjectsPerRun = 20000 // a collection with more is read over the following runs
	MaxMISPEventsPerRun   = 50    // idem for a MISP feed's changed events
	runStale              = 30 * time.Minute
)

// RunDue runs every enabled feed whose time has come (the job
// "intel-feeds", every minute). Each feed is claimed first, so hub
// processes sharing a database never run one twice at once; a failure is
// recorded on the feed, not returned.
func (s *Service) RunDue(ctx context.Context) error {
	now := s.now()
	rows, err := s.DB.Query(ctx, `SELECT id FROM intel_feeds WHERE enabled AND next_run_at <= ? ORDER BY next_run_at LIMIT 20`, store.Micros(now))
	if err != nil {
		return fmt.Errorf("taxii: due feeds: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sys := auth.WithPrincipal(ctx, auth.System)
	for _, id := range ids {
		f, ok, err := s.claim(ctx, id, true)
		if err != nil {
			return err
		}
		if ok {
			s.runClaimed(sys, f)
		}
	}
	// Status resources of TAXII writes are kept 30 days.
	if _, err := s.DB.Exec(ctx, `DELETE FROM taxii_status WHERE created_at < ?`, store.Micros(now.Add(-30*24*time.Hour))); err != nil {
		return fmt.Errorf("taxii: purge status: %w", err)
	}
	return nil
}

// claim marks a feed running; due says only when its time has come.
func (s *Service) claim(ctx context.Context, id int64, due bool) (*Feed, bool, error) {
	now := s.now()
	cond := ""
	args := []any{store.Micros(now), id, store.Micros(now.Add(-runStale))}
	if due {
		cond = " AND enabled AND next_run_at <= ?"
		args = append(args, store.Micros(now))
	}
	res, err := s.DB.Exec(ctx, `UPDATE intel_feeds SET running_since = ? WHERE id = ? AND running_since < ?`+cond, args...)
	if err != nil {
		return nil, false, fmt.Errorf("taxii: claim feed: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, false, nil
	}
	f, err := loadFeed(ctx, s.DB, id)
	if err != nil {
		return nil, false, err
	}
	return f, true, nil
}

// RunFeed runs one feed now (administrators) and returns it with the
// run's outcome; the run is audited.
func (s *Service) RunFeed(ctx context.Context, id int64) (*Feed, error) {
	if _, err := requireFeedManager(ctx); err != nil {
		return nil, err
	}
	if _, err := loadFeed(ctx, s.DB, id); err != nil {
		return nil, err
	}
	f, ok, err := s.claim(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errs.Conflict("", "the feed is running; wait for it to finish")
	}
	count, runErr := s.runClaimed(auth.WithPrincipal(context.WithoutCancel(ctx), auth.System), f)
	outcome := map[string]any{"name": f.Name, "count": count}
	if runErr != nil {
		outcome["error"] = runErr.Error()
	}
	if err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		return audit.Append(ctx, tx, audit.Entry{Action: "intel_feed.run", ObjectType: "intel_feed", ObjectID: fmt.Sprint(id), After: outcome})
	}); err != nil {
		return nil, err
	}
	return loadFeed(ctx, s.DB, id)
}

// runClaimed runs a claimed feed and records the outcome on it.
func (s *Service) runClaimed(ctx context.Context, f *Feed) (int, error) {
	start := s.now()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	st := &runState{etag: f.etag, lastMod: f.lastMod, seen: f.seen, cursor: f.AddedAfter}
	count, err := s.runFeed(ctx, f, st)
	status, msg := RunOK, ""
	if err != nil {
		status = RunError
		var fe *FeedError
		if errors.As(err, &fe) {
			msg = fe.Error()
		} else if e, ok := errs.As(err); ok {
			msg = ErrImport + ": " + e.Message
		} else {
			msg = ErrImport + ": " + err.Error()
		}
		if len(msg) > 1000 {
			msg = msg[:1000]
		}
		s.logger().Warn("intel feed failed", "feed", f.Name, "kind", f.Kind, "err", msg)
	} else {
		s.logger().Info("intel feed ran", "feed", f.Name, "kind", f.Kind, "count", count)
	}
	now := s.now()
	since := f.StatusSince
	if status != f.LastStatus || since.IsZero() {
		since = now
	}
	next := start.Add(time.Duration(f.IntervalMinutes) * time.Minute)
	if st.more && err == nil {
		next = now // more to read: the next minute
	}
	lastOK := f.LastOK
	if err == nil {
		lastOK = now
	}
	if _, uerr := s.DB.Exec(context.WithoutCancel(ctx), `UPDATE intel_feeds SET running_since = 0, last_run_at = ?, last_ok_at = ?, last_status = ?, last_error = ?,
		last_count = ?, status_since = ?, next_run_at = ?, added_after = ?, etag = ?, last_modified = ?, seen = ? WHERE id = ?`,
		store.Micros(now), store.Micros(lastOK), status, msg, count, store.Micros(since), store.Micros(next), st.cursor, st.etag, st.lastMod, st.seen, f.ID); uerr != nil {
		return count, fmt.Errorf("taxii: record feed run: %w", uerr)
	}
	return count, err
}

// runState is what a run remembers for the next: the validators of the
// last answer, a MISP feed's events seen, a TAXII cursor.
type runState struct {
	etag, lastMod, seen, cursor string
	more                        bool
}

func (s *Service) runFeed(ctx context.Context, f *Feed, st *runState) (int, error) {
	switch f.Kind {
	case FeedTAXII:
		return s.runTAXII(ctx, f, st)
	case FeedMISP:
		return s.runMISP(ctx, f, st)
	case FeedSTIX, FeedCSV:
		return s.runFile(ctx, f, st)
	case FeedRSS:
		return s.runRSS(ctx, f, st)
	}
	return 0, feedErr(ErrConfig, "unknown kind %q", f.Kind)
}

func (f *Feed) authHeader() http.Header {
	h := http.Header{}
	switch {
	case f.Username != "":
		req := &http.Request{Header: http.Header{}}
		req.SetBasicAuth(f.Username, f.secret)
		h.Set("Authorization", req.Header.Get("Authorization"))
	case f.secret != "" && f.Kind == FeedMISP:
		h.Set("Authorization", f.secret) // MISP's API key header
	case f.secret != "":
		h.Set("Authorization", "Bearer "+f.secret)
	}
	return h
}

// importData hands a file to the intel service as the feed's.
func (s *Service) importData(ctx context.Context, f *Feed, name string, data []byte) (int, error) {
	if s.Intel == nil {
		return 0, feedErr(ErrConfig, "the hub has no intel service to import into")
	}
	res, err := s.Intel.Import(ctx, intel.ImportInput{Name: f.Name + ": " + name, Data: bytes.NewReader(data), Source: f.Name, TLP: f.TLP, List: f.TargetList})
	if err != nil {
		if e, ok := errs.As(err); ok && e.Code == errs.EINVALID {
			return 0, feedErr(ErrFormat, "%s", e.Message)
		}
		return 0, err
	}
	return res.IndicatorsLoaded, nil
}

func (s *Service) runTAXII(ctx context.Context, f *Feed, st *runState) (int, error) {
	c := &Client{HTTP: s.httpClient(), Username: f.Username, Password: f.secret}
	res, err := c.Poll(ctx, f.URL, f.APIRoot, f.Collection, st.cursor, MaxTAXIIObjectsPerRun)
	if err != nil {
		return 0, err
	}
	n := 0
	if len(res.Objects) > 0 {
		bundle, _ := json.Marshal(map[string]any{"type": "bundle", "id": "bundle--" + uuid.NewString(), "objects": res.Objects})
		if n, err = s.importData(ctx, f, "TAXII "+f.Collection, bundle); err != nil {
			return 0, err
		}
	}
	st.cursor, st.more = res.Cursor, res.More
	return n, nil
}

func (s *Service) runFile(ctx context.Context, f *Feed, st *runState) (int, error) {
	got, err := fetch(ctx, s.httpClient(), f.URL, f.authHeader(), st.etag, st.lastMod, MaxFeedBytes)
	if err != nil {
		return 0, err
	}
	if got.NotModified {
		return 0, nil
	}
	name := path.Base(strings.SplitN(f.URL, "?", 2)[0])
	if f.Kind == FeedCSV && !strings.HasSuffix(strings.ToLower(name), ".csv") {
		name += ".csv"
	}
	if f.Kind == FeedSTIX && !strings.HasSuffix(strings.ToLower(name), ".json") {
		name += ".json"
	}
	n, err := s.importData(ctx, f, name, got.Body)
	if err != nil {
		return 0, err
	}
	st.etag, st.lastMod = got.ETag, got.LastModified
	return n, nil
}

func (s *Service) runRSS(ctx context.Context, f *Feed, st *runState) (int, error) {
	if s.ImportAdvisories == nil {
		return 0, feedErr(ErrConfig, "the hub has no advisory service to file the channel's items")
	}
	got, err := fetch(ctx, s.httpClient(), f.URL, f.authHeader(), st.etag, st.lastMod, MaxFeedBytes)
	if err != nil {
		return 0, err
	}
	if got.NotModified {
		return 0, nil
	}
	n, err := s.ImportAdvisories(ctx, f.Name, bytes.NewReader(got.Body))
	if err != nil {
		if e, ok := errs.As(err); ok && e.Code == errs.EINVALID {
			return 0, feedErr(ErrFormat, "%s", e.Message)
		}
		return 0, feedErr(ErrImport, "%v", err)
	}
	st.etag, st.lastMod = got.ETag, got.LastModified
	return n, nil
}

// runMISP reads a MISP feed: its manifest.json, then each event that is
// new or changed since the last run (by the manifest's timestamp), at
// most MaxMISPEventsPerRun a run, oldest first.
func (s *Service) runMISP(ctx context.Context, f *Feed, st *runState) (int, error) {
	base := strings.TrimSuffix(f.URL, "manifest.json")
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	got, err := fetch(ctx, s.httpClient(), base+"manifest.json", f.authHeader(), st.etag, st.lastMod, MaxFeedBytes)
	if err != nil {
		return 0, err
	}
	if got.NotModified {
		return 0, nil
	}
	events, err := format.ReadMISPManifest(bytes.NewReader(got.Body))
	if err != nil {
		return 0, feedErr(ErrFormat, "manifest.json: %v", err)
	}
	manifest := make(map[string]int64, len(events))
	for _, ev := range events {
		manifest[ev.UUID] = ev.Timestamp.Unix()
	}
	seen := map[string]int64{}
	if st.seen != "" {
		json.Unmarshal([]byte(st.seen), &seen)
	}
	type todo struct {
		uuid string
		ts   int64
	}
	var changed []todo
	for id, ts := range manifest {
		if old, ok := seen[id]; !ok || ts > old {
			changed = append(changed, todo{id, ts})
		}
	}
	sort.Slice(changed, func(i, j int) bool {
		if changed[i].ts != changed[j].ts {
			return changed[i].ts < changed[j].ts
		}
		return changed[i].uuid < changed[j].uuid
	})
	if len(changed) > MaxMISPEventsPerRun {
		changed = changed[:MaxMISPEventsPerRun]
		st.more = true
	}
	total := 0
	var firstErr error
	for _, ev := range changed {
		if _, err := uuid.Parse(ev.uuid); err != nil {
			continue // a manifest key that is no event uuid is no address to fetch
		}
		body, err := fetch(ctx, s.httpClient(), base+ev.uuid+".json", f.authHeader(), "", "", MaxFeedBytes)
		if err == nil {
			var n int
			n, err = s.importData(ctx, f, ev.uuid+".json", body.Body)
			total += n
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue // the others are read; this one is tried again next run
		}
		seen[ev.uuid] = ev.ts
	}
	// Forget events the manifest no longer lists.
	for id := range seen {
		if _, ok := manifest[id]; !ok {
			delete(seen, id)
		}
	}
	b, _ := json.Marshal(seen)
	st.seen = string(b)
	if !st.more && firstErr == nil {
		st.etag, st.lastMod = got.ETag, got.LastModified
	}
	return total, firstErr
}
