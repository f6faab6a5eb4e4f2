package ingest

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/auth"
	"vigil/internal/bus"
	"vigil/internal/org"
	"vigil/internal/sources"
	"vigil/internal/store"
	"vigil/internal/store/storetest"
)

type rig struct {
	db  *store.DB
	src *sources.Service
	in  *Service
	j   *bus.Journal
	ctx context.Context // the system principal
}

func newRig(t *testing.T, db *store.DB, cfg Config, jopts bus.JournalOptions) *rig {
	return newRigOpts(t, db, cfg, jopts)
}

// newRigTB is a rig with the defaults and a source for 127.0.0.1.
func newRigTB(tb testing.TB, db *store.DB) *rig {
	r := newRigOpts(tb, db, Config{}, bus.JournalOptions{})
	if _, err := r.src.Create(r.ctx, sources.Input{Unit: "P1", Name: "bench", Kind: sources.KindSIEM, Senders: []string{"127.0.0.1"}}); err != nil {
		tb.Fatal(err)
	}
	return r
}

func newRigOpts(t testing.TB, db *store.DB, cfg Config, jopts bus.JournalOptions) *rig {
	t.Helper()
	ctx := auth.WithPrincipal(context.Background(), auth.System)
	o := &org.Service{DB: db}
	if _, err := o.EnsureRoot(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := o.CreateUnit(ctx, org.UnitInput{Code: "P1", Name: "Tỉnh một", Kind: "province", Parent: org.RootCode}); err != nil {
		t.Fatal(err)
	}
	j, err := bus.OpenJournal(t.TempDir(), jopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	src := &sources.Service{DB: db}
	in := New(src, cfg, slog.New(slog.DiscardHandler))
	in.SetBus(j)
	return &rig{db: db, src: src, in: in, j: j, ctx: ctx}
}

func (r *rig) source(t *testing.T, name string, senders ...string) *sources.Source {
	t.Helper()
	s, err := r.src.Create(r.ctx, sources.Input{Unit: "P1", Name: name, Kind: sources.KindSIEM, Senders: senders})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (r *rig) listen(t *testing.T, a Addrs) *Listeners {
	t.Helper()
	l, err := r.in.Listen(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// collect consumes the journal until n records arrived (or 10 s passed).
func collect(t *testing.T, j *bus.Journal, n int) []bus.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	var got []bus.Record
	err := j.Consume(ctx, "test", func(_ context.Context, recs []bus.Record) error {
		mu.Lock()
		defer mu.Unlock()
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
	mu.Lock()
	defer mu.Unlock()
	return got
}

func TestTCPBothFramingsAndBadInput(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, Config{MaxLine: 1024}, bus.JournalOptions{})
		src := r.source(t, "SIEM", "127.0.0.1")
		l := r.listen(t, Addrs{TCP: "127.0.0.1:0"})
		// Newline framing, with an oversize line, invalid UTF-8 and
		// binary garbage among good lines.
		c1, err := net.Dial("tcp", l.TCP.String())
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i := 0; i < 500; i++ {
			fmt.Fprintf(&b, "<13>Dec  3 10:00:00 host app: line %d\n", i)
		}
		b.WriteString("<13>" + strings.Repeat("x", 2000) + "\n")
		b.WriteString("<13>bad \xff utf8\n")
		b.WriteString("\x00\x01\x02\x03garbage\n")
		b.WriteString(`{"event_type":"alert","src_ip":"10.0.0.1"}` + "\n")
		c1.Write([]byte(b.String()))
		c1.Close()
		// Octet counting on another connection.
		c2, err := net.Dial("tcp", l.TCP.String())
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 100; i++ {
			m := fmt.Sprintf("<165>1 2026-12-03T10:00:00Z host app - - - counted %d", i)
			fmt.Fprintf(c2, "%d %s", len(m), m)
		}
		c2.Close()
		got := collect(t, r.j, 601)
		if len(got) != 601 {
			t.Fatalf("%d records, want 601", len(got))
		}
		formats := map[bus.Format]int{}
		for _, rec := range got {
			formats[rec.Format]++
			if rec.SourceID != src.ID || rec.UnitID != src.UnitID || rec.Remote != "127.0.0.1" || rec.Received.IsZero() {
				t.Fatalf("record %+v", rec)
			}
		}
		if formats[bus.FormatJSON] != 1 || formats[bus.FormatText] != 600 {
			t.Errorf("formats %v", formats)
		}
		waitFlush(t, r, func(s *sources.Source) bool { return s.Accepted == 601 && s.Refused == 3 }, src.ID)
	})
}

// waitFlush flushes the counters until the source reads as ok wants.
func waitFlush(t *testing.T, r *rig, ok func(*sources.Source) bool, id int64) *sources.Source {
	t.Helper()
	var s *sources.Source
	for i := 0; i < 100; i++ {
		if err := r.src.Flush(r.ctx); err != nil {
			t.Fatal(err)
		}
		var err error
		if s, err = r.src.Get(r.ctx, id); err != nil {
			t.Fatal(err)
		}
		if ok(s) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("source counts %+v", s)
	return nil
}

func TestUnknownSenderRefusedAndListed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, Config{}, bus.JournalOptions{})
		r.source(t, "elsewhere", "192.0.2.1")
		l := r.listen(t, Addrs{TCP: "127.0.0.1:0", UDP: "127.0.0.1:0"})
		c, _ := net.Dial("tcp", l.TCP.String())
		fmt.Fprintf(c, "<13>Dec  3 10:00:00 stranger app: hello\n<13>again\n")
		c.Close()
		u, _ := net.Dial("udp", l.UDP.String())
		u.Write([]byte("<13>Dec  3 10:00:00 stranger app: over udp"))
		u.Close()
		for i := 0; ; i++ {
			r.src.Flush(r.ctx)
			us, _, err := r.src.UnknownSenders(r.ctx, "", false, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(us) == 1 && us[0].Address == "127.0.0.1" && us[0].Count == 3 {
				if !strings.Contains(us[0].Sample, "stranger app") {
					t.Errorf("sample %q", us[0].Sample)
				}
				break
			}
			if i > 200 {
				t.Fatalf("unknown senders %+v", us)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if st := r.j.Stats(); st.Published != 0 {
			t.Errorf("%d records published from an unknown sender", st.Published)
		}
	})
}

func TestUDP(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, Config{}, bus.JournalOptions{})
		src := r.source(t, "fw", "127.0.0.0/8")
		l := r.listen(t, Addrs{UDP: "127.0.0.1:0"})
		u, err := net.Dial("udp", l.UDP.String())
		if err != nil {
			t.Fatal(err)
		}
		defer u.Close()
		for i := 0; i < 50; i++ {
			fmt.Fprintf(u, "<13>Dec  3 10:00:00 fw kernel: packet %d\n", i)
			if i%10 == 9 {
				time.Sleep(time.Millisecond) // loopback drops nothing at this pace
			}
		}
		u.Write([]byte("\x00\x01binary"))
		got := collect(t, r.j, 50)
		if len(got) != 50 || got[0].SourceID != src.ID || !strings.HasPrefix(string(got[0].Data), "<13>Dec  3 10:00:00 fw kernel: packet") || strings.HasSuffix(string(got[0].Data), "\n") {
			t.Fatalf("%d records, first %+v", len(got), got[0])
		}
		waitFlush(t, r, func(s *sources.Source) bool { return s.Accepted == 50 && s.RefusedBy[sources.ReasonBinary] == 1 }, src.ID)
	})
}

// selfSigned makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil test"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

func TestTLS(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db, Config{}, bus.JournalOptions{})
		src := r.source(t, "siem", "127.0.0.1")
		cert, pool := selfSigned(t)
		l := r.listen(t, Addrs{TLS: "127.0.0.1:0", TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}})
		c, err := tls.Dial("tcp", l.TLS.String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			m := fmt.Sprintf("<34>1 2026-12-03T10:00:00Z host su - ID47 - over tls %d", i)
			fmt.Fprintf(c, "%d %s", len(m), m)
		}
		c.Close()
		got := collect(t, r.j, 20)
		if len(got) != 20 || got[19].SourceID != src.ID || string(got[19].Data) != "<34>1 2026-12-03T10:00:00Z host su - ID47 - over tls 19" {
			t.Fatalf("%d records, last %q", len(got), got[len(got)-1].Data)
		}
		// A client that does not speak TLS is dropped, not served.
		p, _ := net.Dial("tcp", l.TLS.String())
		fmt.Fprintf(p, "<13>plain text on the TLS port\n")
		p.SetReadDeadline(time.Now().Add(15 * time.Second))
		io.Copy(io.Discard, p)
		p.Close()
		if st := r.j.Stats(); st.Published != 20 {
			t.Errorf("%d published", st.Published)
		}
	})
}

// A client trickling a frame is cut off after FrameTimeout; an idle one
// after IdleTimeout; past MaxConns connections are closed at once.
func TestSlowIdleAndTooManyClients(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	r := newRig(t, db, Config{FrameTimeout: 300 * time.Millisecond, IdleTimeout: time.Second, MaxConns: 2}, bus.JournalOptions{})
	r.source(t, "s", "127.0.0.1")
	l := r.listen(t, Addrs{TCP: "127.0.0.1:0"})
	closedWithin := func(c net.Conn, write func(), within time.Duration) bool {
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		done := make(chan struct{})
		go func() {
			io.Copy(io.Discard, c)
			close(done)
		}()
		for {
			select {
			case <-done:
				return time.Since(start) < within
			case <-time.After(100 * time.Millisecond):
				write()
			}
		}
	}
	slow, _ := net.Dial("tcp", l.TCP.String())
	defer slow.Close()
	slow.Write([]byte("<13>a frame that never"))
	if !closedWithin(slow, func() { slow.Write([]byte(" x")) }, 2*time.Second) {
		t.Error("a trickling client was not cut off")
	}
	idle, _ := net.Dial("tcp", l.TCP.String())
	defer idle.Close()
	if !closedWithin(idle, func() {}, 3*time.Second) {
		t.Error("an idle client was not closed")
	}
	a, _ := net.Dial("tcp", l.TCP.String())
	defer a.Close()
	b, _ := net.Dial("tcp", l.TCP.String())
	defer b.Close()
	fmt.Fprintf(a, "<13>one\n")
	fmt.Fprintf(b, "<13>two\n")
	time.Sleep(100 * time.Millisecond)
	c, _ := net.Dial("tcp", l.TCP.String())
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := bufio.NewReader(c).ReadByte(); err != io.EOF {
		t.Errorf("a third connection over MaxConns 2: %v, want it closed", err)
	}
}

// A full bus pushes back: the connection is not read until the bus takes
// the batch, and nothing is lost.
func TestPushBack(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, "sqlite")
	r := newRig(t, db, Config{MaxBatch: 100}, bus.JournalOptions{MaxBytes: 64 << 10, SegmentBytes: 16 << 10})
	r.source(t, "s", "127.0.0.1")
	l := r.listen(t, Addrs{TCP: "127.0.0.1:0"})
	c, _ := net.Dial("tcp", l.TCP.String())
	const n = 3000 // ~200 KB: three times what the journal holds
	go func() {
		w := bufio.NewWriter(c)
		for i := 0; i < n; i++ {
			fmt.Fprintf(w, "<13>Dec  3 10:00:00 host app: pushed back %05d\n", i)
		}
		w.Flush()
		c.Close()
	}()
	time.Sleep(300 * time.Millisecond) // the journal fills and refuses
	got := collect(t, r.j, n)
	if len(got) != n {
		t.Fatalf("%d records, want %d", len(got), n)
	}
	for i, rec := range got {
		if want := fmt.Sprintf("<13>Dec  3 10:00:00 host app: pushed back %05d", i); string(rec.Data) != want {
			t.Fatalf("record %d is %q, want %q", i, rec.Data, want)
		}
	}
	if st := r.j.Stats(); st.Refused == 0 {
		t.Error("the journal never refused: no push back was tested")
	}
}
