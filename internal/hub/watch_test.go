package hub_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"vigil/internal/hub"
)

// startHub runs a hub with watch and returns its address, or the error it
// stopped with.
func startHub(t *testing.T, dataDir string, watch hub.WatchConfig) (addr string, err error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- hub.Run(ctx, hub.Config{Listen: "127.0.0.1:0", DataDir: dataDir, AdminPassword: "a-long-admin-password",
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test", Watch: watch, Ready: func(a string) { ready <- a }})
	}()
	select {
	case addr = <-ready:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
		})
		return addr, nil
	case err := <-done:
		cancel()
		return "", err
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("hub never became ready")
	}
	return "", nil
}

func metrics(t *testing.T, addr string) string {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestWatchBusAndRoles: the journal by default, locked to one process;
// roles other than all need --bus; with NATS every role starts.
func TestWatchBusAndRoles(t *testing.T) {
	dir := t.TempDir()
	addr, err := startHub(t, dir, hub.WatchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if m := metrics(t, addr); !strings.Contains(m, "vigil_bus_max_bytes 1.073741824e+09") || !strings.Contains(m, "vigil_bus_published_records_total 0") {
		t.Errorf("bus metrics missing:\n%s", m)
	}
	if _, err := startHub(t, dir, hub.WatchConfig{}); err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Errorf("second hub on the same journal: %v", err)
	}
	if _, err := startHub(t, t.TempDir(), hub.WatchConfig{Role: "detect"}); err == nil || !strings.Contains(err.Error(), "--role detect needs --bus nats://") {
		t.Errorf("--role detect without --bus: %v", err)
	}
	if _, err := startHub(t, t.TempDir(), hub.WatchConfig{Role: "everything"}); err == nil || !strings.Contains(err.Error(), "use all, ingest, detect or web") {
		t.Errorf("--role everything: %v", err)
	}
	if _, err := startHub(t, t.TempDir(), hub.WatchConfig{Bus: "redis://x"}); err == nil || !strings.Contains(err.Error(), "nats://HOST:PORT") {
		t.Errorf("--bus redis://x: %v", err)
	}

	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("embedded NATS server did not start")
	}
	t.Cleanup(ns.Shutdown) // after the hubs' cleanups
	shared := t.TempDir()  // one database, as processes on several machines share PostgreSQL
	for _, role := range []string{"ingest", "detect", "web"} {
		addr, err := startHub(t, shared, hub.WatchConfig{Role: role, Bus: ns.ClientURL()})
		if err != nil {
			t.Fatalf("--role %s --bus nats: %v", role, err)
		}
		if m := metrics(t, addr); !strings.Contains(m, "vigil_bus_pending_records") {
			t.Errorf("--role %s: no bus metrics", role)
		}
	}
}
