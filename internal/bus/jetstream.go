package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// GroupDetect is the consumer group of the detection pipeline. Buses
// create it when they open, so records published before a detect process
// first consumes are kept for it.
const GroupDetect = "detect"

// JetStreamOptions configure a JetStream bus; only URL is required.
type JetStreamOptions struct {
	// URL is the NATS server, nats://HOST:PORT (several separated by
	// commas).
	URL string
	// Stream and Subject name the stream (VIGIL_EVENTS, vigil.events).
	Stream, Subject string
	// MaxBytes caps the stream; Publish returns ErrFull beyond it
	// (DefaultJournalMaxBytes when 0).
	MaxBytes int64
	// Groups are created at open (GroupDetect when empty): the stream
	// keeps a record until every group has acknowledged it, and drops
	// records no group is there to receive.
	Groups []string
	// MaxAckPending bounds the records handed out and not yet
	// acknowledged, per group across all processes (8192 when 0).
	MaxAckPending int
	// AckWait is how long a record handed to a process that then died
	// waits before it is delivered to another (30 s when 0).
	AckWait time.Duration
	// BatchRecords is the most records one handler call gets (1000 when 0).
	BatchRecords int
	Logger       *slog.Logger
}

// JetStream is the Bus of several hub processes: one NATS JetStream stream
// (file storage, interest retention, discard new at MaxBytes) and a durable
// pull consumer per group that every process of the group shares.
type JetStream struct {
	opts JetStreamOptions
	log  *slog.Logger
	nc   *nats.Conn
	js   jetstream.JetStream

	published, refused, consumed atomic.Uint64
	mu                           sync.Mutex
	state                        jetstream.StreamState
	stop                         chan struct{}
	done                         chan struct{}
	closeOnce                    sync.Once
}

// OpenJetStream connects to NATS and creates (or updates) the stream and
// the groups' consumers.
func OpenJetStream(ctx context.Context, opts JetStreamOptions) (*JetStream, error) {
	if opts.Stream == "" {
		opts.Stream = "VIGIL_EVENTS"
	}
	if opts.Subject == "" {
		opts.Subject = "vigil.events"
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultJournalMaxBytes
	}
	if len(opts.Groups) == 0 {
		opts.Groups = []string{GroupDetect}
	}
	if opts.MaxAckPending <= 0 {
		opts.MaxAckPending = 8192
	}
	if opts.AckWait <= 0 {
		opts.AckWait = 30 * time.Second
	}
	if opts.BatchRecords <= 0 {
		opts.BatchRecords = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger
	nc, err := nats.Connect(opts.URL, nats.Name("vigil hub"), nats.Timeout(5*time.Second), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("event bus: disconnected from NATS; reconnecting", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("event bus: reconnected to NATS", "server", c.ConnectedUrlRedacted()) }))
	if err != nil {
		return nil, fmt.Errorf("event bus: cannot reach NATS at %s: %w", opts.URL, err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("event bus: %w", err)
	}
	s := &JetStream{opts: opts, log: log, nc: nc, js: js, stop: make(chan struct{}), done: make(chan struct{})}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: opts.Stream, Description: "events received by Vigil hubs, kept until detection has them",
		Subjects: []string{opts.Subject}, Storage: jetstream.FileStorage, Retention: jetstream.InterestPolicy,
		Discard: jetstream.DiscardNew, MaxBytes: opts.MaxBytes, MaxMsgSize: MaxRecordBytes + 1024,
	})
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("event bus: create the stream %s on %s (is JetStream enabled?): %w", opts.Stream, opts.URL, err)
	}
	for _, g := range opts.Groups {
		if _, err := s.consumer(ctx, g); err != nil {
			nc.Close()
			return nil, err
		}
	}
	s.refresh(ctx)
	go s.refresher()
	return s, nil
}

func (s *JetStream) consumer(ctx context.Context, group string) (jetstream.Consumer, error) {
	if !groupName.MatchString(group) {
		return nil, fmt.Errorf("event bus: consumer group %q: use letters, digits, '.', '_' or '-' (at most 64)", group)
	}
	c, err := s.js.CreateOrUpdateConsumer(ctx, s.opts.Stream, jetstream.ConsumerConfig{
		Durable: group, Description: "Vigil consumer group " + group,
		DeliverPolicy: jetstream.DeliverAllPolicy, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: s.opts.AckWait, MaxAckPending: s.opts.MaxAckPending, MaxDeliver: -1, FilterSubject: s.opts.Subject,
	})
	if err != nil {
		return nil, fmt.Errorf("event bus: create the consumer %s on stream %s: %w", group, s.opts.Stream, err)
	}
	return c, nil
}

// Publish sends recs and waits for the stream's acknowledgement of every
// one (stored on the NATS server's disk). When the stream is full it
// returns ErrFull; records already stored are kept, so a retry may
// duplicate some (at-least-once).
func (s *JetStream) Publish(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	size := 0
	for i := range recs {
		if len(recs[i].Data) > MaxRecordBytes {
			return fmt.Errorf("event bus: a record of %d bytes exceeds the %d-byte limit", len(recs[i].Data), MaxRecordBytes)
		}
		size += frameSize(&recs[i])
	}
	buf := make([]byte, 0, size)
	futures := make([]jetstream.PubAckFuture, 0, len(recs))
	var sendErr error
	for i := range recs {
		start := len(buf)
		buf = appendFrame(buf, 0, &recs[i])
		f, err := s.js.PublishMsgAsync(&nats.Msg{Subject: s.opts.Subject, Data: buf[start:len(buf):len(buf)]}, jetstream.WithStallWait(10*time.Second))
		if err != nil {
			sendErr = err
			break
		}
		futures = append(futures, f)
	}
	var full, failed int
	var firstErr error
	for i, f := range futures {
		select {
		case ack := <-f.Ok():
			recs[i].Seq = ack.Sequence
		case err := <-f.Err():
			if isFull(err) {
				full++
			} else {
				failed++
				firstErr = cmpOr(firstErr, err)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.published.Add(uint64(len(futures) - full - failed))
	switch {
	case full > 0:
		s.refused.Add(uint64(full))
		return ErrFull
	case firstErr != nil:
		return fmt.Errorf("event bus: publish to %s: %w", s.opts.Stream, firstErr)
	case sendErr != nil:
		return fmt.Errorf("event bus: publish to %s: %w", s.opts.Stream, sendErr)
	}
	return nil
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// isFull tells the stream's "maximum bytes exceeded" (discard new) from
// other failures.
func isFull(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		d := strings.ToLower(apiErr.Description)
		return strings.Contains(d, "maximum bytes") || strings.Contains(d, "maximum messages")
	}
	return false
}

// Consume pulls the group's records from the durable consumer and hands
// them in batches to handle until ctx ends (then it returns nil). Each
// record is acknowledged after handle returns nil; otherwise it is
// delivered again (to this or another process) after a pause, after
// records published later: order holds only between failures.
func (s *JetStream) Consume(ctx context.Context, group string, handle func(context.Context, []Record) error) error {
	cons, err := s.consumer(ctx, group)
	if err != nil {
		return err
	}
	msgs := make(chan jetstream.Msg, s.opts.BatchRecords)
	cc, err := cons.Consume(func(m jetstream.Msg) {
		select {
		case msgs <- m:
		case <-ctx.Done():
			// Not acknowledged: delivered again after AckWait.
		}
	}, jetstream.PullMaxMessages(2*s.opts.BatchRecords), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		s.log.Debug("event bus: pull", "group", group, "err", err)
	}))
	if err != nil {
		return fmt.Errorf("event bus: consume %s: %w", group, err)
	}
	defer cc.Stop()
	pause := 100 * time.Millisecond
	batch := make([]jetstream.Msg, 0, s.opts.BatchRecords)
	recs := make([]Record, 0, s.opts.BatchRecords)
	for {
		batch, recs = batch[:0], recs[:0]
		select {
		case <-ctx.Done():
			return nil
		case m := <-msgs:
			batch = append(batch, m)
		}
	fill:
		for len(batch) < s.opts.BatchRecords {
			select {
			case m := <-msgs:
				batch = append(batch, m)
			default:
				break fill
			}
		}
		kept := batch[:0]
		for _, m := range batch {
			var r Record
			n, _, err := readFrame(m.Data(), &r)
			if err == nil && n != len(m.Data()) {
				err = errCorrupt
			}
			if err != nil {
				s.log.Error("event bus: a record in the stream cannot be decoded; dropped", "stream", s.opts.Stream, "err", err)
				m.Term()
				continue
			}
			if meta, err := m.Metadata(); err == nil {
				r.Seq = meta.Sequence.Stream
			}
			recs = append(recs, r)
			kept = append(kept, m)
		}
		if len(recs) == 0 {
			continue
		}
		if herr := handle(ctx, recs); herr != nil {
			for _, m := range kept {
				m.NakWithDelay(pause)
			}
			if ctx.Err() != nil {
				return nil
			}
			s.log.Warn("event bus: a batch was not handled; it is delivered again", "group", group, "records", len(recs), "err", herr, "retry_in", pause)
			pause = min(2*pause, 10*time.Second)
			continue
		}
		pause = 100 * time.Millisecond
		for _, m := range kept {
			m.Ack()
		}
		s.consumed.Add(uint64(len(kept)))
	}
}

func (s *JetStream) refresher() {
	defer close(s.done)
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			s.refresh(ctx)
			cancel()
		}
	}
}

func (s *JetStream) refresh(ctx context.Context) {
	st, err := s.js.Stream(ctx, s.opts.Stream)
	if err != nil {
		return
	}
	info, err := st.Info(ctx)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.state = info.State
	s.mu.Unlock()
}

// Stats are this process's counters and the stream's backlog (as of the
// last look, every 2 s).
func (s *JetStream) Stats() Stats {
	s.mu.Lock()
	st := s.state
	s.mu.Unlock()
	return Stats{Kind: "jetstream", Where: s.nc.ConnectedUrlRedacted(), Published: s.published.Load(), Refused: s.refused.Load(),
		Consumed: s.consumed.Load(), Pending: st.Msgs, Bytes: int64(st.Bytes), MaxBytes: s.opts.MaxBytes}
}

// Close flushes acknowledgements and disconnects.
func (s *JetStream) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.done
		if s.nc.IsConnected() {
			s.nc.FlushTimeout(2 * time.Second) // acknowledgements in flight
		}
		s.nc.Close()
	})
	return nil
}
