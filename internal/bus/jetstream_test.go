package bus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"vigil/internal/store/storetest"
)

// embeddedNATS starts a NATS server with JetStream in the test process.
func embeddedNATS(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("embedded NATS server did not start")
	}
	t.Cleanup(s.Shutdown)
	return s.ClientURL()
}

func openJS(t testing.TB, opts JetStreamOptions) *JetStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := OpenJetStream(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func consumeN(t *testing.T, b Bus, group string, n int, fail func(call int) bool) []Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []Record
	call := 0
	err := b.Consume(ctx, group, func(_ context.Context, recs []Record) error {
		call++
		if fail != nil && fail(call) {
			return errors.New("not now")
		}
		for _, r := range recs {
			r.Data = append([]byte(nil), r.Data...)
			got = append(got, r)
		}
		if len(got) >= n {
			cancel()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) < n {
		t.Fatalf("consumed %d records, want %d", len(got), n)
	}
	return got
}

func testJetStream(t *testing.T, url, stream string) {
	ctx := context.Background()
	opts := JetStreamOptions{URL: url, Stream: stream, Subject: "vigil.test." + stream}
	a := openJS(t, opts)
	// Published before anyone consumes: the group exists from open.
	var recs []Record
	for i := 0; i < 300; i++ {
		recs = append(recs, rec(i))
	}
	if err := a.Publish(ctx, recs); err != nil {
		t.Fatal(err)
	}
	if recs[0].Seq == 0 || recs[299].Seq != recs[0].Seq+299 {
		t.Fatalf("sequences %d..%d", recs[0].Seq, recs[299].Seq)
	}
	// A failed batch comes back; then every record arrives, in order.
	got := consumeN(t, a, GroupDetect, 300, func(call int) bool { return call == 1 })
	seen := map[string]Record{}
	for _, r := range got {
		seen[string(r.Data)] = r
	}
	if len(seen) != 300 {
		t.Fatalf("%d distinct records, want 300", len(seen))
	}
	for _, w := range recs {
		g := seen[string(w.Data)]
		if g.Seq != w.Seq || g.Remote != w.Remote || g.UnitID != w.UnitID || g.SourceID != w.SourceID || !g.Received.Equal(w.Received) || g.Format != w.Format {
			t.Fatalf("record decoded as %+v, want %+v", g, w)
		}
	}
	if st := a.Stats(); st.Published != 300 || st.Consumed < 300 || st.Kind != "jetstream" {
		t.Errorf("stats %+v", st)
	}

	// Two processes of one group share the records (small pulls, so
	// that one cannot take them all at once).
	opts.BatchRecords = 10
	a = openJS(t, opts)
	b := openJS(t, opts)
	for i := 0; i < 4; i++ {
		recs = recs[:0]
		for k := 0; k < 250; k++ {
			recs = append(recs, rec(1000+i*250+k))
		}
		if err := b.Publish(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	var mu sync.Mutex
	per := map[int]int{}
	all := map[string]int{}
	var wg sync.WaitGroup
	for i, s := range []*JetStream{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Consume(cctx, GroupDetect, func(_ context.Context, recs []Record) error {
				mu.Lock()
				defer mu.Unlock()
				per[i] += len(recs)
				for _, r := range recs {
					all[string(r.Data)]++
				}
				if len(all) >= 1000 {
					cancel()
				}
				// Slow enough that the other process gets its share.
				time.Sleep(5 * time.Millisecond)
				return nil
			})
		}()
	}
	wg.Wait()
	if len(all) != 1000 {
		t.Fatalf("%d distinct records consumed by the two processes, want 1000", len(all))
	}
	t.Logf("shared: %v", per)
	if per[0] == 0 || per[1] == 0 {
		t.Errorf("one process got nothing: %v", per)
	}
}

func TestJetStreamEmbedded(t *testing.T) {
	testJetStream(t, embeddedNATS(t), "VIGIL_TEST")
}

func TestJetStreamFullPushesBack(t *testing.T) {
	url := embeddedNATS(t)
	s := openJS(t, JetStreamOptions{URL: url, MaxBytes: 64 << 10})
	ctx := context.Background()
	n := 0
	for {
		err := s.Publish(ctx, []Record{rec(n)})
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if n++; n > 10000 {
			t.Fatal("never full")
		}
	}
	if st := s.Stats(); st.Refused != 1 {
		t.Fatalf("stats %+v", st)
	}
	consumeN(t, s, GroupDetect, n, nil)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Publish(ctx, []Record{rec(1)})
		if err == nil {
			break
		}
		if !errors.Is(err, ErrFull) || time.Now().After(deadline) {
			t.Fatalf("publish after the backlog was read: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestJetStreamServer runs against the NATS server CI provides
// (VIGIL_TEST_NATS_URL, nats://127.0.0.1:4222 by default); it fails
// instead of skipping when VIGIL_TEST_REQUIRE is all or names nats.
func TestJetStreamServer(t *testing.T) {
	url := os.Getenv("VIGIL_TEST_NATS_URL")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	if c, err := net.DialTimeout("tcp", hostPort(url), 2*time.Second); err != nil {
		storetest.SkipOrFail(t, "nats", "no NATS server at "+url+": "+err.Error())
	} else {
		c.Close()
	}
	var b [4]byte
	rand.Read(b[:])
	stream := "VIGIL_TEST_" + hex.EncodeToString(b[:])
	t.Cleanup(func() { deleteStream(url, stream) })
	testJetStream(t, url, stream)
}

func hostPort(url string) string {
	for _, p := range []string{"nats://", "tls://"} {
		if len(url) > len(p) && url[:len(p)] == p {
			return url[len(p):]
		}
	}
	return url
}

func deleteStream(url, stream string) {
	nc, err := nats.Connect(url)
	if err != nil {
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	js.DeleteStream(ctx, stream)
}
