package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Hub talks to a hub's API and metrics.
type Hub struct {
	URL   string // http://HOST:PORT
	Token string // API token (SignIn)
	HTTP  *http.Client
}

func (h *Hub) client() *http.Client {
	if h.HTTP != nil {
		return h.HTTP
	}
	return http.DefaultClient
}

func (h *Hub) do(ctx context.Context, method, path, token string, body io.Reader, out any, contentType string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(h.URL, "/")+path, body)
	if err != nil {
		return 0, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := h.client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(b))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (h *Hub) postJSON(ctx context.Context, path string, in, out any) error {
	b, _ := json.Marshal(in)
	_, err := h.do(ctx, "POST", path, h.Token, bytes.NewReader(b), out, "application/json")
	return err
}

// SignIn exchanges an e-mail and password for the API token h uses.
func (h *Hub) SignIn(ctx context.Context, email, password string) error {
	var out struct {
		Token string `json:"token"`
	}
	if err := h.postJSON(ctx, "/api/v1/auth/token", map[string]string{"email": email, "password": password, "expires_in": "1"}, &out); err != nil {
		return fmt.Errorf("loadgen: sign in: %w", err)
	}
	h.Token = out.Token
	return nil
}

// CreateSource registers an event source of unit sending from senders and
// returns its token (for POST /api/v1/events).
func (h *Hub) CreateSource(ctx context.Context, unit, name string, senders []string) (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	if err := h.postJSON(ctx, "/api/v1/sources", map[string]any{"unit": unit, "name": name, "kind": "siem", "senders": senders}, &out); err != nil {
		return "", fmt.Errorf("loadgen: register a source: %w", err)
	}
	return out.Token, nil
}

// Metric returns the sum of the samples of a metric on /metrics (0 when
// absent).
func (h *Hub) Metric(ctx context.Context, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(h.URL, "/")+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	resp, err := h.client().Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(rest[strings.LastIndexByte(rest, '}')+1:])
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, sc.Err()
}

// Alert is the part of an alert the benchmark reads.
type Alert struct {
	ID     int64  `json:"id"`
	RuleID string `json:"rule_id"`
	Host   string `json:"host"`
	Count  int64  `json:"count"`
}

// Alerts lists the alerts of a rule (every page).
func (h *Hub) Alerts(ctx context.Context, rule string) ([]Alert, error) {
	return h.alerts(ctx, rule, 0)
}

// alerts lists the alerts of a rule, newest first, the first limit of
// them (all when 0).
func (h *Hub) alerts(ctx context.Context, rule string, limit int) ([]Alert, error) {
	var all []Alert
	cursor := ""
	for {
		q := url.Values{"rule": {rule}, "limit": {"1000"}}
		if limit > 0 {
			q.Set("limit", strconv.Itoa(min(limit, 1000)))
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page struct {
			Items []Alert `json:"items"`
			Next  string  `json:"next"`
		}
		if _, err := h.do(ctx, "GET", "/api/v1/alerts?"+q.Encode(), h.Token, nil, &page, ""); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.Next == "" || len(page.Items) == 0 || (limit > 0 && len(all) >= limit) {
			return all, nil
		}
		cursor = page.Next
	}
}

// Total returns how many alerts a rule has (the list's true total).
func (h *Hub) Total(ctx context.Context, rule string) (int, error) {
	var page struct {
		Total int `json:"total"`
	}
	_, err := h.do(ctx, "GET", "/api/v1/alerts?"+url.Values{"rule": {rule}, "limit": {"1"}}.Encode(), h.Token, nil, &page, "")
	return page.Total, err
}

// MarkerLatencies takes markers as they are sent and polls the alerts of
// MarkerRuleID every interval until the channel is closed and every
// marker's alert was seen, or ctx ends. It returns the time from each
// marker's sending to its alert being seen (markers never seen are left
// out; missing says how many).
func (h *Hub) MarkerLatencies(ctx context.Context, markers <-chan Marker, interval time.Duration) (lat []time.Duration, missing int, err error) {
	pending := map[string]time.Time{}
	open := true
	t := time.NewTicker(interval)
	defer t.Stop()
	for poll := 1; open || len(pending) > 0; {
		select {
		case m, ok := <-markers:
			if !ok {
				open, markers = false, nil
				continue
			}
			pending[m.Host] = m.Sent
			continue
		case <-ctx.Done():
			return lat, len(pending), nil
		case <-t.C:
		}
		if len(pending) == 0 {
			continue
		}
		// The newest alerts every interval (markers arrive a few per
		// interval), and all of them every 20th time in case more came
		// at once.
		limit := 200
		if poll++; poll%20 == 0 {
			limit = 0
		}
		alerts, err := h.alerts(ctx, MarkerRuleID, limit)
		seen := time.Now()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return lat, len(pending), err
		}
		for _, a := range alerts {
			if sent, ok := pending[a.Host]; ok {
				lat = append(lat, seen.Sub(sent))
				delete(pending, a.Host)
			}
		}
	}
	return lat, len(pending), nil
}

// Quantile returns the q-quantile (0..1) of ds (nearest rank).
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// Events configures a run of POST /api/v1/events.
type Events struct {
	SourceToken string
	Count       int // events to send, numbered 0..Count-1
	Batch       int // events per request (500 when 0)
	Posters     int // parallel requests (4 when 0)
	Run         string
	// Acked, if set, is called after each batch the hub acknowledged
	// (202) with the batch's events' numbers.
	Acked func(first, n int)
}

// EventHost is the host name of event i of a run: one alert each, so
// counting the alerts counts the events that reached detection.
func EventHost(run string, i int) string { return fmt.Sprintf("kill-%s-%d", run, i) }

// PostEvents sends journald-shaped JSON events matching CountRuleID in
// batches, as fast as the hub acknowledges them, until Count or the first
// failure (a hub killed on purpose), and returns how many were
// acknowledged.
func (h *Hub) PostEvents(ctx context.Context, cfg Events) (acked int, err error) {
	if cfg.Batch <= 0 {
		cfg.Batch = 500
	}
	if cfg.Posters <= 0 {
		cfg.Posters = 4
	}
	var next atomic.Int64
	var ackedN atomic.Int64
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for p := 0; p < cfg.Posters; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body bytes.Buffer
			for ctx.Err() == nil {
				first := int(next.Add(int64(cfg.Batch))) - cfg.Batch
				if first >= cfg.Count {
					return
				}
				n := min(cfg.Batch, cfg.Count-first)
				body.Reset()
				now := time.Now().UnixMicro()
				for i := first; i < first+n; i++ {
					fmt.Fprintf(&body, `{"__REALTIME_TIMESTAMP":"%d","_HOSTNAME":"%s","SYSLOG_IDENTIFIER":"vigilcount","_PID":"%d","MESSAGE":"vigil load benchmark acknowledged event %d"}`+"\n",
						now, EventHost(cfg.Run, i), 100+i%30000, i)
				}
				status, err := h.do(ctx, "POST", "/api/v1/events", cfg.SourceToken, &body, nil, "application/x-ndjson")
				if err == nil && status != http.StatusAccepted {
					err = fmt.Errorf("POST /api/v1/events: status %d, want 202", status)
				}
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				ackedN.Add(int64(n))
				if cfg.Acked != nil {
					cfg.Acked(first, n)
				}
			}
		}()
	}
	wg.Wait()
	return int(ackedN.Load()), firstErr
}
