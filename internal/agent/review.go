package agent

import (
	"context"
	"errors"
	"fmt"
	"net"

	"vigil/internal/agent/scan"
	"vigil/internal/detect/ioc"
)

// ScanOptions is a malware review of this host.
type ScanOptions struct {
	scan.Options
	// SkipProcesses and SkipConnections leave out the live checks (an
	// offline scan of a mounted image, a benchmark).
	SkipProcesses   bool
	SkipConnections bool
	// Resolve reverse-resolves remote addresses for domain indicators; nil
	// uses the system resolver when there are domain indicators.
	Resolve scan.Resolver
	Hashes  *HashCache
}

// Review walks the given paths, then checks running processes and open
// connections, against opts.Indicators. Each check that cannot run adds an
// error to the report rather than failing the review.
func Review(ctx context.Context, opts ScanOptions) (*scan.Report, error) {
	rep := &scan.Report{Findings: []scan.Finding{}}
	if len(opts.Paths) > 0 {
		if err := scan.Files(ctx, opts.Options, rep); err != nil {
			return rep, err
		}
	}
	if !opts.SkipProcesses {
		cache := opts.Hashes
		if cache == nil {
			cache = NewHashCache()
		}
		var infos []scan.ProcessInfo
		for _, p := range Processes(cache) {
			infos = append(infos, scan.ProcessInfo{PID: p.PID, Name: p.Name, Path: p.Path, SHA256: p.SHA256})
		}
		scan.CheckProcesses(infos, opts.Indicators, rep)
	}
	if !opts.SkipConnections {
		conns, err := Connections()
		if err != nil && !errors.Is(err, errors.ErrUnsupported) {
			rep.Errors = append(rep.Errors, fmt.Sprintf("connections: %v", err))
		}
		var infos []scan.ConnInfo
		for _, c := range conns {
			infos = append(infos, scan.ConnInfo{Remote: c.Remote, PID: c.PID, Process: c.Process, Path: c.Path})
		}
		resolve := opts.Resolve
		if resolve == nil && opts.Indicators.Count(ioc.KindDomain) > 0 {
			resolve = net.DefaultResolver.LookupAddr
		}
		scan.CheckConnections(ctx, infos, opts.Indicators, resolve, rep)
	}
	return rep, ctx.Err()
}
