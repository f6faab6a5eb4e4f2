package taxii_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/internal/store"
	"vigil/internal/store/storetest"
	"vigil/internal/taxii"
)

// The speed target: a TAXII collection of 1,000,000 objects
// pages at p95 < 100 ms per page. BenchmarkTAXIIPage asks for pages at
// random places of such a collection (the collection shares one
// published list of n entries); TestTAXIIPagingWalk (run by
// scripts/bench-taxii.sh) walks the whole collection page by page with
// next and prints the percentiles. Both go through HTTP, the TAXII
// handler's authentication, the keyset query and the STIX writing.
// VIGIL_BENCH_TAXII_OBJECTS changes n (default 1,000,000).

func benchObjects() int {
	if n, err := strconv.Atoi(os.Getenv("VIGIL_BENCH_TAXII_OBJECTS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// seedBulk stores n indicators and a published list holding them all,
// entries added 1 ms apart in pairs (so ties on added are paged by id),
// with multi-row INSERTs in one transaction.
func seedBulk(tb testing.TB, db *store.DB, n int) int64 {
	tb.Helper()
	ctx := context.Background()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := store.Micros(base)
	var list int64
	start := time.Now()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO warning_lists (name, month, version, issuer, status, status_since, entries, created_at, published_at)
			VALUES ('Danh sách cảnh báo tháng 11/2026', '2026-11', 1, 'IT Center', 'published', ?, ?, ?, ?) RETURNING id`, now, n, now, now).Scan(&list); err != nil {
			return err
		}
		var firstID int64
		const chunk = 500
		kinds := []string{"ip", "domain", "sha256", "url"}
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			var sb strings.Builder
			args := make([]any, 0, (hi-lo)*6)
			sb.WriteString(`INSERT INTO intel_indicators (kind, value, source, confidence, tlp, stix_id, created_at, updated_at) VALUES `)
			for i := lo; i < hi; i++ {
				if i > lo {
					sb.WriteString(", ")
				}
				sb.WriteString("(?, ?, 'IT Center', 80, 'amber', ?, ?, ?)")
				kind := kinds[i%4]
				var v string
				switch kind {
				case "ip":
					v = fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
				case "domain":
					v = fmt.Sprintf("c2-%d.example.net", i)
				case "sha256":
					v = fmt.Sprintf("%064x", i+1)
				default:
					v = fmt.Sprintf("http://bad-%d.example.org/x", i)
				}
				args = append(args, kind, v, fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", i, i), now, now)
			}
			if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
				return err
			}
			if lo == 0 {
				if err := tx.QueryRow(ctx, `SELECT MIN(id) FROM intel_indicators`).Scan(&firstID); err != nil {
					return err
				}
			}
		}
		for lo := 0; lo < n; lo += chunk {
			hi := min(lo+chunk, n)
			var sb strings.Builder
			args := make([]any, 0, (hi-lo)*3)
			sb.WriteString(`INSERT INTO warning_list_entries (list_id, indicator_id, unit_id, action, severity, added_at) SELECT ?, id, 0, 'block', 'high', ? + (id - ?) / 2 * 1000 FROM intel_indicators WHERE id >= ? AND id < ?`)
			args = append(args, list, now, firstID, firstID+int64(lo), firstID+int64(hi))
			if _, err := tx.Exec(ctx, sb.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	if db.Dialect == store.Postgres {
		db.Exec(ctx, `ANALYZE intel_indicators`)
		db.Exec(ctx, `ANALYZE warning_list_entries`)
	} else {
		db.Exec(ctx, `ANALYZE`)
	}
	tb.Logf("seeded %d objects on %s in %s", n, db.Dialect, time.Since(start).Round(time.Millisecond))
	return list
}

// benchWorld is a hub with a collection of n objects readable by the
// partner.
type benchWorld struct {
	f   *fixture
	url string // the collection's objects URL
	hdr http.Header
}

func newBenchWorld(tb testing.TB, engine string, n int) *benchWorld {
	db := storetest.Open(tb, engine)
	f := newFixture(tb, db)
	list := seedBulk(tb, db, n)
	c := f.share(list, taxii.SelectList, taxii.GrantInput{User: f.emails["partner"], CanRead: true})
	hdr := http.Header{"Accept": {taxii.MediaType}}
	hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(f.emails["partner"]+":"+f.tokens["partner"])))
	return &benchWorld{f: f, url: f.srv.URL + taxii.CollectionPath(c.ID) + "objects/", hdr: hdr}
}

type benchPage struct {
	More    bool       `json:"more"`
	Next    string     `json:"next"`
	Objects []struct{} `json:"objects"` // counted, not kept
}

// page fetches a page and reads it whole; more and next are read from
// the envelope's start (this server writes them first) and the objects
// counted, so the time is the server's and the transfer's, not a client's
// JSON decoding.
func (w *benchWorld) page(tb testing.TB, client *http.Client, query string) (benchPage, http.Header) {
	req, _ := http.NewRequest("GET", w.url+"?"+query, nil)
	req.Header = w.hdr.Clone()
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var p benchPage
	head := b[:min(len(b), 512)]
	p.More = bytes.HasPrefix(head, []byte(`{"more":true`))
	if i := bytes.Index(head, []byte(`"next":"`)); i >= 0 {
		rest := head[i+8:]
		p.Next = string(rest[:bytes.IndexByte(rest, '"')])
	}
	p.Objects = make([]struct{}, bytes.Count(b, []byte(`"spec_version":"2.1"`)))
	return p, resp.Header
}

func BenchmarkTAXIIPage(b *testing.B) {
	if testing.Short() {
		b.Skip("-short: no million-object collection")
	}
	n := benchObjects()
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			w := newBenchWorld(b, engine, n)
			client := &http.Client{}
			base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
			rng := rand.New(rand.NewPCG(1, 2))
			var lat []time.Duration
			b.ResetTimer()
			for b.Loop() {
				// A poll from a random place: added_after an instant
				// within the collection, a full page of 1,000.
				at := base.Add(time.Duration(rng.IntN(n/2)) * time.Millisecond)
				t0 := time.Now()
				p, _ := w.page(b, client, "limit=1000&added_after="+url.QueryEscape(taxii.Timestamp(at)))
				lat = append(lat, time.Since(t0))
				if len(p.Objects) == 0 {
					b.Fatal("empty page")
				}
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
			}
		})
	}
}

// TestTAXIIPagingWalk walks a collection of VIGIL_BENCH_TAXII_OBJECTS
// objects with limit=1000 and next, timing each page, and prints
// benchstat lines with the percentiles. It runs only when
// VIGIL_BENCH_TAXII=1 (scripts/bench-taxii.sh sets it).
func TestTAXIIPagingWalk(t *testing.T) {
	if os.Getenv("VIGIL_BENCH_TAXII") != "1" {
		t.Skip("the million-object walk runs with VIGIL_BENCH_TAXII=1 (scripts/bench-taxii.sh, make bench)")
	}
	n := benchObjects()
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			w := newBenchWorld(t, engine, n)
			client := &http.Client{}
			var lat []time.Duration
			seen, next := 0, ""
			start := time.Now()
			for {
				q := "limit=1000"
				if next != "" {
					q += "&next=" + url.QueryEscape(next)
				}
				t0 := time.Now()
				p, _ := w.page(t, client, q)
				lat = append(lat, time.Since(t0))
				seen += len(p.Objects)
				if !p.More {
					break
				}
				next = p.Next
			}
			total := time.Since(start)
			// The five TLP marking definitions of an amber collection come
			// first.
			if seen != n+3 {
				t.Errorf("walked %d objects, want %d indicators and 3 markings", seen, n)
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			pct := func(p int) float64 { return float64(lat[min(len(lat)-1, len(lat)*p/100)].Microseconds()) / 1000 }
			fmt.Printf("BenchmarkTAXIIWalk/%s-%d\t%d\t%d ns/op\t%.1f p50-ms\t%.1f p95-ms\t%.1f p99-ms\t%.1f max-ms\t%d objects\n",
				engine, n, len(lat), total.Nanoseconds()/int64(len(lat)), pct(50), pct(95), pct(99), float64(lat[len(lat)-1].Microseconds())/1000, seen)
		})
	}
}
