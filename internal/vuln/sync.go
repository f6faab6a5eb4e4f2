package vuln

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"vigil/internal/auth"
)

// Sources are the addresses the feeds are fetched from. Each may point at
// an internal mirror that serves the same paths (an air-gapped unit copies
// the files there).
type Sources struct {
	MSRC string // the CVRF API's base: {MSRC}/updates and {MSRC}/cvrf/{id}
	NVD  string // the CVE API 2.0 endpoint, paged with startIndex and lastModStartDate
	KEV  string // the catalog's JSON
	EPSS string // the day's scores, CSV (gzip)
}

// DefaultSources are the public addresses.
var DefaultSources = Sources{
	MSRC: "https://api.msrc.microsoft.com/cvrf/v3.0",
	NVD:  "https://services.nvd.nist.gov/rest/json/cves/2.0",
	KEV:  "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
	EPSS: "https://epss.cyentia.com/epss_scores-current.csv.gz",
}

// Fetcher downloads the feeds.
type Fetcher struct {
	HTTP      *http.Client // http.DefaultClient when nil
	Sources   Sources
	NVDAPIKey string // sent as the apiKey header; raises NVD's rate limit
	// NVDDelay is the pause between NVD requests: NVD allows 5 requests
	// in 30 s without a key, 50 with one. Zero: 6 s without a key, 0.6 s
	// with one; negative: none (a mirror, tests).
	NVDDelay time.Duration
	// Log, when set, is told what is fetched.
	Log func(format string, args ...any)
}

// SyncOptions choose what to fetch.
type SyncOptions struct {
	Feeds []string // FeedMSRC, FeedNVD, FeedKEV, FeedEPSS; all when empty
	// MSRCSince: documents released from this month on ("2023-Jan" or
	// 2023-01); Have: documents already loaded, by id, with their update
	// time — fetched again only when MSRC has a newer revision.
	MSRCSince time.Time
	Have      map[string]time.Time
	// NVDSince: records modified since (NVD's lastModStartDate, in windows
	// of at most 120 days up to now); zero fetches every record.
	NVDSince time.Time
	Now      time.Time // for tests; time.Now when zero
}

// docID is an MSRC document id: "2023-Dec".
var docID = regexp.MustCompile(`^\d{4}-[A-Z][a-z]{2}$`)

const (
	maxListing = 32 << 20  // MSRC's list of documents
	maxNVDPage = 512 << 20 // one NVD page of 2,000 records is ~10-30 MB
	nvdWindow  = 120 * 24 * time.Hour
	nvdPerPage = 2000
)

func (f *Fetcher) client() *http.Client {
	if f.HTTP != nil {
		return f.HTTP
	}
	return http.DefaultClient
}

func (f *Fetcher) logf(format string, args ...any) {
	if f.Log != nil {
		f.Log(format, args...)
	}
}

// get fetches u; the caller closes the body.
func (f *Fetcher) get(ctx context.Context, u, accept string, header map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "vigil-feeds/1")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := f.client().Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", redactURL(u), err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("fetch %s: %s", redactURL(u), resp.Status)
	}
	return resp, nil
}

func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.User = nil
	return p.String()
}

func wants(feeds []string, f string) bool {
	if len(feeds) == 0 {
		return true
	}
	for _, x := range feeds {
		if x == f {
			return true
		}
	}
	return false
}

// Fetch downloads what opt asks for, feed by feed (MSRC, NVD, KEV, EPSS),
// and hands each file to fn with a name for it; fn reads r before it
// returns. The first error stops the fetch.
func (f *Fetcher) Fetch(ctx context.Context, opt SyncOptions, fn func(name string, r io.Reader) error) error {
	if wants(opt.Feeds, FeedMSRC) && f.Sources.MSRC != "" {
		if err := f.fetchMSRC(ctx, opt, fn); err != nil {
			return err
		}
	}
	if wants(opt.Feeds, FeedNVD) && f.Sources.NVD != "" {
		if err := f.fetchNVD(ctx, opt, fn); err != nil {
			return err
		}
	}
	for _, one := range []struct{ feed, u, name, accept string }{
		{FeedKEV, f.Sources.KEV, "known_exploited_vulnerabilities.json", "application/json"},
		{FeedEPSS, f.Sources.EPSS, "epss_scores-current.csv.gz", ""},
	} {
		if !wants(opt.Feeds, one.feed) || one.u == "" {
			continue
		}
		f.logf("%s: %s", one.feed, redactURL(one.u))
		resp, err := f.get(ctx, one.u, one.accept, nil)
		if err != nil {
			return err
		}
		name := one.name
		if p, err := url.Parse(one.u); err == nil && p.Path != "" && !strings.HasSuffix(p.Path, "/") {
			name = p.Path[strings.LastIndex(p.Path, "/")+1:]
		}
		err = fn(name, resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// msrcUpdate is one entry of the CVRF API's /updates list.
type msrcUpdate struct {
	ID                 string `json:"ID"`
	Title              string `json:"DocumentTitle"`
	InitialReleaseDate string `json:"InitialReleaseDate"`
	CurrentReleaseDate string `json:"CurrentReleaseDate"`
}

func (f *Fetcher) fetchMSRC(ctx context.Context, opt SyncOptions, fn func(string, io.Reader) error) error {
	base := strings.TrimRight(f.Sources.MSRC, "/")
	resp, err := f.get(ctx, base+"/updates", "application/json", nil)
	if err != nil {
		return err
	}
	var list struct {
		Value []msrcUpdate `json:"value"`
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, maxListing)).Decode(&list)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("fetch %s/updates: not the MSRC list of documents: %w", redactURL(base), err)
	}
	type doc struct {
		id                string
		released, updated time.Time
	}
	var docs []doc
	for _, u := range list.Value {
		if !docID.MatchString(u.ID) {
			continue
		}
		d := doc{id: u.ID}
		d.released, _ = parseAPITime(u.InitialReleaseDate)
		d.updated, _ = parseAPITime(u.CurrentReleaseDate)
		if d.released.IsZero() {
			d.released, _ = time.Parse("2006-Jan", u.ID)
		}
		if !opt.MSRCSince.IsZero() && d.released.Before(opt.MSRCSince) {
			continue
		}
		if have, ok := opt.Have[u.ID]; ok && !d.updated.After(have) {
			f.logf("msrc: %s unchanged since %s", u.ID, have.Format("2006-01-02"))
			continue
		}
		docs = append(docs, d)
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].released.Before(docs[j].released) })
	for _, d := range docs {
		u := base + "/cvrf/" + url.PathEscape(d.id)
		f.logf("msrc: %s", redactURL(u))
		resp, err := f.get(ctx, u, "application/xml", nil)
		if err != nil {
			return err
		}
		err = fn("cvrf-"+d.id+".xml", resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *Fetcher) fetchNVD(ctx context.Context, opt SyncOptions, fn func(string, io.Reader) error) error {
	now := opt.Now
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC()
	delay := f.NVDDelay
	if delay == 0 {
		delay = 6 * time.Second
		if f.NVDAPIKey != "" {
			delay = 600 * time.Millisecond
		}
	}
	header := map[string]string{}
	if f.NVDAPIKey != "" {
		header["apiKey"] = f.NVDAPIKey
	}
	type window struct{ from, to time.Time }
	var windows []window
	if opt.NVDSince.IsZero() {
		windows = []window{{}}
	} else {
		for from := opt.NVDSince.UTC(); from.Before(now); from = from.Add(nvdWindow) {
			to := from.Add(nvdWindow)
			if to.After(now) {
				to = now
			}
			windows = append(windows, window{from, to})
		}
	}
	first := true
	for _, w := range windows {
		for start := 0; ; {
			if !first && delay > 0 {
				select {
				case <-time.After(delay):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			first = false
			q := url.Values{"resultsPerPage": {strconv.Itoa(nvdPerPage)}, "startIndex": {strconv.Itoa(start)}}
			name := fmt.Sprintf("nvd-%d.json", start)
			if !w.from.IsZero() {
				const layout = "2006-01-02T15:04:05.000-07:00"
				q.Set("lastModStartDate", w.from.Format(layout))
				q.Set("lastModEndDate", w.to.Format(layout))
				name = fmt.Sprintf("nvd-%s-%s-%d.json", w.from.Format("20060102"), w.to.Format("20060102"), start)
			}
			u := f.Sources.NVD
			if strings.Contains(u, "?") {
				u += "&" + q.Encode()
			} else {
				u += "?" + q.Encode()
			}
			f.logf("nvd: %s", redactURL(u))
			resp, err := f.get(ctx, u, "application/json", header)
			if err != nil {
				return err
			}
			page, err := io.ReadAll(io.LimitReader(resp.Body, maxNVDPage+1))
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("fetch %s: %w", redactURL(u), err)
			}
			if len(page) > maxNVDPage {
				return fmt.Errorf("fetch %s: page larger than %d MiB", redactURL(u), maxNVDPage>>20)
			}
			total, per, err := nvdPaging(page)
			if err != nil {
				return fmt.Errorf("fetch %s: %w", redactURL(u), err)
			}
			if err := fn(name, bytes.NewReader(page)); err != nil {
				return err
			}
			if per <= 0 {
				per = nvdPerPage
			}
			start += per
			if start >= total {
				break
			}
		}
	}
	return nil
}

// nvdPaging reads an NVD page's totalResults and resultsPerPage, which
// come before its records.
func nvdPaging(page []byte) (total, per int, err error) {
	d := json.NewDecoder(bytes.NewReader(page))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return 0, 0, errors.New("not an NVD API page")
	}
	seen := 0
	for d.More() && seen < 2 {
		t, err := d.Token()
		if err != nil {
			return 0, 0, err
		}
		switch t {
		case "totalResults":
			seen++
			if err := d.Decode(&total); err != nil {
				return 0, 0, err
			}
		case "resultsPerPage":
			seen++
			if err := d.Decode(&per); err != nil {
				return 0, 0, err
			}
		default:
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return 0, 0, err
			}
		}
	}
	return total, per, nil
}

func parseAPITime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// SyncState is what the knowledge base already holds, for SyncOptions:
// the MSRC documents with their update times and NVD's newest data date.
func (s *Service) SyncState(ctx context.Context) (have map[string]time.Time, nvdSince time.Time, err error) {
	st, err := s.Status(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	have = map[string]time.Time{}
	for _, d := range st.Documents {
		have[d.ID] = d.Updated
	}
	for _, f := range st.Feeds {
		if f.Feed == FeedNVD && !f.DataDate.IsZero() {
			// A day's overlap: NVD's timestamp is when the page was made,
			// records modified just before may be missing from it.
			nvdSince = f.DataDate.Add(-24 * time.Hour)
		}
	}
	return have, nvdSince, nil
}

// Sync fetches the feeds and imports them into this hub: the hub's own
// scheduled job (the CLI's `vigil feeds sync` does the same through the
// API). It runs as the hub (auth.System).
func (s *Service) Sync(ctx context.Context, f *Fetcher, opt SyncOptions) ([]*Result, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	have, since, err := s.SyncState(ctx)
	if err != nil {
		return nil, err
	}
	if opt.Have == nil {
		opt.Have = have
	}
	if opt.NVDSince.IsZero() {
		opt.NVDSince = since
	}
	var out []*Result
	err = f.Fetch(ctx, opt, func(name string, r io.Reader) error {
		res, err := s.Import(ctx, r, name)
		if res != nil {
			out = append(out, res)
		}
		return err
	})
	return out, err
}
