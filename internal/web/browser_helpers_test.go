package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"vigil/internal/hub"
	"vigil/internal/store/storetest"
)

// browserAdminPassword is the first administrator's password in browser
// tests.
const browserAdminPassword = "browser-admin-pass-2024"

// browserHub starts a hub with the demo organisation on engine and serves
// it on 127.0.0.1 through the full middleware chain, as `vigil serve` does.
func browserHub(t *testing.T, engine string) *httptest.Server {
	t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := hub.Config{AdminEmail: "admin@vigil.local", AdminPassword: browserAdminPassword, Demo: true, Logger: logger, Version: "browser-test"}
	var h *hub.Hub
	if engine == "sqlite" {
		cfg.DataDir = t.TempDir()
		var err error
		if h, err = hub.Open(ctx, cfg); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
	} else {
		// PostgreSQL needs a schema of the test's own, which only storetest
		// makes; hub.New builds the hub on it as hub.Open would.
		var err error
		if h, err = hub.New(storetest.Open(t, engine), cfg); err != nil {
			t.Fatal(err)
		}
	}
	if err := h.Bootstrap(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Server.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// chromiumPath finds Debian's chromium (or another Chrome) and skips the
// test, or fails it under VIGIL_TEST_REQUIRE, when there is none.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("VIGIL_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	storetest.SkipOrFail(t, "chromium", "no chromium on PATH (apt-get install chromium, or set VIGIL_CHROMIUM)")
	return ""
}

// newBrowser starts headless Chromium with a fresh profile and returns a
// tab's context, ended when the test ends.
func newBrowser(t *testing.T, timeout time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	exe := chromiumPath(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	}
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	// Start the browser now so a broken install fails here, clearly.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	return ctx
}

// consoleLog records every console message, uncaught exception and browser
// log entry (CSP violations arrive as "security" entries) of a tab.
type consoleLog struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

func recordConsole(ctx context.Context) *consoleLog {
	c := &consoleLog{}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			c.mu.Lock()
			c.msgs = append(c.msgs, m)
			c.mu.Unlock()
		}
	}()
	return c
}

// problems returns the messages that mean something is wrong on a page:
// errors, exceptions, warnings and anything about the Content-Security-Policy,
// except those expected says are expected.
func (c *consoleLog) problems(expected func(chromedp.ConsoleMessage) bool) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, m := range c.msgs {
		bad := m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException || m.Type == chromedp.ConsoleWarning ||
			m.Source == "security" || strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Content-Security-Policy")
		if bad && (expected == nil || !expected(m)) {
			out = append(out, m.String()+" ("+m.Source+" "+m.URL+")")
		}
	}
	return out
}

// all returns every message recorded so far.
func (c *consoleLog) all() []chromedp.ConsoleMessage {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), c.msgs...)
}

// screenshot saves the page as name.png in the directory named by
// VIGIL_BROWSER_SCREENSHOTS, for a person checking how pages look; tests
// never need them, so without the variable it does nothing.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("VIGIL_BROWSER_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}
