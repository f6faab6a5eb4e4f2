package pipeline

import (
	"context"

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

// Version is unknown: the pipeline reads the sources periodically.
func (f IndicatorFuncs) Version(context.Context) (string, error) { return "", nil }

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
