package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"vigil/internal/agent/agentapi"
	"vigil/internal/detect/ioc"
)

// IndicatorFuncs adapts the hosts service's indicator sources (the same
// lists agents scan for: warning lists, intel feeds) to an
// IndicatorProvider. They cannot tell their version, so they are read
// again every IndicatorRefresh (and when the rules reload).
type IndicatorFuncs struct {
	Sources *[]func(ctx context.Context) ([]agentapi.Indicator, error)
}

// Version is unknown ("") when there are sources, so the pipeline reads
// them periodically; "none" without any.
func (f IndicatorFuncs) Version(context.Context) (string, error) {
	if f.Sources == nil || len(*f.Sources) == 0 {
		return "none", nil
	}
	return "", nil
}

// Add adds every source's indicators to b; bad ones are skipped, as
// agents skip them.
func (f IndicatorFuncs) Add(ctx context.Context, b *ioc.Builder) (int, error) {
	if f.Sources == nil {
		return 0, nil
	}
	n := 0
	for _, src := range *f.Sources {
		list, err := src(ctx)
		if err != nil {
			return n, err
		}
		for _, in := range list {
			k, ok := ioc.ParseKind(in.Type)
			if !ok {
				continue
			}
			if b.Add(k, in.Value, in.Comment) == nil {
				n++
			}
		}
	}
	return n, nil
}

// IndicatorFiles reads indicator files (CSV or STIX 2.x, as vigil detect
// --ioc does); their version is their sizes and modification times, so
// an edited file is read again at the next poll.
type IndicatorFiles struct {
	Paths  []string
	Logger *slog.Logger
}

// Version sums the files' sizes and modification times.
func (f IndicatorFiles) Version(context.Context) (string, error) {
	var b strings.Builder
	for _, p := range f.Paths {
		st, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("pipeline: indicators: %w", err)
		}
		fmt.Fprintf(&b, "%s:%d:%d;", p, st.Size(), st.ModTime().UnixNano())
	}
	return b.String(), nil
}

// Add reads every file into b; bad rows are skipped and counted in the
// log.
func (f IndicatorFiles) Add(_ context.Context, b *ioc.Builder) (int, error) {
	n := 0
	for _, p := range f.Paths {
		st, err := b.AddFile(p)
		if err != nil {
			return n, fmt.Errorf("pipeline: indicators: %w", err)
		}
		n += st.Added
		if f.Logger != nil && st.Bad > 0 {
			f.Logger.Warn("indicator file has bad rows", "file", p, "loaded", st.Added, "bad", st.Bad)
		}
	}
	return n, nil
}
