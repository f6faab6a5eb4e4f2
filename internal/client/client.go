// Package client talks to a running hub's API for the command line: units
// import today, the importers of later capabilities tomorrow. Errors from
// the hub come back as *errs.Error with the hub's message.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"vigil/internal/errs"
)

// Client is an authenticated API client.
type Client struct {
	Server string // base URL, e.g. http://127.0.0.1:8080
	Token  string
	HTTP   *http.Client
}

// New checks the flags and returns a client.
func New(server, token string) (*Client, error) {
	if server == "" {
		return nil, fmt.Errorf("no hub given: pass --server URL or set VIGIL_SERVER")
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--server %q is not an http(s) URL", server)
	}
	if token == "" {
		return nil, fmt.Errorf("no API token given: pass --token TOKEN or set VIGIL_TOKEN (create one on the hub's API tokens page)")
	}
	return &Client{Server: strings.TrimRight(server, "/"), Token: token, HTTP: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// Do sends a request with body (JSON-encoded unless it is an io.Reader with
// contentType set) and decodes a JSON response into out.
func (c *Client) Do(ctx context.Context, method, path string, contentType string, body any, out any) error {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case io.Reader:
		rd = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(buf)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Server+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the hub at %s: %w", c.Server, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct {
				Code, Message, Field, Format string
				Args                         []any
			} `json:"error"`
		}
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			field := e.Error.Field
			if strings.Contains(e.Error.Message, field) {
				field = "" // the message names it already
			}
			// Format and Args as JSON gave them (numbers float64, lists
			// and problems maps): the caller puts them back in words.
			return &errs.Error{Code: e.Error.Code, Message: e.Error.Message, Field: field, Format: e.Error.Format, Args: jsonArgs(e.Error.Args)}
		}
		return fmt.Errorf("hub answered %s", resp.Status)
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("hub sent a response this vigil cannot read: %w", err)
		}
	}
	return nil
}

// jsonArgs puts an error's arguments as JSON gave them back as the hub
// had them: whole numbers as ints, a list of choices as errs.OneOf. An
// import file's problem ({"problem": {...}}) stays a map: the caller that
// knows problems reads it.
func jsonArgs(args []any) []any {
	for i, a := range args {
		switch x := a.(type) {
		case float64:
			if x == float64(int64(x)) {
				args[i] = int(x)
			}
		case map[string]any:
			if codes, ok := x["one_of"].([]any); ok {
				o := errs.OneOf{}
				o.Prefix, _ = x["prefix"].(string)
				for _, c := range codes {
					if s, ok := c.(string); ok {
						o.Codes = append(o.Codes, s)
					}
				}
				args[i] = o
			}
		}
	}
	return args
}
