package jobs

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

// Several schedulers (as several hub processes would) race for the same
// slots; each slot must be won exactly once.
func TestClaimRunsOncePerSlot(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wins atomic.Int32
		var wg sync.WaitGroup
		base := time.Now()
		for p := 0; p < 4; p++ {
			s := New(db, slog.Default())
			s.Holder = "proc" + string(rune('a'+p))
			wg.Add(1)
			go func() {
				defer wg.Done()
				for slot := 0; slot < 10; slot++ {
					ok, err := s.Claim(ctx, "purge", time.Minute, base.Add(time.Duration(slot)*time.Minute))
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						wins.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		if got := wins.Load(); got != 10 {
			t.Fatalf("10 slots claimed %d times, want exactly 10", got)
		}
	})
}
