package taxii

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// FeedError is why a feed run failed: a kind the pages translate and the
// detail as the remote side or the reader said it.
type FeedError struct {
	Kind   string // fetch, status, auth, size, format, import, config
	Detail string
}

func (e *FeedError) Error() string { return e.Kind + ": " + e.Detail }

// Kinds of feed failure.
const (
	ErrFetch  = "fetch"  // the address could not be reached (DNS, connection, TLS, timeout)
	ErrStatus = "status" // the server answered an HTTP error
	ErrAuth   = "auth"   // the server refused the credentials (401, 403)
	ErrSize   = "size"   // the answer is larger than the cap
	ErrFormat = "format" // the answer is not what the feed's kind reads
	ErrImport = "import" // the hub could not store what was read
	ErrConfig = "config" // the feed's settings do not work (no import service, no such collection)
)

func feedErr(kind, format string, args ...any) *FeedError {
	return &FeedError{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// FailureKind splits a recorded last_error into its kind and detail.
func FailureKind(s string) (kind, detail string) {
	for _, k := range []string{ErrFetch, ErrStatus, ErrAuth, ErrSize, ErrFormat, ErrImport, ErrConfig} {
		if len(s) > len(k)+1 && s[:len(k)+2] == k+": " {
			return k, s[len(k)+2:]
		}
	}
	return "", s
}

// Fetch limits.
const (
	MaxFeedBytes  = 64 << 20 // one STIX, CSV, MISP event or RSS file
	MaxPageBytes  = 32 << 20 // one TAXII answer
	fetchAttempts = 3
)

// defaultHTTP is the feeds' client: TLS verified (the default), bounded
// waits for each step.
var defaultHTTP = &http.Client{
	Timeout: 2 * time.Minute,
	Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   2,
		ForceAttemptHTTP2:     true,
	},
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 5 {
			return errors.New("too many redirects")
		}
		if len(via) > 0 && via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("refusing a redirect from https to http")
		}
		return nil
	},
}

func (s *Service) httpClient() *http.Client {
	if s.HTTP != nil {
		return s.HTTP
	}
	return defaultHTTP
}

// fetched is a body read whole, with the validators of its answer.
type fetched struct {
	Body         []byte
	NotModified  bool
	ETag         string
	LastModified string
	Header       http.Header
}

// fetch GETs url with the given headers, retrying connection failures,
// 429 and 5xx answers with backoff (honouring a short Retry-After), and
// reads at most limit bytes. etag and lastMod make the request
// conditional; a 304 answers NotModified.
func fetch(ctx context.Context, client *http.Client, url string, header http.Header, etag, lastMod string, limit int64) (*fetched, error) {
	var lastErr error
	for attempt := 0; attempt < fetchAttempts; attempt++ {
		if attempt > 0 {
			wait := time.Duration(1<<(attempt-1)) * time.Second
			if fe, ok := lastErr.(*retryAfter); ok && fe.wait > 0 && fe.wait <= 30*time.Second {
				wait = fe.wait
			}
			select {
			case <-ctx.Done():
				return nil, feedErr(ErrFetch, "%v", ctx.Err())
			case <-time.After(wait):
			}
		}
		f, err := fetchOnce(ctx, client, url, header, etag, lastMod, limit)
		if err == nil {
			return f, nil
		}
		var ra *retryAfter
		if !errors.As(err, &ra) {
			return nil, err
		}
		lastErr = ra
	}
	return nil, lastErr.(*retryAfter).err
}

// retryAfter marks a failure worth another try.
type retryAfter struct {
	err  *FeedError
	wait time.Duration
}

func (r *retryAfter) Error() string { return r.err.Error() }

func fetchOnce(ctx context.Context, client *http.Client, url string, header http.Header, etag, lastMod string, limit int64) (*fetched, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, feedErr(ErrConfig, "bad address: %v", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Vigil intel feeds")
	}
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastMod != "" {
		req.Header.Set("If-Modified-Since", lastMod)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, feedErr(ErrFetch, "%v", ctx.Err())
		}
		return nil, &retryAfter{err: feedErr(ErrFetch, "%s", redactURLError(err))}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return &fetched{NotModified: true, ETag: etag, LastModified: lastMod, Header: resp.Header}, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, feedErr(ErrAuth, "HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return nil, &retryAfter{err: feedErr(ErrStatus, "HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), wait: time.Duration(secs) * time.Second}
	case resp.StatusCode >= 300:
		return nil, feedErr(ErrStatus, "HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	if resp.ContentLength > limit {
		return nil, feedErr(ErrSize, "the answer is %d bytes, more than the cap of %d", resp.ContentLength, limit)
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, &retryAfter{err: feedErr(ErrFetch, "reading the answer: %v", err)}
	}
	if n > limit {
		return nil, feedErr(ErrSize, "the answer is larger than the cap of %d bytes", limit)
	}
	return &fetched{Body: buf.Bytes(), ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified"), Header: resp.Header}, nil
}

// redactURLError drops the address's query (it may carry a key) from a
// transport error.
func redactURLError(err error) string {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner.Error()
		}
	}
	return err.Error()
}
