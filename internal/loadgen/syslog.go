// Package loadgen is the load generator of the watch's benchmark (`vigil
// loadgen`, scripts/bench-ingest.sh): syslog over TCP at full speed with
// marker events mixed in, the time until each marker's alert is visible in
// the API, batches over `POST /api/v1/events` counted as they are
// acknowledged, and the hub's own counters read from /metrics. Every run
// stops by itself after a count or a duration.
package loadgen

import (
	"bufio"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// MarkerRuleID is the id of the Sigma rule markers match: syslog lines of
// the program "vigilmark" (the host names differ so that each marker makes
// an alert of its own).
const MarkerRuleID = "5f0c2a1e-7b7d-4c1a-9a57-0d1e6c0b4a11"

// CountRuleID is the id of the rule the events of PostEvents match (the
// program "vigilcount"), one alert per event, so that the alerts of the
// rule count the events that reached detection.
const CountRuleID = "5f0c2a1e-7b7d-4c1a-9a57-0d1e6c0b4a12"

// Rules are the benchmark's Sigma rules by file name.
var Rules = map[string]string{
	"vigil-bench-marker.yml": rule(MarkerRuleID, "Vigil load benchmark marker", "the marker events vigil loadgen mixes into its load, to time receipt to alert", "vigilmark"),
	"vigil-bench-count.yml":  rule(CountRuleID, "Vigil load benchmark counted event", "the events vigil loadgen posts over HTTP, one alert each, to count them", "vigilcount"),
}

func rule(id, title, what, program string) string {
	return `title: ` + title + `
id: ` + id + `
status: test
description: Matches ` + what + `.
author: Vigil
date: 2026-12-03
logsource:
  product: linux
detection:
  selection:
    process.name: ` + program + `
  condition: selection
level: high
`
}

// Syslog configures a run of syslog over TCP.
type Syslog struct {
	Addr     string
	Count    int           // lines to send (0: until Duration)
	Duration time.Duration // longest run (0: until Count)
	Conns    int           // parallel connections (4 when 0)
	// MarkerEvery sends a marker after every so many lines (0: none);
	// Run names the run in the markers' host names (mark-RUN-N).
	MarkerEvery int
	Run         string
	// Octet frames lines as RFC 6587 octet counting instead of newlines.
	Octet bool
	// Rate paces the lines to so many per second over all connections
	// (0: as fast as the receiver takes them).
	Rate int
	// Markers, if set, receives each marker as soon as it is sent (and is
	// closed when the run ends), for timing its alert meanwhile.
	Markers chan<- Marker
}

// Marker is a marker line sent: its host and when it left.
type Marker struct {
	Host string
	Sent time.Time
}

// SyslogResult is what a run sent.
type SyslogResult struct {
	Lines   int
	Bytes   int64 // bytes of the lines, without framing
	Elapsed time.Duration
	Markers []Marker
}

// Rate is lines per second of sending.
func (r SyslogResult) Rate() float64 { return float64(r.Lines) / r.Elapsed.Seconds() }

// SendSyslog sends lines as fast as the receiver takes them until Count
// lines or Duration, whichever comes first. The lines look like a mix of
// what units' servers send (web, mail, firewall, cron, sshd, RFC 5424).
func SendSyslog(ctx context.Context, cfg Syslog) (SyslogResult, error) {
	if cfg.Markers != nil {
		defer close(cfg.Markers)
	}
	if cfg.Count <= 0 && cfg.Duration <= 0 {
		return SyslogResult{}, fmt.Errorf("loadgen: give a count or a duration")
	}
	if cfg.Conns <= 0 {
		cfg.Conns = 4
	}
	if cfg.Run == "" {
		cfg.Run = strconv.FormatInt(time.Now().Unix(), 36)
	}
	// The lines are made once: the generator shares the machine with the
	// hub and should cost it little.
	pool := make([][]byte, linePool)
	for i := range pool {
		pool[i] = appendLine(nil, int64(i))
	}
	var next atomic.Int64 // the next line number to send
	var bytes atomic.Int64
	var mu sync.Mutex
	var markers []Marker
	errc := make(chan error, cfg.Conns)
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < cfg.Conns; c++ {
		conn, err := net.DialTimeout("tcp", cfg.Addr, 5*time.Second)
		if err != nil {
			return SyslogResult{}, fmt.Errorf("loadgen: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			stop := context.AfterFunc(ctx, func() { conn.SetWriteDeadline(time.Now()) })
			defer stop()
			w := bufio.NewWriterSize(conn, 64<<10)
			var sent int64
			for ctx.Err() == nil {
				n := next.Add(1) - 1
				if cfg.Count > 0 && n >= int64(cfg.Count) {
					break
				}
				if cfg.Rate > 0 && n%64 == 0 {
					// Ahead of the pace: wait, with what is buffered sent.
					if ahead := time.Duration(float64(n)/float64(cfg.Rate)*float64(time.Second)) - time.Since(start); ahead > time.Millisecond {
						if err := w.Flush(); err != nil {
							break
						}
						select {
						case <-ctx.Done():
						case <-time.After(ahead):
						}
					}
				}
				marker := cfg.MarkerEvery > 0 && n%int64(cfg.MarkerEvery) == int64(cfg.MarkerEvery)-1
				var host string
				var line []byte
				if marker {
					host = fmt.Sprintf("mark-%s-%d", cfg.Run, n)
					line = markerLine(nil, host, n)
				} else {
					line = pool[n%linePool]
				}
				if cfg.Octet {
					w.WriteString(strconv.Itoa(len(line)))
					w.WriteByte(' ')
					w.Write(line)
				} else {
					w.Write(line)
					w.WriteByte('\n')
				}
				sent += int64(len(line))
				if marker {
					if err := w.Flush(); err != nil {
						break
					}
					m := Marker{Host: host, Sent: time.Now()}
					mu.Lock()
					markers = append(markers, m)
					mu.Unlock()
					if cfg.Markers != nil {
						cfg.Markers <- m
					}
				}
			}
			if err := w.Flush(); err != nil && ctx.Err() == nil {
				errc <- fmt.Errorf("loadgen: send to %s: %w", cfg.Addr, err)
			}
			bytes.Add(sent)
		}()
	}
	wg.Wait()
	res := SyslogResult{Elapsed: time.Since(start), Bytes: bytes.Load(), Markers: markers}
	res.Lines = int(min(next.Load(), int64(cfg.Count)))
	if cfg.Count <= 0 {
		res.Lines = int(next.Load())
	}
	select {
	case err := <-errc:
		return res, err
	default:
	}
	return res, nil
}

const linePool = 10007

var hosts = []string{"web-01", "web-02", "mail-01", "fw-core", "db-01", "dc-01", "app-03", "proxy-02"}

// appendLine appends the n-th ordinary line: no rule of SigmaHQ's is meant
// to match it, as most of a real stream.
func appendLine(b []byte, n int64) []byte {
	h := hosts[n%int64(len(hosts))]
	ip := fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	switch n % 5 {
	case 0:
		return fmt.Appendf(b, `<190>Dec  3 10:%02d:%02d %s nginx[%d]: %s - - "GET /portal/hoso?id=%d HTTP/1.1" 200 5123 "-" "Mozilla/5.0"`, n/60%60, n%60, h, 1000+n%50, ip, n)
	case 1:
		return fmt.Appendf(b, `<22>Dec  3 10:%02d:%02d %s postfix/smtpd[%d]: connect from unknown[%s]`, n/60%60, n%60, h, 2000+n%50, ip)
	case 2:
		return fmt.Appendf(b, `<134>1 2026-12-03T10:%02d:%02d.%03dZ %s filterlog %d - - 5,,,1000000103,igb0,match,pass,in,4,0x0,,64,0,0,DF,6,tcp,60,%s,10.0.0.5,51234,443,0,S`, n/60%60, n%60, n%1000, h, n%30000, ip)
	case 3:
		return fmt.Appendf(b, `<78>Dec  3 10:%02d:%02d %s CRON[%d]: (root) CMD (/usr/local/bin/backup.sh --job %d)`, n/60%60, n%60, h, 3000+n%50, n%97)
	default:
		return fmt.Appendf(b, `<86>Dec  3 10:%02d:%02d %s sshd[%d]: Accepted publickey for deploy from %s port %d ssh2: ED25519 SHA256:x%d`, n/60%60, n%60, h, 4000+n%50, ip, 1024+n%60000, n)
	}
}

func markerLine(b []byte, host string, n int64) []byte {
	return fmt.Appendf(b, `<134>1 %s %s vigilmark %d - - vigil load benchmark marker %d`, time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), host, n%30000, n)
}

// WaitFileSize waits until the file at path holds at least size bytes
// (a receiver writing the lines to a file) or ctx ends, and says when.
func WaitFileSize(ctx context.Context, path string, size int64) (time.Time, error) {
	for {
		if info, err := os.Stat(path); err == nil && info.Size() >= size {
			return time.Now(), nil
		}
		select {
		case <-ctx.Done():
			var have int64
			if info, err := os.Stat(path); err == nil {
				have = info.Size()
			}
			return time.Time{}, fmt.Errorf("loadgen: %s holds %d of %d bytes: %w", path, have, size, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// WriteIndicators writes n indicators as CSV (type,value,comment): a third
// each of IPv4 addresses, domains and SHA-256 digests (of the index, so
// spread as real digests are), none of which the generated load contains.
func WriteIndicators(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString("type,value,comment\n")
	for i := 0; i < n; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(bw, "ip,%d.%d.%d.%d,bench\n", 100+(i>>24)%100, (i>>16)&255, (i>>8)&255, i&255)
		case 1:
			fmt.Fprintf(bw, "domain,c2-%d.bench-bad.example,bench\n", i)
		default:
			sum := sha256.Sum256(strconv.AppendInt(nil, int64(i), 10))
			fmt.Fprintf(bw, "sha256,%x,bench\n", sum)
		}
	}
	return bw.Flush()
}
