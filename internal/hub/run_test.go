package hub_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"vigil/internal/hub"
)

// runHub runs hub.Run with cfg as `vigil serve` does, waits (at most
// wait) until it serves and returns the address it listens on, and stop,
// which shuts it down and waits (at the test's end if not before).
func runHub(t *testing.T, cfg hub.Config, wait time.Duration) (addr string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	cfg.Ready = func(a string) { ready <- a }
	go func() { done <- hub.Run(ctx, cfg) }()
	select {
	case addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("hub: %v", err)
	case <-time.After(wait):
		cancel()
		t.Fatal("hub never became ready")
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return addr, stop
}
