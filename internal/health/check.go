package health

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"
	"vigil/internal/i18n"
)

// Why a check failed, for the page to say in words (the detail stays
// technical, in English).
const (
	ErrRefused     = "refused"     // nothing listens, or a firewall rejects
	ErrTimeout     = "timeout"     // no answer within the timeout
	ErrDNS         = "dns"         // the name does not resolve
	ErrTLS         = "tls"         // handshake or certificate verification failed
	ErrFingerprint = "fingerprint" // the certificate is not the pinned one
	ErrStatus      = "status"      // an HTTP status other than the expected
	ErrBody        = "body"        // the body lacks the expected text
	ErrBanner      = "banner"      // the banner does not start as expected
	ErrNetwork     = "network"     // any other failure to connect or read
)

// ErrorKinds lists the kinds a failed check has.
var ErrorKinds = []string{ErrRefused, ErrTimeout, ErrDNS, ErrTLS, ErrFingerprint, ErrStatus, ErrBody, ErrBanner, ErrNetwork}

// Result is one check of a probe.
type Result struct {
	At      time.Time     `json:"at"`
	OK      bool          `json:"ok"`
	Latency time.Duration `json:"-"`
	// LatencyMS is Latency in milliseconds (the connection, or the time
	// to the response's headers).
	LatencyMS float64 `json:"latency_ms"`
	ErrKind   string  `json:"error_kind,omitempty"`
	Error     string  `json:"error,omitempty"`
}

func failed(kind, format string, args ...any) *Result {
	return &Result{ErrKind: kind, Error: fmt.Sprintf(format, args...)}
}

// Check runs one check of p now. roots verifies certificates that are not
// pinned (nil: the system's).
func Check(ctx context.Context, p *Probe, roots *x509.CertPool) Result {
	ctx, cancel := context.WithTimeout(ctx, p.Timeout())
	defer cancel()
	start := time.Now()
	var r *Result
	switch p.Kind {
	case KindTCP:
		r = checkTCP(ctx, p)
	case KindHTTPS:
		r = checkHTTPS(ctx, p, roots)
	default:
		r = failed(ErrNetwork, "unknown probe kind %q", p.Kind)
	}
	if r.Latency == 0 {
		r.Latency = time.Since(start)
	}
	r.At = start.UTC()
	r.OK = r.ErrKind == ""
	r.LatencyMS = float64(r.Latency.Microseconds()) / 1000
	return *r
}

func checkTCP(ctx context.Context, p *Probe) *Result {
	var d net.Dialer
	start := time.Now()
	conn, err := d.DialContext(ctx, "tcp", p.Target)
	if err != nil {
		return netFailure(err)
	}
	defer conn.Close()
	r := &Result{Latency: time.Since(start)}
	if p.WantBanner == "" {
		return r
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetReadDeadline(dl)
	}
	want := []byte(p.WantBanner)
	got := make([]byte, 0, len(want))
	buf := make([]byte, len(want))
	var rerr error
	for len(got) < len(want) && rerr == nil {
		var n int
		n, rerr = conn.Read(buf[:len(want)-len(got)])
		got = append(got, buf[:n]...)
	}
	if len(got) == 0 && rerr != nil && !errors.Is(rerr, io.EOF) {
		return netFailure(rerr) // no banner at all: silent or reset
	}
	if !bytes.Equal(got, want) {
		return failed(ErrBanner, "banner %q does not start with %q", i18n.Shorten(string(got), 80), p.WantBanner)
	}
	return r
}

func checkHTTPS(ctx context.Context, p *Probe, roots *x509.CertPool) *Result {
	cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	var seen string
	if p.WantFingerprint != "" {
		// A pinned certificate is the trust: no authority is asked, the
		// leaf's digest must be the one configured.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no certificate")
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].Raw)
			seen = hex.EncodeToString(sum[:])
			if seen != p.WantFingerprint {
				return errFingerprint
			}
			return nil
		}
	}
	tr := &http.Transport{TLSClientConfig: cfg, Proxy: nil, DisableKeepAlives: true, ForceAttemptHTTP2: false, MaxResponseHeaderBytes: 64 << 10}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.Target, nil)
	if err != nil {
		return failed(ErrNetwork, "%v", err)
	}
	req.Header.Set("User-Agent", "Vigil-health-probe/1")
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, errFingerprint) {
			return failed(ErrFingerprint, "certificate SHA-256 %s is not the pinned %s", seen, p.WantFingerprint)
		}
		return netFailure(err)
	}
	defer resp.Body.Close()
	r := &Result{Latency: time.Since(start)}
	if resp.StatusCode != p.WantStatus {
		return failed(ErrStatus, "status %d, want %d", resp.StatusCode, p.WantStatus)
	}
	if p.WantBody != "" {
		body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<10))
		if err != nil {
			return netFailure(err)
		}
		if !bytes.Contains(body, []byte(p.WantBody)) {
			return failed(ErrBody, "the first %d bytes of the body lack %q", len(body), p.WantBody)
		}
	}
	return r
}

var errFingerprint = errors.New("certificate fingerprint mismatch")

// netFailure sorts a connection error into a kind.
func netFailure(err error) *Result {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded):
		return failed(ErrTimeout, "%s", shortNetErr(msg))
	case errors.As(err, &dnsErr):
		return failed(ErrDNS, "%s", shortNetErr(msg))
	case errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH):
		return failed(ErrRefused, "%s", shortNetErr(msg))
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &recErr),
		strings.Contains(msg, "tls:"), strings.Contains(msg, "x509:"):
		return failed(ErrTLS, "%s", shortNetErr(msg))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return failed(ErrTimeout, "%s", shortNetErr(msg))
	}
	return failed(ErrNetwork, "%s", shortNetErr(msg))
}

// shortNetErr drops Go's "Get \"https://...\": " lead, which repeats the
// target.
func shortNetErr(s string) string {
	if i := strings.Index(s, "\": "); i >= 0 && strings.HasPrefix(s, "Get \"") {
		s = s[i+3:]
	}
	return i18n.Shorten(s, 300)
}
