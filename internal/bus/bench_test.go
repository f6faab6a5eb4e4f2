package bus

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkJournalPublish measures durable records/s: publishers each send
// batches of a few syslog-sized records (about 150 bytes) and wait for the
// fsync covering them, as ingest does per TCP read. The issue asks for
// well over 50,000 events/s on a 2-core VM.
func BenchmarkJournalPublish(b *testing.B) {
	for _, c := range []struct{ publishers, batch int }{{1, 1}, {16, 1}, {16, 64}, {64, 64}} {
		b.Run(fmt.Sprintf("publishers=%d/batch=%d", c.publishers, c.batch), func(b *testing.B) {
			j, err := OpenJournal(b.TempDir(), JournalOptions{MaxBytes: 8 << 30})
			if err != nil {
				b.Fatal(err)
			}
			defer j.Close()
			benchPublish(b, j, c.publishers, c.batch)
		})
	}
}

func benchPublish(b *testing.B, j *Journal, publishers, batch int) {
	benchPublishBus(b, j, publishers, batch)
}

func benchPublishBus(b *testing.B, j Bus, publishers, batch int) {
	ctx := context.Background()
	var left atomic.Int64
	left.Store(int64(b.N))
	b.SetBytes(150)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recs := make([]Record, batch)
			for {
				n := left.Add(-int64(batch))
				if n+int64(batch) <= 0 {
					return
				}
				k := batch
				if n < 0 {
					k += int(n)
				}
				for i := range recs[:k] {
					recs[i] = rec(i)
				}
				if err := j.Publish(ctx, recs[:k]); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkJournalConsume measures how fast one group reads back durable
// records from the segment files, with publishers writing at the same time.
func BenchmarkJournalConsume(b *testing.B) {
	j, err := OpenJournal(b.TempDir(), JournalOptions{MaxBytes: 8 << 30})
	if err != nil {
		b.Fatal(err)
	}
	defer j.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.SetBytes(150)
	b.ResetTimer()
	start := time.Now()
	go benchPublish(b, j, 16, 64)
	var got int
	j.Consume(ctx, "bench", func(_ context.Context, recs []Record) error {
		got += len(recs)
		if got >= b.N {
			cancel()
		}
		return nil
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}

// BenchmarkJetStreamPublish measures records/s acknowledged by an embedded
// NATS server (file storage) with 16 publishers sending batches of 64.
func BenchmarkJetStreamPublish(b *testing.B) {
	s := openJS(b, JetStreamOptions{URL: embeddedNATS(b), MaxBytes: 8 << 30})
	benchPublishBus(b, s, 16, 64)
}

// BenchmarkJetStreamConsume measures records/s one process consumes (and
// acknowledges) from an embedded NATS server, the backlog published first.
func BenchmarkJetStreamConsume(b *testing.B) {
	s := openJS(b, JetStreamOptions{URL: embeddedNATS(b), MaxBytes: 8 << 30})
	benchPublishBus(b, s, 16, 64)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.ResetTimer()
	start := time.Now()
	got := 0
	s.Consume(ctx, GroupDetect, func(_ context.Context, recs []Record) error {
		got += len(recs)
		if got >= b.N {
			cancel()
		}
		return nil
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "records/s")
}
