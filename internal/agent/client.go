package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"vigil/internal/agent/agentapi"
	"vigil/internal/asset"
)

// Client speaks the hub's agent API (docs/agent-protocol.md).
type Client struct {
	Server  string // base URL, e.g. https://vigil.example.org
	AgentID string
	Secret  string
	Version string
	HTTP    *http.Client
}

// HTTPError is a non-2xx answer from the hub.
type HTTPError struct {
	Method, Path string
	Status       int
	Body         agentapi.ErrorResponse
}

func (e *HTTPError) Error() string {
	msg := e.Body.Error
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	if e.Body.Path != "" {
		msg = e.Body.Path + ": " + msg
	}
	return fmt.Sprintf("hub: %s %s: %d %s", e.Method, e.Path, e.Status, msg)
}

// Retryable reports whether the request may succeed later unchanged: the
// hub is down or overloaded (5xx, 429, 408), or the network failed.
func Retryable(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500 || he.Status == http.StatusTooManyRequests || he.Status == http.StatusRequestTimeout
	}
	return err != nil && !errors.Is(err, context.Canceled)
}

// StatusOf returns the HTTP status of err, or 0.
func StatusOf(err error) int {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status
	}
	return 0
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 60 * time.Second}
}

// maxResponse bounds what the agent reads from the hub.
const maxResponse = 64 << 20

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	return c.doAuth(ctx, method, path, "", body, out)
}

// doAuth is do with an explicit Authorization header (bearer, when not
// empty, instead of the agent's credentials).
func (c *Client) doAuth(ctx context.Context, method, path, bearer string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("hub: encode %s: %w", path, err)
		}
		rd = bytes.NewReader(b)
	}
	u := strings.TrimRight(c.Server, "/") + path
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("hub: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "vigil-agent/"+c.Version)
	switch {
	case bearer != "":
		req.Header.Set("Authorization", "Bearer "+bearer)
	case c.AgentID != "":
		req.Header.Set("Authorization", agentapi.BearerToken(c.AgentID, c.Secret))
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("hub: %s %s: %w", method, pathOnly(path), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("hub: %s %s: read response: %w", method, pathOnly(path), err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		he := &HTTPError{Method: method, Path: pathOnly(path), Status: resp.StatusCode}
		_ = json.Unmarshal(data, &he.Body)
		if he.Body.Error == "" && len(data) > 0 && len(data) < 300 && !bytes.ContainsAny(data, "<{") {
			he.Body.Error = strings.TrimSpace(string(data))
		}
		return he
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("hub: %s %s: decode response: %w", method, pathOnly(path), err)
		}
	}
	return nil
}

func pathOnly(p string) string {
	p, _, _ = strings.Cut(p, "?")
	return p
}

// Enroll registers this host with an enrolment token and returns its
// identity. It needs no agent credentials: the enrolment token goes in the
// Authorization header, so the hub refuses a bad one before reading the
// inventory.
func (c *Client) Enroll(ctx context.Context, token, hostname string, inv *asset.Inventory) (agentapi.EnrollResponse, error) {
	var out agentapi.EnrollResponse
	err := c.doAuth(ctx, http.MethodPost, agentapi.PathEnroll, token, agentapi.EnrollRequest{Hostname: hostname, Inventory: inv}, &out)
	if err == nil && (out.AgentID == "" || out.Secret == "" || strings.Contains(out.AgentID, ".")) {
		err = fmt.Errorf("hub: enroll: the hub returned no usable agent id and secret")
	}
	return out, err
}

// Heartbeat reports the agent alive and returns its tasks.
func (c *Client) Heartbeat(ctx context.Context, req agentapi.HeartbeatRequest) (agentapi.HeartbeatResponse, error) {
	var out agentapi.HeartbeatResponse
	err := c.do(ctx, http.MethodPost, agentapi.PathHeartbeat, req, &out)
	return out, err
}

// Inventory sends a full inventory or changes.
func (c *Client) Inventory(ctx context.Context, req agentapi.InventoryRequest) (agentapi.InventoryResponse, error) {
	var out agentapi.InventoryResponse
	err := c.do(ctx, http.MethodPost, agentapi.PathInventory, req, &out)
	return out, err
}

// Indicators fetches the indicators changed since cursor ("" for all).
func (c *Client) Indicators(ctx context.Context, cursor string) (agentapi.IndicatorsResponse, error) {
	var out agentapi.IndicatorsResponse
	p := agentapi.PathIndicators
	if cursor != "" {
		p += "?since=" + url.QueryEscape(cursor)
	}
	err := c.do(ctx, http.MethodGet, p, nil, &out)
	return out, err
}

// TaskResult posts progress or the outcome of a task.
func (c *Client) TaskResult(ctx context.Context, taskID string, res agentapi.TaskResult) error {
	return c.do(ctx, http.MethodPost, fmt.Sprintf(agentapi.PathTaskResult, url.PathEscape(taskID)), res, nil)
}

// ScanReport sends a scan the agent ran on its own (`vigil agent scan
// --report`); the hub records it as a finished scan task of this host.
func (c *Client) ScanReport(ctx context.Context, rep agentapi.ScanReport) (agentapi.ScanReportResponse, error) {
	var out agentapi.ScanReportResponse
	err := c.do(ctx, http.MethodPost, agentapi.PathScanReports, rep, &out)
	return out, err
}
