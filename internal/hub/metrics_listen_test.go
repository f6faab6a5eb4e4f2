package hub_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"vigil/internal/hub"
)

// TestMetricsListen: with --metrics-listen, /metrics is served on its own
// listener and not on the main one.
func TestMetricsListen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready, metricsReady := make(chan string, 1), make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- hub.Run(ctx, hub.Config{Listen: "127.0.0.1:0", MetricsListen: "127.0.0.1:0", DataDir: t.TempDir(),
			AdminPassword: "a-long-admin-password", Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test",
			Ready: func(a string) { ready <- a }, MetricsReady: func(a string) { metricsReady <- a }})
	}()
	var main, metrics string
	for main == "" || metrics == "" {
		select {
		case main = <-ready:
		case metrics = <-metricsReady:
		case err := <-done:
			t.Fatalf("hub stopped: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("hub never became ready")
		}
	}
	status := func(url string) (int, string) {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, body := status("http://" + metrics + "/metrics"); s != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics listener: %d", s)
	}
	if s, _ := status("http://" + main + "/metrics"); s != 404 {
		t.Errorf("main listener still serves /metrics: %d", s)
	}
	if s, _ := status("http://" + metrics + "/healthz"); s != 404 {
		t.Errorf("metrics listener serves more than /metrics: %d", s)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}
