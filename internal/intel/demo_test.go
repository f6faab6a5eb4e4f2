package intel_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/vuln"
)

// syncBuffer is a log destination safe for the hooks' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The demo says in its log which shared samples it loaded and from which
// directory, or that the embedded extract stood in and why.
func TestDemoLogsItsSamples(t *testing.T) {
	shared := vuln.SharedDataDir()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		for _, dir := range []string{"", shared} {
			// The demo loads only into a hub without lists.
			db.Exec(ctx, `DELETE FROM warning_list_entries`)
			db.Exec(ctx, `DELETE FROM warning_lists`)
			var buf syncBuffer
			f.svc.Logger = slog.New(slog.NewTextHandler(&buf, nil))
			if _, err := f.svc.LoadDemo(ctx, dir); err != nil {
				t.Fatal(err)
			}
			log := buf.String()
			if dir == "" {
				if !strings.Contains(log, "embedded extract stands in") || !strings.Contains(log, "not found") {
					t.Errorf("no samples: log %q", log)
				}
				continue
			}
			if !strings.Contains(log, "shared samples loaded") || !strings.Contains(log, dir) || !strings.Contains(log, "misp/misp_event.json") {
				t.Errorf("samples in %s: log %q", dir, log)
			}
		}
	})
}
