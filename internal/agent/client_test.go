package agent

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"vigil/internal/agent/agentapi"
)

func TestClientErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case agentapi.PathInventory:
			writeJSON(w, 400, agentapi.ErrorResponse{Error: "too long (300 bytes, limit 256)", Path: "software[1].version"})
		case agentapi.PathHeartbeat:
			w.WriteHeader(502)
			w.Write([]byte("<html>bad gateway</html>"))
		default:
			w.WriteHeader(429)
			w.Write([]byte("slow down"))
		}
	}))
	defer srv.Close()
	c := &Client{Server: srv.URL + "/", AgentID: "a", Secret: "s"}
	_, err := c.Inventory(context.Background(), agentapi.InventoryRequest{Full: true})
	if err == nil || err.Error() != "hub: POST /api/v1/agents/inventory: 400 software[1].version: too long (300 bytes, limit 256)" || Retryable(err) {
		t.Errorf("400: %v (retryable %v)", err, Retryable(err))
	}
	_, err = c.Heartbeat(context.Background(), agentapi.HeartbeatRequest{})
	if !Retryable(err) || StatusOf(err) != 502 || strings.Contains(err.Error(), "<html>") {
		t.Errorf("502: %v", err)
	}
	_, err = c.Indicators(context.Background(), "v 1")
	if !Retryable(err) || !strings.Contains(err.Error(), "429 slow down") || !strings.Contains(err.Error(), "GET /api/v1/agents/indicators:") {
		t.Errorf("429: %v", err)
	}
	c.Server = "http://127.0.0.1:1" // nothing listens
	if _, err := c.Heartbeat(context.Background(), agentapi.HeartbeatRequest{}); !Retryable(err) {
		t.Errorf("connection refused not retryable: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Heartbeat(ctx, agentapi.HeartbeatRequest{}); Retryable(err) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
