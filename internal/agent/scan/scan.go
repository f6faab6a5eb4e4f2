// Package scan is the agent's malware review: it walks directory trees,
// hashes regular files with SHA-256 on a pool of workers, and matches the
// digests, running processes and open connections against indicators:
// the set the hub and `vigil detect` use too (internal/detect/ioc). It is
// pure apart from reading the files it is given, so it is benchmarked and
// tested alone.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"vigil/internal/detect/ioc"
)

// Options says what to scan.
type Options struct {
	Paths   []string
	MaxSize int64 // files larger than this are skipped; 0 means no limit
	Workers int   // hashing goroutines; 0 means GOMAXPROCS
	// Exclude lists directories not to enter (absolute, cleaned). On Linux
	// the mount points of pseudo filesystems (/proc, /sys, ...) are always
	// excluded.
	Exclude    []string
	Indicators *ioc.Set // nil matches nothing
	// Progress, when set, is called about every ProgressEvery with the
	// running totals.
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// Progress is the running count of a scan.
type Progress struct {
	Files int64 `json:"files"`
	Bytes int64 `json:"bytes"`
}

// Finding is one match, with the evidence a person needs to act on it.
type Finding struct {
	Kind    string  `json:"kind"` // file, process, connection
	Hit     ioc.Hit `json:"indicator"`
	Path    string  `json:"path,omitempty"`
	SHA256  string  `json:"sha256,omitempty"`
	Size    int64   `json:"size,omitempty"`
	PID     int     `json:"pid,omitempty"`
	Process string  `json:"process,omitempty"`
	Remote  string  `json:"remote,omitempty"` // address:port
	Domain  string  `json:"domain,omitempty"` // name the remote address resolved to
}

// Report is the outcome of a scan.
type Report struct {
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	Paths       []string  `json:"paths"`
	Files       int64     `json:"files"` // hashed
	Bytes       int64     `json:"bytes"`
	TooLarge    int64     `json:"skipped_too_large"`
	Special     int64     `json:"skipped_special"` // devices, sockets, pipes, symlinks
	Unreadable  int64     `json:"unreadable"`
	Errors      []string  `json:"errors,omitempty"` // the first few, with paths
	Processes   int       `json:"processes"`
	Connections int       `json:"connections"`
	Findings    []Finding `json:"findings"`
	// FindingsDropped counts findings past MaxFindings, left out so the
	// report stays small enough to send (an infected file share can
	// match a hundred thousand times).
	FindingsDropped int `json:"findings_dropped,omitempty"`
}

const maxErrors = 50

// MaxFindings bounds the findings a report carries.
const MaxFindings = 10000

// add appends a finding unless the report is full.
func (r *Report) add(f Finding) {
	if len(r.Findings) >= MaxFindings {
		r.FindingsDropped++
		return
	}
	r.Findings = append(r.Findings, f)
}

// Files walks opts.Paths and hashes every regular file no larger than
// MaxSize, adding a finding for each digest the matcher knows. It does not
// follow symbolic links (a link's target inside the tree is reached by the
// walk itself) and skips devices, pipes and sockets. A path that does not
// exist is an error; unreadable files below it are counted and listed.
// File findings are in path order, whatever the number of workers.
func Files(ctx context.Context, opts Options, rep *Report) error {
	if rep.StartedAt.IsZero() {
		rep.StartedAt = time.Now().UTC()
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var roots []string
	for _, p := range opts.Paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return fmt.Errorf("scan: %s: %w", p, err)
		}
		// The roots are what the operator named: resolve a link there.
		real, err := filepath.EvalSymlinks(abs)
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		roots = append(roots, real)
		rep.Paths = append(rep.Paths, abs)
	}
	s := &scanner{ctx: ctx, max: opts.MaxSize, set: opts.Indicators, rep: rep, exclude: map[string]bool{}}
	for _, e := range append(pseudoMounts(), opts.Exclude...) {
		s.exclude[filepath.Clean(e)] = true
	}
	first := len(rep.Findings)

	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if opts.Progress == nil {
			return
		}
		every := opts.ProgressEvery
		if every <= 0 {
			every = 10 * time.Second
		}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				opts.Progress(Progress{Files: s.files.Load(), Bytes: s.nbytes.Load()})
			}
		}
	}()

	walkErr := s.walk(roots, workers)
	close(stopProgress)
	<-progressDone
	rep.Files += s.files.Load()
	rep.Bytes += s.nbytes.Load()
	rep.TooLarge += s.tooLarge.Load()
	rep.Special += s.special.Load()
	rep.Unreadable += s.unread.Load()
	rep.FinishedAt = time.Now().UTC()
	mine := rep.Findings[first:]
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].Path < mine[j].Path })
	if walkErr == nil {
		walkErr = ctx.Err()
	}
	return walkErr
}

// scanner is the state one Files call shares between its walker and its
// hashing workers (walk_linux.go, walk_other.go).
type scanner struct {
	ctx     context.Context
	max     int64
	set     *ioc.Set
	exclude map[string]bool

	mu  sync.Mutex // guards rep.Errors and rep.Findings
	rep *Report

	files, nbytes, tooLarge, special, unread atomic.Int64
}

// fail counts an unreadable file or directory and keeps the first errors.
func (s *scanner) fail(err error) {
	s.unread.Add(1)
	s.mu.Lock()
	if len(s.rep.Errors) < maxErrors {
		s.rep.Errors = append(s.rep.Errors, err.Error())
	}
	s.mu.Unlock()
}

// hashed counts a hashed file and matches its digest; path is called only
// on a match, so the walk builds no path string for a clean file.
func (s *scanner) hashed(sum *[32]byte, size int64, path func() string) {
	s.files.Add(1)
	s.nbytes.Add(size)
	if hit, ok := s.set.LookupSHA256(sum); ok {
		s.mu.Lock()
		s.rep.add(Finding{Kind: "file", Hit: hit, Path: path(), SHA256: Hex(*sum), Size: size})
		s.mu.Unlock()
	}
}

var (
	errTooLarge   = errors.New("file over the size limit")
	errNotRegular = errors.New("not a regular file")
)

// ProcessInfo is what CheckProcesses needs of a running process.
type ProcessInfo struct {
	PID    int
	Name   string
	Path   string
	SHA256 string
}

// CheckProcesses matches the digests of running executables.
func CheckProcesses(procs []ProcessInfo, set *ioc.Set, rep *Report) {
	rep.Processes += len(procs)
	if set.Count(ioc.KindSHA256) == 0 {
		return
	}
	for _, p := range procs {
		var sum [32]byte
		if _, err := hexDecode(sum[:], p.SHA256); err != nil {
			continue
		}
		if hit, ok := set.LookupSHA256(&sum); ok {
			rep.add(Finding{Kind: "process", Hit: hit, Path: p.Path, SHA256: p.SHA256, PID: p.PID, Process: p.Name})
		}
	}
}

// ConnInfo is what CheckConnections needs of an open connection.
type ConnInfo struct {
	Remote  netip.AddrPort
	PID     int
	Process string
	Path    string
}

// Resolver maps an address to names (reverse DNS). Nil skips domain checks.
type Resolver func(ctx context.Context, addr string) ([]string, error)

// CheckConnections matches the remote addresses of open connections
// against IP indicators, and, with a resolver, their reverse names against
// domain indicators. Domains are never resolved forward: a lookup of a
// listed domain would itself reach the adversary's name servers.
func CheckConnections(ctx context.Context, conns []ConnInfo, set *ioc.Set, resolve Resolver, rep *Report) {
	rep.Connections += len(conns)
	if set.Len() == 0 {
		return
	}
	if set.Count(ioc.KindDomain) == 0 {
		resolve = nil // no name could match
	}
	names := map[netip.Addr][]string{}
	for _, c := range conns {
		a := c.Remote.Addr().Unmap()
		if hit, ok := set.LookupIP(a); ok {
			rep.add(Finding{Kind: "connection", Hit: hit, PID: c.PID, Process: c.Process, Path: c.Path, Remote: c.Remote.String()})
			continue
		}
		if resolve == nil || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() {
			continue
		}
		ns, seen := names[a]
		if !seen {
			if len(names) >= 256 {
				continue
			}
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			ns, _ = resolve(rctx, a.String())
			cancel()
			names[a] = ns
		}
		for _, n := range ns {
			if hit, ok := set.LookupDomain(n); ok {
				rep.add(Finding{Kind: "connection", Hit: hit, PID: c.PID, Process: c.Process, Path: c.Path, Remote: c.Remote.String(), Domain: strings.TrimSuffix(n, ".")})
				break
			}
		}
	}
}

func hexDecode(dst []byte, s string) (int, error) {
	if len(s) != 2*len(dst) {
		return 0, io.ErrUnexpectedEOF
	}
	for i := range dst {
		hi, ok1 := fromHex(s[2*i])
		lo, ok2 := fromHex(s[2*i+1])
		if !ok1 || !ok2 {
			return i, errors.New("invalid hex")
		}
		dst[i] = hi<<4 | lo
	}
	return len(dst), nil
}

func fromHex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
