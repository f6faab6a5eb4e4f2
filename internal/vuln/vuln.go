// Package vuln is the vulnerability knowledge base: it loads Microsoft's
// security update documents (MSRC CVRF/CSAF), NVD CVE records with their
// CPE configurations, CISA's Known Exploited Vulnerabilities and FIRST's
// EPSS scores into the database, says what is loaded and how old it is,
// fetches the feeds from their public addresses (or a mirror), and hands
// the matchers an in-memory Snapshot.
//
// Imports stream: records are parsed one at a time and written in batches,
// one transaction per batch, every row of a record in the same batch. Each
// row carries a digest of its content, so importing the same file again
// writes nothing and reports the records as unchanged; an interrupted
// import leaves whole records behind and the next run completes it (the
// rows already written compare unchanged). An NVD record older than the
// stored one never replaces it.
package vuln

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
	"vigil/internal/vuln/epss"
	"vigil/internal/vuln/kev"
	"vigil/internal/vuln/msrc"
	"vigil/internal/vuln/nvd"
)

// Feeds.
const (
	FeedMSRC = "msrc"
	FeedNVD  = "nvd"
	FeedKEV  = "kev"
	FeedEPSS = "epss"
)

// Feeds lists the feeds in display order.
var Feeds = []string{FeedMSRC, FeedNVD, FeedKEV, FeedEPSS}

// Defaults for Service's limits.
const (
	DefaultBatch      = 500
	DefaultMaxRecords = 10_000_000
	// DefaultMaxBytes caps what one import reads after decompression
	// (NVD's whole history is about 2 GB of JSON).
	DefaultMaxBytes = 8 << 30
	maxReasons      = 20
)

// Service owns the knowledge base's tables.
type Service struct {
	DB         *store.DB
	Now        func() time.Time // for tests; time.Now when nil
	Batch      int              // records per transaction; DefaultBatch when 0
	MaxRecords int              // records one import may hold; DefaultMaxRecords when 0
	MaxBytes   int64            // bytes one import may read, decompressed; DefaultMaxBytes when 0
	// Progress, when set, is called after each batch with the bytes read
	// so far (compressed input counts its compressed bytes) and the
	// records read.
	Progress func(bytesRead int64, records int)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) batch() int {
	if s.Batch > 0 {
		return s.Batch
	}
	return DefaultBatch
}

// Result is what one import did.
type Result struct {
	File      string    `json:"file"`
	Feed      string    `json:"feed"`   // msrc, nvd, kev, epss
	Format    string    `json:"format"` // cvrf-xml, cvrf-json, csaf, nvd-api-2.0, kev-json, epss-csv
	Document  string    `json:"document,omitempty"`
	Records   int       `json:"records"`           // records read (loaded + skipped)
	Loaded    int       `json:"loaded"`            // records accepted
	Changed   int       `json:"changed"`           // of those, new or different from what was stored
	Unchanged int       `json:"unchanged"`         // of those, already stored as they are (or a newer version is)
	Skipped   int       `json:"skipped"`           // records refused, with Reasons
	Removed   int       `json:"removed,omitempty"` // KEV: stored entries a complete catalogue no longer lists
	Reasons   []string  `json:"reasons,omitempty"`
	Products  int       `json:"products,omitempty"` // MSRC products read
	DataDate  time.Time `json:"data_date"`          // the data's own date
	Version   int64     `json:"kb_version"`         // the knowledge base's version after the import
	Error     string    `json:"error,omitempty"`
}

func (r *Result) skip(err error) error {
	r.Skipped++
	r.Records++
	if len(r.Reasons) < maxReasons {
		r.Reasons = append(r.Reasons, err.Error())
	}
	return nil
}

// Detect says which feed and format the start of an input is, or "" for
// both when it is none of them. Compressed input must be decompressed
// first.
func Detect(head []byte) (feed, format string) {
	if f := msrc.Sniff(head); f != "" {
		return FeedMSRC, f
	}
	if kev.Sniff(head) {
		return FeedKEV, "kev-json"
	}
	if nvd.Sniff(head) {
		return FeedNVD, "nvd-api-2.0"
	}
	if epss.Sniff(head) {
		return FeedEPSS, "epss-csv"
	}
	return "", ""
}

// ErrUnknownFormat says an input is none of the feeds.
var ErrUnknownFormat = errors.New("not a feed Vigil reads (MSRC CVRF XML/JSON or CSAF, NVD CVE API 2.0 JSON, CISA KEV JSON, EPSS CSV)")

// CanImport reports whether the caller may load feeds: administrators and
// the central SOC.
func CanImport(p *auth.Principal) bool {
	return p != nil && p.Via != "agent" && (p.Role == auth.RoleAdmin || p.Role == auth.RoleAnalyst)
}

// countingReader counts the bytes read through it and refuses more than
// max.
type countingReader struct {
	r   io.Reader
	n   int64
	max int64
}

var errTooBig = errors.New("input too large")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.max > 0 && c.n >= c.max {
		return 0, errTooBig
	}
	if c.max > 0 && int64(len(p)) > c.max-c.n {
		p = p[:c.max-c.n]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Import loads one input (a file's content, gzip-compressed or not) whose
// format it detects from the content. name names it in errors and in the
// feed status. The caller must be allowed to import (CanImport). A parse
// error stops the import: the batches written before stay (whole records),
// the feed's status records the error, and importing the fixed file again
// completes it.
func (s *Service) Import(ctx context.Context, r io.Reader, name string) (*Result, error) {
	p := auth.FromContext(ctx)
	if !CanImport(p) {
		return nil, errs.Errorf(errs.EFORBIDDEN, "only administrators and the SOC may load vulnerability feeds")
	}
	raw := &countingReader{r: r}
	br := bufio.NewReaderSize(raw, 256<<10)
	var in io.Reader = br
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errs.Errorf(errs.EINVALID, "%s: not a readable gzip file: %v", name, err)
		}
		defer zr.Close()
		in = zr
	}
	max := s.MaxBytes
	if max == 0 {
		max = DefaultMaxBytes
	}
	limited := &countingReader{r: in, max: max}
	body := bufio.NewReaderSize(limited, 256<<10)
	head, _ := body.Peek(64 << 10)
	feed, format := Detect(head)
	if feed == "" {
		if len(bytes.TrimSpace(head)) == 0 {
			return nil, errs.Errorf(errs.EINVALID, "%s: empty file", name)
		}
		return nil, errs.Errorf(errs.EINVALID, "%s: not a feed Vigil reads (MSRC CVRF XML/JSON or CSAF, NVD CVE API 2.0 JSON, CISA KEV JSON, EPSS CSV)", name)
	}
	res := &Result{File: name, Feed: feed, Format: format}
	imp := &importer{s: s, ctx: ctx, res: res, progress: func() {
		if s.Progress != nil {
			s.Progress(raw.n, res.Records)
		}
	}}
	started := s.now()
	var err error
	switch feed {
	case FeedMSRC:
		err = imp.msrc(body, name)
	case FeedNVD:
		err = imp.nvd(body, name)
	case FeedKEV:
		err = imp.kev(body, name)
	case FeedEPSS:
		err = imp.epss(body, name)
	}
	if errors.Is(err, errTooBig) {
		err = errs.Errorf(errs.ETOOLARGE, "%s: larger than %d MiB once decompressed; split it", name, max>>20)
	}
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%s: import interrupted after %d records (%w); the records before were written whole — import the file again to complete it", name, res.Records, ctx.Err())
	}
	if err != nil {
		res.Error = err.Error()
	}
	if ferr := s.finish(context.WithoutCancel(ctx), res, started); ferr != nil && err == nil {
		err = ferr
	}
	if err != nil {
		return res, err
	}
	return res, nil
}
