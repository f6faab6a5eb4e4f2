package hub

import (
	"context"
	"fmt"
	"os"
	"strings"

	"vigil/internal/detect/ioc"
)

// fileIndicators are the indicator files of --ioc (CSV or STIX 2.x, as
// `vigil detect --ioc` reads), matched by the pipeline beside the hub's
// other indicators and read again when one of them changes. It is a
// pipeline.IndicatorProvider.
type fileIndicators struct {
	paths  []string
	logger interface{ Warn(string, ...any) }
}

// Version changes when a file's size or modification time does.
func (f fileIndicators) Version(ctx context.Context) (string, error) {
	var b strings.Builder
	for _, p := range f.paths {
		info, err := os.Stat(p)
		if err != nil {
			return "", fmt.Errorf("indicators: %w", err)
		}
		fmt.Fprintf(&b, "%s:%d:%d;", p, info.Size(), info.ModTime().UnixNano())
	}
	return b.String(), nil
}

// Add reads every file into b; bad rows are skipped and logged.
func (f fileIndicators) Add(ctx context.Context, b *ioc.Builder) (int, error) {
	n := 0
	for _, p := range f.paths {
		st, err := b.AddFile(p)
		if err != nil {
			return n, err
		}
		if st.Bad > 0 && f.logger != nil {
			f.logger.Warn("indicators: bad rows skipped", "file", p, "bad", st.Bad, "first", st.Errors[0].Error())
		}
		n += st.Added
	}
	return n, nil
}
