package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestSendSyslogStopsAfterCount(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var lines, markers, bytes atomic.Int64
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					lines.Add(1)
					bytes.Add(int64(len(sc.Bytes())))
					if strings.Contains(sc.Text(), " vigilmark ") {
						markers.Add(1)
					}
				}
			}()
		}
	}()
	res, err := SendSyslog(context.Background(), Syslog{Addr: ln.Addr().String(), Count: 25000, Conns: 3, MarkerEvery: 1000, Run: "t"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for lines.Load() < 25000 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if res.Lines != 25000 || lines.Load() != 25000 || markers.Load() != 25 || len(res.Markers) != 25 || bytes.Load() != res.Bytes {
		t.Fatalf("sent %+v lines, received %d lines (%d bytes, %d markers)", res.Lines, lines.Load(), bytes.Load(), markers.Load())
	}
	// A rate paces the lines.
	res, err = SendSyslog(context.Background(), Syslog{Addr: ln.Addr().String(), Count: 2000, Rate: 5000})
	if err != nil || res.Lines != 2000 || res.Elapsed < 300*time.Millisecond {
		t.Fatalf("paced run: %v, %d lines in %v, want 2000 in about 400ms", err, res.Lines, res.Elapsed)
	}
	// A duration alone stops too.
	res, err = SendSyslog(context.Background(), Syslog{Addr: ln.Addr().String(), Duration: 200 * time.Millisecond})
	if err != nil || res.Lines == 0 || res.Elapsed > 2*time.Second {
		t.Fatalf("duration run: %v, %d lines in %v", err, res.Lines, res.Elapsed)
	}
}

func TestMetricAndQuantile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "# HELP x\nvigil_bus_consumed_records_total 1.5e+06\nvigil_bus_consumed_records_total_other 7\nvigil_x{kind=\"a\"} 2\nvigil_x{kind=\"b\"} 3\n")
	}))
	defer srv.Close()
	h := &Hub{URL: srv.URL}
	if v, err := h.Metric(context.Background(), "vigil_bus_consumed_records_total"); err != nil || v != 1.5e6 {
		t.Errorf("consumed %v %v", v, err)
	}
	if v, _ := h.Metric(context.Background(), "vigil_x"); v != 5 {
		t.Errorf("labelled sum %v", v)
	}
	var ds []time.Duration
	for i := 1; i <= 100; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	if Quantile(ds, .99) != 99*time.Millisecond || Quantile(ds, .5) != 50*time.Millisecond || Quantile(ds, 1) != 100*time.Millisecond {
		t.Errorf("quantiles %v %v %v", Quantile(ds, .5), Quantile(ds, .99), Quantile(ds, 1))
	}
}
