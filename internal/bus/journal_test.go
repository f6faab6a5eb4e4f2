package bus

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/internal/detect"
)

func openTest(t testing.TB, dir string, opts JournalOptions) *Journal {
	t.Helper()
	j, err := OpenJournal(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func rec(i int) Record {
	return Record{SourceID: int64(i % 7), UnitID: 3, Format: FormatText, Remote: "10.0.0.1:514",
		Received: time.UnixMicro(1_700_000_000_000_000 + int64(i)).UTC(), Data: []byte(fmt.Sprintf("<13>Dec  3 10:00:00 host app: line %d", i))}
}

// collect consumes group until n records arrived or the deadline passes.
func collect(t *testing.T, j *Journal, group string, n int) []Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var mu sync.Mutex
	var got []Record
	done := make(chan error, 1)
	go func() {
		done <- j.Consume(ctx, group, func(_ context.Context, recs []Record) error {
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
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) < n {
		t.Fatalf("consumed %d records, want %d", len(got), n)
	}
	return got
}

func TestJournalRoundTrip(t *testing.T) {
	dir := t.TempDir()
	j := openTest(t, dir, JournalOptions{})
	ctx := context.Background()
	var want []Record
	for b := 0; b < 10; b++ {
		var recs []Record
		for i := 0; i < 50; i++ {
			recs = append(recs, rec(b*50+i))
		}
		if err := j.Publish(ctx, recs); err != nil {
			t.Fatal(err)
		}
		want = append(want, recs...)
	}
	got := collect(t, j, "pipeline", len(want))
	for i := range want {
		w, g := want[i], got[i]
		if g.Seq != uint64(i+1) || w.Seq != g.Seq || g.SourceID != w.SourceID || g.UnitID != w.UnitID || g.Format != w.Format ||
			g.Remote != w.Remote || !g.Received.Equal(w.Received) || string(g.Data) != string(w.Data) {
			t.Fatalf("record %d: got %+v, want %+v", i, g, w)
		}
	}
	st := j.Stats()
	if st.Published != 500 || st.Consumed != 500 || st.Kind != "journal" {
		t.Errorf("stats %+v", st)
	}
}

func TestJournalConcurrentPublishersAndReopen(t *testing.T) {
	dir := t.TempDir()
	j := openTest(t, dir, JournalOptions{SegmentBytes: 8 << 10})
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if err := j.Publish(ctx, []Record{rec(w*1000 + i)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	got := collect(t, j, "pipeline", 800)
	seen := map[string]bool{}
	for i, r := range got {
		if r.Seq != uint64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
		seen[string(r.Data)] = true
	}
	if len(seen) != 800 {
		t.Fatalf("%d distinct records, want 800", len(seen))
	}
	// Positions survive a close; new records go to the group only.
	if err := j.Publish(ctx, []Record{rec(5000)}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = openTest(t, dir, JournalOptions{SegmentBytes: 8 << 10})
	got = collect(t, j, "pipeline", 1)
	if len(got) != 1 || got[0].Seq != 801 {
		t.Fatalf("after reopen got %d records starting at seq %d, want 1 at 801", len(got), got[0].Seq)
	}
	// A group seen for the first time reads what is still held.
	if st := j.Stats(); st.Pending != 0 {
		t.Errorf("pending %d after the only group read everything", st.Pending)
	}
}

func TestJournalRedeliversFailedBatch(t *testing.T) {
	j := openTest(t, t.TempDir(), JournalOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := j.Publish(ctx, []Record{rec(1), rec(2)}); err != nil {
		t.Fatal(err)
	}
	calls := 0
	err := j.Consume(ctx, "pipeline", func(_ context.Context, recs []Record) error {
		calls++
		if calls == 1 {
			return errors.New("database busy")
		}
		if len(recs) != 2 || recs[0].Seq != 1 {
			t.Errorf("redelivered %d records from %d", len(recs), recs[0].Seq)
		}
		cancel()
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("err %v after %d calls", err, calls)
	}
}

func TestJournalCutsTornTail(t *testing.T) {
	dir := t.TempDir()
	j := openTest(t, dir, JournalOptions{})
	if err := j.Publish(context.Background(), []Record{rec(1), rec(2), rec(3)}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	seg := filepath.Join(dir, segName(1))
	info, _ := os.Stat(seg)
	// A crash in the middle of the fourth record's write.
	half := appendFrame(nil, 4, ptr(rec(4)))
	f, _ := os.OpenFile(seg, os.O_WRONLY|os.O_APPEND, 0)
	f.Write(half[:len(half)/2])
	f.Close()
	j = openTest(t, dir, JournalOptions{})
	if r := j.Recovered(); r.TornBytes != int64(len(half)/2) || r.Segment != seg {
		t.Fatalf("recovery %+v, want %d bytes cut from %s", r, len(half)/2, seg)
	}
	if after, _ := os.Stat(seg); after.Size() != info.Size() {
		t.Fatalf("segment is %d bytes after recovery, want %d", after.Size(), info.Size())
	}
	if err := j.Publish(context.Background(), []Record{rec(4)}); err != nil {
		t.Fatal(err)
	}
	got := collect(t, j, "pipeline", 4)
	if got[3].Seq != 4 || string(got[3].Data) != string(rec(4).Data) {
		t.Fatalf("fourth record %+v", got[3])
	}
}

func ptr[T any](v T) *T { return &v }

func TestJournalFullPushesBackThenFrees(t *testing.T) {
	dir := t.TempDir()
	j := openTest(t, dir, JournalOptions{MaxBytes: 64 << 10, SegmentBytes: 8 << 10})
	ctx := context.Background()
	if _, err := j.groupFor("pipeline"); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		err := j.Publish(ctx, []Record{rec(n), rec(n + 1)})
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n += 2
		if n > 10000 {
			t.Fatal("never full")
		}
	}
	st := j.Stats()
	if st.Refused != 2 || st.Bytes > 64<<10 || st.Pending != uint64(n) {
		t.Fatalf("stats when full %+v (published %d)", st, n)
	}
	collect(t, j, "pipeline", n)
	deadline := time.Now().Add(5 * time.Second)
	for j.Stats().Bytes > 16<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("segments not deleted after every group read them: %+v", j.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := j.Publish(ctx, []Record{rec(1)}); err != nil {
		t.Fatalf("publish after the backlog was read: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	segs := 0
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), segSuffix) {
			segs++
		}
	}
	if segs > 2 {
		t.Errorf("%d segments left", segs)
	}
}

func TestJournalRefusesSecondProcess(t *testing.T) {
	dir := t.TempDir()
	openTest(t, dir, JournalOptions{})
	_, err := OpenJournal(dir, JournalOptions{})
	if err == nil || !strings.Contains(err.Error(), "in use by another process") || !strings.Contains(err.Error(), "--bus nats://") {
		t.Fatalf("second open: %v", err)
	}
}

// TestJournalKill9 publishes from a child process, kills it with SIGKILL
// while it publishes, and checks that every record it had acknowledged is
// in the journal.
func TestJournalKill9(t *testing.T) {
	if dir := os.Getenv("VIGIL_BUS_KILL_CHILD"); dir != "" {
		j, err := OpenJournal(dir, JournalOptions{SegmentBytes: 256 << 10})
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		out := bufio.NewWriter(os.Stdout)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					recs := []Record{rec(w<<24 | i)}
					if err := j.Publish(context.Background(), recs); err != nil {
						return
					}
					mu.Lock()
					fmt.Fprintln(out, recs[0].Seq, string(recs[0].Data))
					out.Flush()
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return
	}
	if testing.Short() {
		t.Skip("kill -9 of a child process; not in -short mode")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestJournalKill9$")
	cmd.Env = append(os.Environ(), "VIGIL_BUS_KILL_CHILD="+dir)
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]string{}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		seq, data, _ := strings.Cut(sc.Text(), " ")
		n, err := strconv.ParseUint(seq, 10, 64)
		if err != nil {
			t.Fatalf("child said %q", sc.Text())
		}
		acked[n] = data
		if len(acked) == 3000 {
			cmd.Process.Kill() // SIGKILL
		}
	}
	cmd.Wait()
	if len(acked) < 3000 {
		t.Fatalf("child acknowledged only %d records", len(acked))
	}
	j := openTest(t, dir, JournalOptions{SegmentBytes: 256 << 10})
	got := collect(t, j, "check", len(acked))
	have := map[uint64]string{}
	for _, r := range got {
		have[r.Seq] = string(r.Data)
	}
	for seq, data := range acked {
		if have[seq] != data {
			t.Fatalf("acknowledged record %d (%q) lost after kill -9: have %q", seq, data, have[seq])
		}
	}
	t.Logf("%d acknowledged, %d in the journal after kill -9, torn tail %+v", len(acked), len(got), j.Recovered())
}

func TestEventRoundTrip(t *testing.T) {
	in := detect.Event{Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), Host: "ws-01", Source: "upload.evtx", Record: 42,
		Product: "windows", Service: "security", Damage: "chunk 3",
		Fields: []detect.Field{{Name: "EventID", Value: "4625"}, {Name: "TargetUserName", Value: "nguyễn"}, {Name: "Empty", Value: ""}}}
	b := EncodeEvent(nil, &in)
	var out detect.Event
	if err := DecodeEvent(b, &out); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(in) != fmt.Sprint(out) {
		t.Fatalf("got %+v\nwant %+v", out, in)
	}
	for i := range b {
		if err := DecodeEvent(b[:i], &out); err == nil {
			t.Fatalf("truncated to %d bytes: no error", i)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add(EncodeEvent(nil, &detect.Event{Host: "h", Fields: []detect.Field{{Name: "a", Value: "b"}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var e detect.Event
		if DecodeEvent(b, &e) == nil {
			again := EncodeEvent(nil, &e)
			var e2 detect.Event
			if err := DecodeEvent(again, &e2); err != nil || fmt.Sprint(e) != fmt.Sprint(e2) {
				t.Fatalf("re-encoded event differs: %v", err)
			}
		}
	})
}

func FuzzReadFrame(f *testing.F) {
	f.Add(appendFrame(nil, 1, ptr(rec(1))))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Record
		n, _, err := readFrame(b, &r)
		if err == nil && n > len(b) {
			t.Fatalf("used %d of %d bytes", n, len(b))
		}
	})
}
