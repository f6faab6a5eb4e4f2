package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"vigil/internal/cli"
	"vigil/internal/client"
	"vigil/internal/vuln"
)

func init() {
	register(&cli.Command{
		Name:  "feeds",
		Short: "load and refresh the vulnerability knowledge base (MSRC, NVD, KEV, EPSS)",
		Subs:  []*cli.Command{feedsImportCmd(), feedsStatusCmd(), feedsSyncCmd()},
	})
}

// feedsSummary is what `vigil feeds import` and `sync` print with --json.
type feedsSummary struct {
	Files     []*vuln.Result `json:"files"`
	Failed    []feedFailure  `json:"failed"`
	Records   int            `json:"records"`
	Loaded    int            `json:"loaded"`
	Changed   int            `json:"changed"`
	Unchanged int            `json:"unchanged"`
	Skipped   int            `json:"skipped"`
	Version   int64          `json:"kb_version"`
}

type feedFailure struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

func (s *feedsSummary) add(res *vuln.Result) {
	s.Files = append(s.Files, res)
	s.Records += res.Records
	s.Loaded += res.Loaded
	s.Changed += res.Changed
	s.Unchanged += res.Unchanged
	s.Skipped += res.Skipped
	if res.Version > s.Version {
		s.Version = res.Version
	}
}

func (s *feedsSummary) print(w io.Writer, asJSON bool) {
	if s.Files == nil {
		s.Files = []*vuln.Result{}
	}
	if s.Failed == nil {
		s.Failed = []feedFailure{}
	}
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(s)
		return
	}
	line := fmt.Sprintf("%d files loaded: %d records read, %d loaded (%d new or changed, %d unchanged), %d skipped",
		len(s.Files), s.Records, s.Loaded, s.Changed, s.Unchanged, s.Skipped)
	if len(s.Failed) > 0 {
		line += fmt.Sprintf("; %d files failed", len(s.Failed))
	}
	fmt.Fprintln(w, line)
}

// fileLine says what one file did.
func fileLine(res *vuln.Result) string {
	doc := ""
	if res.Document != "" {
		doc = " " + res.Document
	}
	line := fmt.Sprintf("%s: %s%s (%s): %d records, %d new or changed, %d unchanged, %d skipped",
		res.File, res.Feed, doc, res.Format, res.Records, res.Changed, res.Unchanged, res.Skipped)
	for _, r := range res.Reasons {
		line += "\n  skipped: " + r
	}
	return line
}

// feedClient is the API client with no overall timeout: a feed of a
// gigabyte takes longer than the default five minutes (the context still
// ends it).
func feedClient(af *apiFlags) (*client.Client, error) {
	c, err := af.client()
	if err != nil {
		return nil, err
	}
	c.HTTP = &http.Client{}
	return c, nil
}

// progress draws "name: 45% (12 of 27 MiB)" on a terminal's stderr.
type progress struct {
	w     io.Writer
	name  string
	total int64
	mu    sync.Mutex
	n     int64
	last  time.Time
	drawn bool
}

func newProgress(stderr io.Writer) *progress {
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return &progress{w: stderr}
	}
	return nil
}

func (p *progress) start(name string, total int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.name, p.total, p.n, p.last = name, total, 0, time.Time{}
	p.mu.Unlock()
}

func (p *progress) add(n int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += int64(n)
	if time.Since(p.last) < 200*time.Millisecond {
		return
	}
	p.last = time.Now()
	p.drawn = true
	if p.total > 0 {
		fmt.Fprintf(p.w, "\r\033[K%s: %d%% (%.1f of %.1f MiB)", p.name, p.n*100/p.total, float64(p.n)/(1<<20), float64(p.total)/(1<<20))
	} else {
		fmt.Fprintf(p.w, "\r\033[K%s: %.1f MiB", p.name, float64(p.n)/(1<<20))
	}
}

func (p *progress) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\033[K")
		p.drawn = false
	}
}

type progressReader struct {
	r io.Reader
	p *progress
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.add(n)
	return n, err
}

// postFeed streams one file to the hub.
func postFeed(ctx context.Context, c *client.Client, name string, r io.Reader, p *progress, size int64) (*vuln.Result, error) {
	p.start(name, size)
	defer p.clear()
	var body io.Reader = r
	if p != nil {
		body = &progressReader{r: r, p: p}
	}
	var res vuln.Result
	err := c.Do(ctx, "POST", "/api/v1/feeds/import?"+url.Values{"file": {name}}.Encode(), "application/octet-stream", body, &res)
	if err != nil {
		return nil, err
	}
	return &res, nil
}

// feedFiles expands PATH... into files: a file as given, a directory's
// regular files (recursively, hidden ones skipped) that look like a feed.
func feedFiles(args []string, stderr io.Writer) ([]string, []feedFailure) {
	var files []string
	var bad []feedFailure
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			bad = append(bad, feedFailure{File: a, Error: err.Error()})
			continue
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		var found []string
		err = filepath.WalkDir(a, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if strings.HasPrefix(d.Name(), ".") && path != a {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() {
				if looksLikeFeed(path) {
					found = append(found, path)
				} else {
					fmt.Fprintf(stderr, "%s: not a feed file, left out\n", path)
				}
			}
			return nil
		})
		if err != nil {
			bad = append(bad, feedFailure{File: a, Error: err.Error()})
		}
		sort.Strings(found)
		files = append(files, found...)
	}
	return files, bad
}

// looksLikeFeed reads the start of a file (decompressed) and asks the
// same detector the hub uses.
func looksLikeFeed(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return true // the upload will say why
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if b, _ := br.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return false
		}
		r = zr
	}
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(r, head)
	feed, _ := vuln.Detect(head[:n])
	return feed != ""
}

func feedsImportCmd() *cli.Command {
	return &cli.Command{
		Name:  "import",
		Short: "load feed files into the hub's knowledge base",
		Usage: "vigil feeds import --server URL --token TOKEN [--json] PATH...",
		Long: `Sends each file to the hub, which detects what it is from its content (not
its name) and loads it as it arrives: MSRC security update documents (CVRF
XML as api.msrc.microsoft.com serves it, the same as JSON, or CSAF), NVD CVE
API 2.0 JSON pages, the CISA KEV catalog (JSON) and EPSS scores (CSV). Files
may be gzip-compressed (.gz). A directory is read recursively; files in it
that are no feed are left out and named.

Loading is idempotent: a file loaded again changes nothing and its records
count as unchanged; an NVD record older than the one held is ignored. A bad
record is skipped and named (file, record, field); a file that cannot be
read stops with its error, and the records before it stay, whole — load the
fixed file again to complete it. Administrators and analysts (the SOC) may
load feeds.

A progress line is drawn on a terminal. The last line sums up all files;
--json prints the whole summary (per file: records read, loaded, changed,
unchanged, skipped with reasons) as JSON instead.`,
		Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
			af := addAPIFlags(fs)
			asJSON := fs.Bool("json", "-", false, "print a machine-readable summary")
			return func(ctx context.Context, args []string) error {
				if len(args) == 0 {
					return cli.UsageError("give at least one file or directory")
				}
				c, err := feedClient(af)
				if err != nil {
					return err
				}
				files, bad := feedFiles(args, fs.Stderr)
				sum := &feedsSummary{Failed: bad}
				for _, b := range bad {
					fmt.Fprintf(fs.Stderr, "%s: %s\n", b.File, b.Error)
				}
				p := newProgress(fs.Stderr)
				for _, path := range files {
					f, err := os.Open(path)
					if err != nil {
						sum.Failed = append(sum.Failed, feedFailure{File: path, Error: err.Error()})
						fmt.Fprintf(fs.Stderr, "%s: %v\n", path, err)
						continue
					}
					var size int64
					if st, err := f.Stat(); err == nil {
						size = st.Size()
					}
					res, err := postFeed(ctx, c, filepath.Base(path), f, p, size)
					f.Close()
					if err != nil {
						sum.Failed = append(sum.Failed, feedFailure{File: path, Error: err.Error()})
						fmt.Fprintf(fs.Stderr, "%s: %v\n", path, err)
						continue
					}
					sum.add(res)
					if !*asJSON {
						fmt.Fprintln(fs.Stdout, fileLine(res))
					}
				}
				sum.print(fs.Stdout, *asJSON)
				if len(sum.Failed) > 0 {
					return &cli.ExitError{Code: 1}
				}
				return nil
			}
		},
	}
}

func feedsStatusCmd() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Short: "say what the knowledge base holds and how old it is",
		Usage: "vigil feeds status --server URL --token TOKEN [--json]",
		Long: `Prints, per feed (MSRC, NVD, KEV, EPSS), what is held, when it was last loaded
and from which file or address, the data's own date, the last load's counts
and its error if it failed; then the MSRC documents held. --json prints the
hub's answer (GET /api/v1/feeds) as it is.`,
		Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
			af := addAPIFlags(fs)
			asJSON := fs.Bool("json", "-", false, "print the status as JSON")
			return func(ctx context.Context, args []string) error {
				c, err := af.client()
				if err != nil {
					return err
				}
				var st vuln.Status
				if err := c.Do(ctx, "GET", "/api/v1/feeds", "", nil, &st); err != nil {
					return err
				}
				if *asJSON {
					enc := json.NewEncoder(fs.Stdout)
					enc.SetIndent("", "  ")
					return enc.Encode(st)
				}
				now := time.Now()
				for _, f := range st.Feeds {
					if f.LoadedAt.IsZero() {
						fmt.Fprintf(fs.Stdout, "%-5s never loaded\n", f.Feed)
						continue
					}
					held := fmt.Sprintf("%d records", f.Rows)
					switch f.Feed {
					case vuln.FeedMSRC:
						held = fmt.Sprintf("%d CVEs, %d fixes", f.Rows, f.Fixes)
					case vuln.FeedNVD:
						held = fmt.Sprintf("%d CVEs, %d CPE matches", f.Rows, f.Matches)
					}
					data := ""
					if !f.DataDate.IsZero() {
						data = ", data of " + f.DataDate.Format("2006-01-02")
					}
					fmt.Fprintf(fs.Stdout, "%-5s %s; loaded %s ago (%s) from %s%s\n", f.Feed, held, age(now.Sub(f.LoadedAt)), f.LoadedAt.Local().Format("2006-01-02 15:04"), f.Source, data)
					if f.LastError != "" {
						fmt.Fprintf(fs.Stdout, "      last load failed %s: %s\n", f.ErrorAt.Local().Format("2006-01-02 15:04"), f.LastError)
					}
				}
				if len(st.Documents) > 0 {
					var ids []string
					for _, d := range st.Documents {
						ids = append(ids, d.ID)
					}
					fmt.Fprintf(fs.Stdout, "MSRC documents (%d): %s\n", len(ids), strings.Join(ids, ", "))
				}
				fmt.Fprintf(fs.Stdout, "knowledge base version %d\n", st.Version)
				return nil
			}
		},
	}
}

func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "moments"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return fmt.Sprintf("%d days", int(d/(24*time.Hour)))
}

func feedsSyncCmd() *cli.Command {
	return &cli.Command{
		Name:  "sync",
		Short: "fetch the feeds from their addresses (or a mirror) and load them",
		Usage: "vigil feeds sync --server URL --token TOKEN [--feeds msrc,nvd,kev,epss] [--msrc-since 2023-01] [--nvd-since DATE] [--json]",
		Long: `Fetches each feed and sends it to the hub as 'vigil feeds import' does:
  msrc  the MSRC CVRF API: {--msrc-url}/updates, then {--msrc-url}/cvrf/{id} (XML)
        for each document released since --msrc-since that the hub does not
        hold or MSRC has revised since
  nvd   the NVD CVE API 2.0 at --nvd-url, records modified since --nvd-since
        (default: a day before the hub's NVD data date; every record when the
        hub has none), in windows of 120 days, 2,000 records a page, pausing
        between requests as NVD asks (6 s, or 0.6 s with --nvd-api-key)
  kev   the CISA KEV catalog's JSON at --kev-url
  epss  the day's EPSS scores at --epss-url
Each address may point at an internal mirror serving the same paths, so a
unit without Internet access can sync from one. --out DIR also keeps each
file fetched.`,
		Setup: func(fs *cli.FlagSet) func(ctx context.Context, args []string) error {
			af := addAPIFlags(fs)
			asJSON := fs.Bool("json", "-", false, "print a machine-readable summary")
			feeds := fs.String("feeds", "-", "msrc,nvd,kev,epss", "the feeds to fetch, comma-separated")
			msrcURL := fs.String("msrc-url", "-", vuln.DefaultSources.MSRC, "base of the MSRC CVRF API (or a mirror)")
			nvdURL := fs.String("nvd-url", "-", vuln.DefaultSources.NVD, "the NVD CVE API 2.0 endpoint (or a mirror)")
			kevURL := fs.String("kev-url", "-", vuln.DefaultSources.KEV, "the CISA KEV catalog's JSON (or a mirror)")
			epssURL := fs.String("epss-url", "-", vuln.DefaultSources.EPSS, "the EPSS scores CSV (or a mirror)")
			msrcSince := fs.String("msrc-since", "-", "2023-01", "fetch MSRC documents released from this month on (YYYY-MM)")
			nvdSince := fs.String("nvd-since", "-", "", "fetch NVD records modified since this date (YYYY-MM-DD); default from the hub's data")
			nvdKey := fs.String("nvd-api-key", "-", "", "NVD API key (raises NVD's rate limit)")
			nvdDelay := fs.Duration("nvd-delay", "-", 0, "pause between NVD requests; 0 picks NVD's (6s, 0.6s with a key), negative none")
			out := fs.String("out", "-", "", "also keep each fetched file in this directory")
			return func(ctx context.Context, args []string) error {
				if len(args) > 0 {
					return cli.UsageError("sync takes no arguments")
				}
				var want []string
				for _, f := range strings.Split(*feeds, ",") {
					f = strings.TrimSpace(f)
					switch f {
					case "":
					case vuln.FeedMSRC, vuln.FeedNVD, vuln.FeedKEV, vuln.FeedEPSS:
						want = append(want, f)
					default:
						return cli.UsageError("--feeds: unknown feed %q (msrc, nvd, kev, epss)", f)
					}
				}
				opt := vuln.SyncOptions{Feeds: want, Have: map[string]time.Time{}}
				if *msrcSince != "" {
					t, err := time.Parse("2006-01", *msrcSince)
					if err != nil {
						return cli.UsageError("--msrc-since %q: want YYYY-MM", *msrcSince)
					}
					opt.MSRCSince = t
				}
				if *nvdSince != "" {
					t, err := time.Parse("2006-01-02", *nvdSince)
					if err != nil {
						return cli.UsageError("--nvd-since %q: want YYYY-MM-DD", *nvdSince)
					}
					opt.NVDSince = t
				}
				c, err := feedClient(af)
				if err != nil {
					return err
				}
				var st vuln.Status
				if err := c.Do(ctx, "GET", "/api/v1/feeds", "", nil, &st); err != nil {
					return err
				}
				for _, d := range st.Documents {
					opt.Have[d.ID] = d.Updated
				}
				for _, f := range st.Feeds {
					if f.Feed == vuln.FeedNVD && !f.DataDate.IsZero() && opt.NVDSince.IsZero() {
						opt.NVDSince = f.DataDate.Add(-24 * time.Hour)
					}
				}
				if *out != "" {
					if err := os.MkdirAll(*out, 0o755); err != nil {
						return err
					}
				}
				p := newProgress(fs.Stderr)
				fetcher := &vuln.Fetcher{
					HTTP:      &http.Client{},
					Sources:   vuln.Sources{MSRC: *msrcURL, NVD: *nvdURL, KEV: *kevURL, EPSS: *epssURL},
					NVDAPIKey: *nvdKey,
					NVDDelay:  *nvdDelay,
					Log: func(format string, args ...any) {
						p.clear()
						fmt.Fprintf(fs.Stderr, "fetch "+format+"\n", args...)
					},
				}
				sum := &feedsSummary{}
				err = fetcher.Fetch(ctx, opt, func(name string, r io.Reader) error {
					if *out != "" {
						f, err := os.Create(filepath.Join(*out, filepath.Base(name)))
						if err != nil {
							return err
						}
						defer f.Close()
						r = io.TeeReader(r, f)
					}
					res, err := postFeed(ctx, c, name, r, p, 0)
					if err != nil {
						sum.Failed = append(sum.Failed, feedFailure{File: name, Error: err.Error()})
						return fmt.Errorf("%s: %w", name, err)
					}
					sum.add(res)
					if !*asJSON {
						fmt.Fprintln(fs.Stdout, fileLine(res))
					}
					return nil
				})
				if err != nil && len(sum.Failed) == 0 {
					sum.Failed = append(sum.Failed, feedFailure{Error: err.Error()})
				}
				sum.print(fs.Stdout, *asJSON)
				if err != nil {
					return &cli.ExitError{Code: 1, Err: err}
				}
				return nil
			}
		},
	}
}
