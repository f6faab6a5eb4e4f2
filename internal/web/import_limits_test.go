package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/hub"
	"vigil/internal/jobs"
	"vigil/internal/store/storetest"
)

// csvHosts streams an inventory CSV of n hosts, about 300 bytes a row,
// without holding it.
type csvHosts struct {
	n, i int
	buf  []byte
}

func newCSVHosts(n int) *csvHosts {
	return &csvHosts{n: n, buf: []byte("hostname,domain,role,os_name,os_version,addresses,mac,cpu_cores,memory_gb,antivirus,antivirus_enabled,firewall_enabled,software\n")}
}

func (c *csvHosts) Read(p []byte) (int, error) {
	for len(c.buf) < len(p) && c.i < c.n {
		i := c.i
		c.buf = fmt.Appendf(c.buf, "ws-%06d,unit7.example.org,workstation,Microsoft Windows 11 Pro,10.0.22631,10.%d.%d.%d/16,00-1A-2B-%02X-%02X-%02X,8,16,Microsoft Defender Antivirus,yes,yes,Google Chrome 126.0;7-Zip 23.01;Microsoft Office 16.0\n",
			i, 10+i>>16, i>>8&255, i&255, i>>16&255, i>>8&255, i&255)
		c.i++
	}
	if len(c.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

type importHub struct {
	h     *hub.Hub
	srv   *httptest.Server
	token string
}

func newImportHub(t *testing.T, maxRows int) *importHub {
	t.Helper()
	db := storetest.Open(t, "sqlite")
	h, err := hub.New(db, hub.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test", ImportMaxRows: maxRows})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := h.Bootstrap(ctx, hub.Config{AdminEmail: "admin@test.vigil", AdminPassword: testPassword}); err != nil {
		t.Fatal(err)
	}
	p, err := h.Auth.Login(auth.WithClientIP(ctx, "192.0.2.1"), "admin@test.vigil", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := h.Auth.CreateToken(auth.WithPrincipal(ctx, p), "import", 0)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h.Server.Handler())
	t.Cleanup(srv.Close)
	return &importHub{h: h, srv: srv, token: tok}
}

func (ih *importHub) importCSV(t *testing.T, body io.Reader, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("POST", ih.srv.URL+"/api/v1/hosts/import?unit=BHXHVN&file=hosts.csv", body)
	req.Header.Set("Authorization", "Bearer "+ih.token)
	req.Header.Set("Content-Type", "text/csv")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestImportRowCap: an import over --import-max-rows is refused with the
// limit named, and nothing is imported.
func TestImportRowCap(t *testing.T) {
	t.Parallel()
	ih := newImportHub(t, 100)
	status, m := ih.importCSV(t, newCSVHosts(101), nil)
	msg := fmt.Sprint(m["error"])
	if status != 413 || !strings.Contains(msg, "100 hosts") || !strings.Contains(msg, "hosts.csv") {
		t.Errorf("101 hosts with a cap of 100: %d %s", status, msg)
	}
	var n int
	ih.h.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM hosts`).Scan(&n)
	if n != 0 {
		t.Errorf("%d hosts imported from a refused file", n)
	}
	if status, m := ih.importCSV(t, newCSVHosts(100), nil); status != 200 || m["created"] != float64(100) {
		t.Errorf("100 hosts with a cap of 100: %d %v", status, m)
	}
}

// TestLargeImportLeavesRoomForOthers: a large import (20,000 hosts by
// default, VIGIL_TEST_IMPORT_HOSTS to change) completes within a time and
// memory bound while the scheduler claims jobs and sessions are written
// beside it, none of them failing with "database is locked" or waiting
// long.
func TestLargeImportLeavesRoomForOthers(t *testing.T) {
	hostsN := 20000
	if v, err := strconv.Atoi(os.Getenv("VIGIL_TEST_IMPORT_HOSTS")); err == nil && v > 0 {
		hostsN = v
	}
	const (
		timeBound = 3 * time.Minute
		heapBound = 1 << 30
		waitBound = 2 * time.Second
	)
	ih := newImportHub(t, 0)
	admin, err := ih.h.Auth.Login(auth.WithClientIP(context.Background(), "192.0.2.2"), "admin@test.vigil", testPassword)
	if err != nil {
		t.Fatal(err)
	}
	sched := jobs.New(ih.h.DB, slog.New(slog.NewTextHandler(io.Discard, nil)))

	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peakc := heapPeak(stop)

	var mu sync.Mutex
	var otherErrs []string
	var worstWait time.Duration
	var others int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		ctx := context.Background()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			// Each is one short write: a job claim, then a session
			// (sign-in's password check is not the database's time).
			for _, write := range []func() error{
				func() error {
					_, err := sched.Claim(ctx, "probe", time.Millisecond, time.Now().Add(time.Duration(i)*time.Second))
					return err
				},
				func() error { _, err := ih.h.Auth.CreateSession(ctx, admin, "probe"); return err },
			} {
				start := time.Now()
				err := write()
				d := time.Since(start)
				mu.Lock()
				others++
				worstWait = max(worstWait, d)
				if err != nil {
					otherErrs = append(otherErrs, err.Error())
				}
				mu.Unlock()
			}
		}
	}()

	start := time.Now()
	status, m := ih.importCSV(t, newCSVHosts(hostsN), nil)
	took := time.Since(start)
	close(stop)
	peak := <-peakc
	wg.Wait()
	growth := int64(peak) - int64(base.HeapInuse)
	t.Logf("import of %d hosts: %d in %v; heap in use %d MiB before, peak %d MiB (+%d MiB); %d job claims and sessions written beside it, slowest %v, %d failed",
		hostsN, status, took.Round(time.Millisecond), base.HeapInuse>>20, peak>>20, growth>>20, others, worstWait.Round(time.Millisecond), len(otherErrs))
	if status != 200 || m["created"] != float64(hostsN) {
		t.Fatalf("import: %d %v", status, m)
	}
	if took > timeBound {
		t.Errorf("import took %v, bound %v", took, timeBound)
	}
	if growth > heapBound {
		t.Errorf("import grew the heap by %d MiB, bound %d MiB", growth>>20, heapBound>>20)
	}
	if len(otherErrs) > 0 {
		t.Errorf("%d job claims or sessions failed beside the import, first: %s", len(otherErrs), otherErrs[0])
	}
	if worstWait > waitBound {
		t.Errorf("a job claim or session waited %v beside the import, bound %v", worstWait, waitBound)
	}
}

// TestOversizedImportRefusedEarly: the 460,000-host file that once held
// the hub for 15 minutes is refused at the first host past the default
// limit, without reading the rest or growing the heap past a bound.
func TestOversizedImportRefusedEarly(t *testing.T) {
	const (
		hostsN    = 460000
		timeBound = time.Minute
		heapBound = 512 << 20
	)
	ih := newImportHub(t, 0)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peakc := heapPeak(stop)
	start := time.Now()
	status, m := ih.importCSV(t, newCSVHosts(hostsN), map[string]string{"Accept-Language": "vi"})
	took := time.Since(start)
	close(stop)
	peak := <-peakc
	growth := int64(peak) - int64(base.HeapInuse)
	msg := fmt.Sprint(m["error"])
	t.Logf("import of %d hosts: %d in %v; heap +%d MiB; %s", hostsN, status, took.Round(time.Millisecond), growth>>20, msg)
	if status != 413 || !strings.Contains(msg, "50,000 hosts") || !strings.Contains(msg, "hosts.csv:50002") {
		t.Errorf("answer %d %s: want 413 naming the limit and the line", status, msg)
	}
	if took > timeBound || growth > heapBound {
		t.Errorf("refusing took %v and %d MiB, bounds %v and %d MiB", took, growth>>20, timeBound, heapBound>>20)
	}
	var n int
	ih.h.DB.QueryRow(context.Background(), `SELECT COUNT(*) FROM hosts`).Scan(&n)
	if n != 0 {
		t.Errorf("%d hosts imported from a refused file", n)
	}
}
