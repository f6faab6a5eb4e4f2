package taxii

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"vigil/internal/audit"
	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/intel/format"
	"vigil/internal/store"
)

// Feed kinds.
const (
	FeedTAXII = "taxii" // a TAXII 2.1 collection (discovery URL, API root, collection id)
	FeedMISP  = "misp"  // a MISP feed: manifest.json and <uuid>.json events
	FeedSTIX  = "stix"  // a STIX 2.x bundle at a URL
	FeedCSV   = "csv"   // the indicator CSV at a URL
	FeedRSS   = "rss"   // an RSS 2.0 / Atom 1.0 advisory channel
)

// FeedKinds lists the kinds in display order.
var FeedKinds = []string{FeedTAXII, FeedMISP, FeedSTIX, FeedCSV, FeedRSS}

// A feed run's outcome.
const (
	RunOK      = "ok"
	RunError   = "error"
	RunRunning = "running"
)

// Limits of a feed's settings.
const (
	MinInterval     = 5           // minutes
	MaxInterval     = 7 * 24 * 60 // minutes: a week
	DefaultInterval = 60
)

// Feed is a source the hub polls on a schedule.
type Feed struct {
	ID          int64  `json:"id"`
	Kind        string `json:"kind"`
	Name        string `json:"name"` // also the source of what it brings in
	Description string `json:"description,omitempty"`
	URL         string `json:"url"`
	APIRoot     string `json:"api_root,omitempty"`   // taxii: the API root (URL or path); "" = the server's default
	Collection  string `json:"collection,omitempty"` // taxii: the collection's id
	Username    string `json:"username,omitempty"`
	// Secret is "set" when the feed has a password, token or key; the
	// secret itself is never shown back.
	Secret          string `json:"secret,omitempty"`
	IntervalMinutes int    `json:"interval_minutes"`
	// TargetList, when set, is the warning list what the feed brings in
	// joins (and which is published); "" = indicators only.
	TargetList string    `json:"target_list,omitempty"`
	TLP        string    `json:"tlp,omitempty"`         // marking of indicators that carry none
	AddedAfter string    `json:"added_after,omitempty"` // taxii: the cursor (last X-TAXII-Date-Added-Last)
	Enabled    bool      `json:"enabled"`
	NextRunAt  time.Time `json:"next_run_at,omitzero"`
	LastRunAt  time.Time `json:"last_run_at,omitzero"`
	LastOK     time.Time `json:"last_ok_at,omitzero"`
	LastStatus string    `json:"last_status,omitempty"` // ok, error, running
	LastError  string    `json:"last_error,omitempty"`
	LastCount  int       `json:"last_count"`
	// StatusSince is when the last status began (the first of a run of
	// failures, say).
	StatusSince time.Time `json:"status_since,omitzero"`
	CreatedBy   string    `json:"created_by,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`

	secret  string
	etag    string
	lastMod string
	seen    string
}

// FeedInput creates or changes a feed; on a change, nil fields keep
// their value (an empty secret keeps the one set).
type FeedInput struct {
	Kind            *string `json:"kind"`
	Name            *string `json:"name"`
	Description     *string `json:"description"`
	URL             *string `json:"url"`
	APIRoot         *string `json:"api_root"`
	Collection      *string `json:"collection"`
	Username        *string `json:"username"`
	Secret          *string `json:"secret"`
	IntervalMinutes *int    `json:"interval_minutes"`
	TargetList      *string `json:"target_list"`
	TLP             *string `json:"tlp"`
	Enabled         *bool   `json:"enabled"`
}

// requireFeedReader admits administrators and the SOC.
func requireFeedReader(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Via == "agent" || (p.Role != auth.RoleAdmin && p.Role != auth.RoleAnalyst) {
		return nil, errs.Forbidden("only administrators and the SOC see the intel feeds")
	}
	return p, nil
}

// requireFeedManager admits administrators.
func requireFeedManager(ctx context.Context) (*auth.Principal, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	if p.Via == "agent" || p.Role != auth.RoleAdmin {
		return nil, errs.Forbidden("only administrators add, change and run intel feeds")
	}
	return p, nil
}

func (in *FeedInput) apply(f *Feed) error {
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	str(&f.Kind, in.Kind)
	str(&f.Name, in.Name)
	str(&f.Description, in.Description)
	str(&f.URL, in.URL)
	str(&f.APIRoot, in.APIRoot)
	str(&f.Collection, in.Collection)
	str(&f.Username, in.Username)
	str(&f.TargetList, in.TargetList)
	str(&f.TLP, in.TLP)
	if in.Secret != nil && *in.Secret != "" {
		f.secret = *in.Secret
	}
	if in.IntervalMinutes != nil {
		f.IntervalMinutes = *in.IntervalMinutes
	}
	if in.Enabled != nil {
		f.Enabled = *in.Enabled
	}
	f.Kind = strings.ToLower(f.Kind)
	if !slices.Contains(FeedKinds, f.Kind) {
		return errs.Invalid("kind", "must be one of %s", errs.OneOf{Prefix: "ifeeds.kind.", Codes: FeedKinds})
	}
	if f.Name == "" {
		return errs.Invalid("name", "is required")
	}
	if len(f.Name) > 100 {
		return errs.Invalid("name", "must be at most 100 bytes")
	}
	if len(f.Description) > 1000 {
		return errs.Invalid("description", "must be at most 1000 bytes")
	}
	u, err := url.Parse(f.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(f.URL) > 1000 {
		return errs.Invalid("url", "must be an http:// or https:// address")
	}
	if u.User != nil {
		return errs.Invalid("url", "put the user name and password in their own fields, not in the address")
	}
	if (f.secret != "" || f.Username != "") && u.Scheme != "https" {
		return errs.Invalid("url", "a feed with credentials must use https://")
	}
	if f.Kind == FeedTAXII {
		if f.Collection == "" {
			return errs.Invalid("collection", "a TAXII feed names the collection (its id) to poll")
		}
		if len(f.Collection) > 200 || len(f.APIRoot) > 1000 {
			return errs.Invalid("collection", "must be at most 200 bytes")
		}
	} else {
		f.APIRoot, f.Collection = "", ""
	}
	if len(f.Username) > 200 || len(f.secret) > 1000 {
		return errs.Invalid("username", "must be at most 200 bytes")
	}
	if f.IntervalMinutes == 0 {
		f.IntervalMinutes = DefaultInterval
	}
	if f.IntervalMinutes < MinInterval || f.IntervalMinutes > MaxInterval {
		return errs.Invalid("interval_minutes", "must be from %d minutes to %d days", MinInterval, MaxInterval/(24*60))
	}
	if f.Kind == FeedRSS {
		f.TargetList, f.TLP = "", ""
	}
	if len(f.TargetList) > 200 {
		return errs.Invalid("target_list", "must be at most 200 bytes")
	}
	f.TLP = strings.ToLower(f.TLP)
	if f.TLP != "" && !slices.Contains(format.TLPs, f.TLP) {
		return errs.Invalid("tlp", "must be one of %s", errs.OneOf{Prefix: "intel.tlp.", Codes: format.TLPs})
	}
	return nil
}

func (f *Feed) auditView() map[string]any {
	m := map[string]any{"name": f.Name, "kind": f.Kind, "url": f.URL, "interval_minutes": f.IntervalMinutes, "enabled": f.Enabled}
	for k, v := range map[string]string{"api_root": f.APIRoot, "collection": f.Collection, "username": f.Username, "target_list": f.TargetList, "tlp": f.TLP, "description": f.Description} {
		if v != "" {
			m[k] = v
		}
	}
	if f.secret != "" {
		m["secret"] = "set" // redacted by audit, whatever it holds
	}
	return m
}

const feedColumns = `f.id, f.kind, f.name, f.description, f.url, f.api_root, f.collection, f.username, f.secret, f.interval_min, f.target_list, f.tlp,
	f.added_after, f.etag, f.last_modified, f.seen, f.enabled, f.next_run_at, f.last_run_at, f.last_ok_at, f.last_status, f.last_error, f.last_count,
	f.status_since, f.created_by, f.created_at, f.updated_at`

func scanFeed(sc store.Scanner) (*Feed, error) {
	var f Feed
	var next, last, ok, since, created, updated int64
	if err := sc.Scan(&f.ID, &f.Kind, &f.Name, &f.Description, &f.URL, &f.APIRoot, &f.Collection, &f.Username, &f.secret, &f.IntervalMinutes,
		&f.TargetList, &f.TLP, &f.AddedAfter, &f.etag, &f.lastMod, &f.seen, &f.Enabled, &next, &last, &ok, &f.LastStatus, &f.LastError, &f.LastCount,
		&since, &f.CreatedBy, &created, &updated); err != nil {
		return nil, err
	}
	f.NextRunAt, f.LastRunAt, f.LastOK, f.StatusSince = store.Time(next), store.Time(last), store.Time(ok), store.Time(since)
	f.CreatedAt, f.UpdatedAt = store.Time(created), store.Time(updated)
	if f.secret != "" {
		f.Secret = "set"
	}
	return &f, nil
}

func loadFeed(ctx context.Context, q rowQuerier, id int64) (*Feed, error) {
	f, err := scanFeed(q.QueryRow(ctx, `SELECT `+feedColumns+` FROM intel_feeds f WHERE f.id = ?`, id))
	if store.IsNoRows(err) {
		return nil, errs.NotFound("feed")
	}
	if err != nil {
		return nil, fmt.Errorf("taxii: feed: %w", err)
	}
	return f, nil
}

// CreateFeed adds a feed (administrators); an enabled feed runs within a
// minute.
func (s *Service) CreateFeed(ctx context.Context, in FeedInput) (*Feed, error) {
	p, err := requireFeedManager(ctx)
	if err != nil {
		return nil, err
	}
	f := &Feed{Enabled: true}
	if err := in.apply(f); err != nil {
		return nil, err
	}
	now := s.now()
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO intel_feeds (kind, name, description, url, api_root, collection, username, secret, interval_min, target_list, tlp,
			enabled, next_run_at, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			f.Kind, f.Name, f.Description, f.URL, f.APIRoot, f.Collection, f.Username, f.secret, f.IntervalMinutes, f.TargetList, f.TLP,
			f.Enabled, store.Micros(now), p.Email, store.Micros(now), store.Micros(now)).Scan(&f.ID)
		if store.IsUniqueViolation(err) {
			return errs.Conflict("name", "a feed named %s exists", f.Name)
		}
		if err != nil {
			return fmt.Errorf("taxii: create feed: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "intel_feed.create", ObjectType: "intel_feed", ObjectID: fmt.Sprint(f.ID), After: f.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetFeed(ctx, f.ID)
}

// UpdateFeed changes a feed (administrators). A changed address or
// collection starts the feed over: its cursor and remembered files are
// forgotten.
func (s *Service) UpdateFeed(ctx context.Context, id int64, in FeedInput) (*Feed, error) {
	if _, err := requireFeedManager(ctx); err != nil {
		return nil, err
	}
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		f, err := loadFeed(ctx, tx, id)
		if err != nil {
			return err
		}
		before := f.auditView()
		oldURL, oldRoot, oldColl, wasEnabled := f.URL, f.APIRoot, f.Collection, f.Enabled
		if err := in.apply(f); err != nil {
			return err
		}
		if f.URL != oldURL || f.APIRoot != oldRoot || f.Collection != oldColl {
			f.AddedAfter, f.etag, f.lastMod, f.seen = "", "", "", ""
		}
		next := f.NextRunAt
		if f.Enabled && !wasEnabled {
			next = s.now()
		}
		_, err = tx.Exec(ctx, `UPDATE intel_feeds SET kind = ?, name = ?, description = ?, url = ?, api_root = ?, collection = ?, username = ?, secret = ?,
			interval_min = ?, target_list = ?, tlp = ?, enabled = ?, added_after = ?, etag = ?, last_modified = ?, seen = ?, next_run_at = ?, updated_at = ? WHERE id = ?`,
			f.Kind, f.Name, f.Description, f.URL, f.APIRoot, f.Collection, f.Username, f.secret, f.IntervalMinutes, f.TargetList, f.TLP, f.Enabled,
			f.AddedAfter, f.etag, f.lastMod, f.seen, store.Micros(next), store.Micros(s.now()), id)
		if store.IsUniqueViolation(err) {
			return errs.Conflict("name", "a feed named %s exists", f.Name)
		}
		if err != nil {
			return fmt.Errorf("taxii: update feed: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "intel_feed.update", ObjectType: "intel_feed", ObjectID: fmt.Sprint(id), Before: before, After: f.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetFeed(ctx, id)
}

// DeleteFeed removes a feed (administrators); what it brought in stays.
func (s *Service) DeleteFeed(ctx context.Context, id int64) error {
	if _, err := requireFeedManager(ctx); err != nil {
		return err
	}
	return s.DB.InTx(ctx, func(tx *store.Tx) error {
		f, err := loadFeed(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM intel_feeds WHERE id = ?`, id); err != nil {
			return fmt.Errorf("taxii: delete feed: %w", err)
		}
		return audit.Append(ctx, tx, audit.Entry{Action: "intel_feed.delete", ObjectType: "intel_feed", ObjectID: fmt.Sprint(id), Before: f.auditView()})
	})
}

// GetFeed returns a feed (administrators and the SOC).
func (s *Service) GetFeed(ctx context.Context, id int64) (*Feed, error) {
	if _, err := requireFeedReader(ctx); err != nil {
		return nil, err
	}
	return loadFeed(ctx, s.DB, id)
}

// FeedFilter selects feeds.
type FeedFilter struct {
	Kind   string
	Status string // ok, error, never
	Query  string
	Sort   string // a key of FeedSorts
	Desc   bool
	Offset int
	Limit  int
}

// FeedSorts are the columns a list of feeds sorts by.
var FeedSorts = map[string]string{
	"name":     "f.name",
	"kind":     "f.kind",
	"last_run": "f.last_run_at",
	"status":   "f.last_status",
	"count":    "f.last_count",
	"next_run": "f.next_run_at",
}

// FeedSortKeys lists the keys of FeedSorts.
var FeedSortKeys = []string{"name", "kind", "last_run", "status", "count", "next_run"}

// ListFeeds returns a page of feeds and their true total (administrators
// and the SOC).
func (s *Service) ListFeeds(ctx context.Context, f FeedFilter) ([]*Feed, int, error) {
	if _, err := requireFeedReader(ctx); err != nil {
		return nil, 0, err
	}
	l := store.NewList("f.id", f.Limit, 50)
	if f.Kind != "" {
		if !slices.Contains(FeedKinds, f.Kind) {
			return nil, 0, errs.Invalid("kind", "must be one of %s", errs.OneOf{Prefix: "ifeeds.kind.", Codes: FeedKinds})
		}
		l.Where("f.kind = ?", f.Kind)
	}
	switch f.Status {
	case "":
	case RunOK, RunError, RunRunning:
		l.Where("f.last_status = ?", f.Status)
	case "never":
		l.Where("f.last_status = ''")
	default:
		return nil, 0, errs.Invalid("status", "must be one of %s", "ok, error, running, never")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		l.Where(`(LOWER(f.name) LIKE ? ESCAPE '\' OR LOWER(f.url) LIKE ? ESCAPE '\')`, store.LikeContains(strings.ToLower(q)), store.LikeContains(strings.ToLower(q)))
	}
	if f.Sort != "" {
		expr, ok := FeedSorts[f.Sort]
		if !ok {
			return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", f.Sort, strings.Join(FeedSortKeys, ", "))
		}
		l.OrderBy(expr, f.Desc)
	} else {
		l.OrderBy("f.name", false)
	}
	l.Skip(f.Offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT `+feedColumns, ` FROM intel_feeds f`, scanFeed)
	if err != nil {
		return nil, 0, fmt.Errorf("taxii: list feeds: %w", err)
	}
	return out, total, nil
}

// FeedHealth lists the enabled feeds that have run, for the health sweep
// (a feed past three intervals without success is stale).
func (s *Service) FeedHealth(ctx context.Context) ([]*Feed, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+feedColumns+` FROM intel_feeds f WHERE f.enabled AND f.last_run_at > 0 ORDER BY f.name`)
	if err != nil {
		return nil, fmt.Errorf("taxii: feed health: %w", err)
	}
	defer rows.Close()
	var out []*Feed
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
