package sources

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// Reasons an event is refused. The per-source ones are counted on the
// source; the others (no source to charge) in ingest's counters.
const (
	ReasonOversize      = "oversize"       // longer than the line or body limit
	ReasonInvalidUTF8   = "invalid_utf8"   // text that is not UTF-8
	ReasonBinary        = "binary"         // control bytes: not a log line
	ReasonMalformed     = "malformed"      // not a JSON object, broken framing or gzip
	ReasonFull          = "full"           // the pipeline was full (push back)
	ReasonRevoked       = "revoked"        // the source was revoked
	ReasonUnknownToken  = "unknown_token"  // no source has this token
	ReasonUnknownSender = "unknown_sender" // no source sends from this address
)

// Reasons lists every refusal reason, in the order pages show them.
var Reasons = []string{ReasonOversize, ReasonInvalidUTF8, ReasonBinary, ReasonMalformed, ReasonFull, ReasonRevoked, ReasonUnknownToken, ReasonUnknownSender}

func reasonIndex(r string) int {
	for i, v := range Reasons {
		if v == r {
			return i
		}
	}
	return -1
}

// Tally counts one source's events in memory until Flush writes them.
// Its methods are safe for concurrent use and cost a few atomic adds:
// ingest calls them once per batch, not per event.
type Tally struct {
	accepted atomic.Int64
	refused  [8]atomic.Int64 // by reasonIndex
	first    atomic.Int64    // micros of the first accepted batch since the last flush
	last     atomic.Int64    // micros of the last accepted batch
}

// Accept counts n events accepted at at.
func (t *Tally) Accept(n int, at time.Time) {
	if n <= 0 {
		return
	}
	t.accepted.Add(int64(n))
	us := at.UnixMicro()
	t.first.CompareAndSwap(0, us)
	for {
		old := t.last.Load()
		if old >= us || t.last.CompareAndSwap(old, us) {
			break
		}
	}
}

// Refuse counts n events refused for reason (one of Reasons).
func (t *Tally) Refuse(reason string, n int) {
	if i := reasonIndex(reason); i >= 0 && n > 0 {
		t.refused[i].Add(int64(n))
	}
}

type tallies struct {
	bySource sync.Map // int64 -> *Tally

	mu       sync.Mutex
	counters map[string]int64          // ingest's own, by name
	unknown  map[netip.Addr]*unknownAt // bounded by maxUnknown
}

type unknownAt struct {
	count       int64
	first, last int64
	sample      string
}

// maxUnknown bounds the unknown senders remembered, in memory and in the
// table: a spoofed-address flood fills it and no more.
const maxUnknown = 1000

// Tally returns the counters of source id, for ingest to keep while a
// connection lasts.
func (s *Service) Tally(id int64) *Tally {
	if t, ok := s.tallies.bySource.Load(id); ok {
		return t.(*Tally)
	}
	t, _ := s.tallies.bySource.LoadOrStore(id, &Tally{})
	return t.(*Tally)
}

// Count adds n to one of ingest's own counters (UDP drops, refusals no
// source can be charged with), flushed with the rest.
func (s *Service) Count(name string, n int64) {
	if n == 0 {
		return
	}
	s.tallies.mu.Lock()
	if s.tallies.counters == nil {
		s.tallies.counters = map[string]int64{}
	}
	s.tallies.counters[name] += n
	s.tallies.mu.Unlock()
}

// NoteUnknownSender remembers a syslog sender no source claims, with a
// sample of what it sent (cut to 200 bytes of valid UTF-8).
func (s *Service) NoteUnknownSender(addr netip.Addr, n int, sample []byte) {
	addr = addr.Unmap().WithZone("")
	now := s.now().UnixMicro()
	s.tallies.mu.Lock()
	defer s.tallies.mu.Unlock()
	if s.tallies.unknown == nil {
		s.tallies.unknown = map[netip.Addr]*unknownAt{}
	}
	u := s.tallies.unknown[addr]
	if u == nil {
		if len(s.tallies.unknown) >= maxUnknown {
			return
		}
		u = &unknownAt{first: now, sample: cleanSample(sample)}
		s.tallies.unknown[addr] = u
	}
	u.count += int64(n)
	u.last = now
}

func cleanSample(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	s := strings.ToValidUTF8(string(b), "�")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// Run flushes the counters every interval until ctx ends, then once more.
func (s *Service) Run(ctx context.Context, every time.Duration, logger *slog.Logger) {
	if logger == nil {
		logger = slog.Default()
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := s.Flush(fctx); err != nil {
				logger.Warn("sources: final flush of the counters failed", "err", err)
			}
			cancel()
			return
		case <-t.C:
			if err := s.Flush(ctx); err != nil && ctx.Err() == nil {
				logger.Warn("sources: flush of the counters failed; kept for the next", "err", err)
			}
		}
	}
}

// sourceDelta is one source's counts taken from its Tally.
type sourceDelta struct {
	id          int64
	t           *Tally
	accepted    int64
	refused     [8]int64
	first, last int64
}

func (d *sourceDelta) refusedTotal() int64 {
	var n int64
	for _, v := range d.refused {
		n += v
	}
	return n
}

// giveBack returns counts a failed flush could not write.
func (d *sourceDelta) giveBack() {
	d.t.accepted.Add(d.accepted)
	for i, v := range d.refused {
		d.t.refused[i].Add(v)
	}
	d.t.first.CompareAndSwap(0, d.first)
	for {
		old := d.t.last.Load()
		if old >= d.last || d.t.last.CompareAndSwap(old, d.last) {
			break
		}
	}
}

// Flush writes the counts kept in memory since the last flush, in one
// transaction; on failure they are kept for the next.
func (s *Service) Flush(ctx context.Context) error {
	var deltas []*sourceDelta
	s.tallies.bySource.Range(func(k, v any) bool {
		t := v.(*Tally)
		d := &sourceDelta{id: k.(int64), t: t, accepted: t.accepted.Swap(0), first: t.first.Swap(0), last: t.last.Swap(0)}
		for i := range t.refused {
			d.refused[i] = t.refused[i].Swap(0)
		}
		if d.accepted != 0 || d.refusedTotal() != 0 || d.last != 0 {
			deltas = append(deltas, d)
		}
		return true
	})
	s.tallies.mu.Lock()
	counters, unknown := s.tallies.counters, s.tallies.unknown
	s.tallies.counters, s.tallies.unknown = nil, nil
	s.tallies.mu.Unlock()
	if len(deltas) == 0 && len(counters) == 0 && len(unknown) == 0 {
		return nil
	}
	now := store.Micros(s.now())
	err := s.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, d := range deltas {
			if _, err := tx.Exec(ctx, `UPDATE sources SET accepted = accepted + ?, refused = refused + ?,
				first_event_at = CASE WHEN first_event_at = 0 THEN ? ELSE first_event_at END,
				last_event_at = CASE WHEN ? > last_event_at THEN ? ELSE last_event_at END WHERE id = ?`,
				d.accepted, d.refusedTotal(), d.first, d.last, d.last, d.id); err != nil {
				return err
			}
			for i, n := range d.refused {
				if n == 0 {
					continue
				}
				if _, err := tx.Exec(ctx, `INSERT INTO source_refusals (source_id, reason, count) VALUES (?, ?, ?)
					ON CONFLICT (source_id, reason) DO UPDATE SET count = source_refusals.count + excluded.count`, d.id, Reasons[i], n); err != nil {
					return err
				}
			}
		}
		for name, n := range counters {
			if _, err := tx.Exec(ctx, `INSERT INTO ingest_counters (name, value, since, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (name) DO UPDATE SET value = ingest_counters.value + excluded.value, updated_at = excluded.updated_at`, name, n, now, now); err != nil {
				return err
			}
		}
		if len(unknown) == 0 {
			return nil
		}
		var held int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM unknown_senders`).Scan(&held); err != nil {
			return err
		}
		for addr, u := range unknown {
			res, err := tx.Exec(ctx, `UPDATE unknown_senders SET count = count + ?, last_seen = ? WHERE address = ?`, u.count, u.last, addr.String())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 || held >= maxUnknown {
				continue
			}
			if _, err := tx.Exec(ctx, `INSERT INTO unknown_senders (address, count, first_seen, last_seen, sample) VALUES (?, ?, ?, ?, ?)`,
				addr.String(), u.count, u.first, u.last, u.sample); err != nil {
				return err
			}
			held++
		}
		return nil
	})
	if err != nil {
		for _, d := range deltas {
			d.giveBack()
		}
		for name, n := range counters {
			s.Count(name, n)
		}
		s.tallies.mu.Lock()
		if s.tallies.unknown == nil {
			s.tallies.unknown = unknown
		}
		s.tallies.mu.Unlock()
		return fmt.Errorf("sources: flush counters: %w", err)
	}
	return nil
}

// UnknownSender is a syslog sender no source claims.
type UnknownSender struct {
	Address   string    `json:"address"`
	Count     int64     `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	Sample    string    `json:"sample"`
}

// UnknownSortKeys are the columns the unknown senders sort by.
var UnknownSortKeys = []string{"address", "count", "last_seen"}

var unknownSorts = map[string]string{"address": "address", "count": "count", "last_seen": "last_seen"}

// UnknownSenders lists the syslog senders no source claims, most recent
// first. They belong to no unit: only callers who see every unit see
// them (others get an empty list).
func (s *Service) UnknownSenders(ctx context.Context, sort string, desc bool, offset, limit int) ([]*UnknownSender, int, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, 0, err
	}
	if !p.SeesAllUnits() {
		return []*UnknownSender{}, 0, nil
	}
	// The list's key must be an integer: first_seen is one, and unique
	// enough to break ties after the sort column.
	l := store.NewList("first_seen DESC", limit, 100)
	if sort == "" {
		l.OrderBy("last_seen", true)
	} else if expr, ok := unknownSorts[sort]; ok {
		l.OrderBy(expr, desc)
	} else {
		return nil, 0, errs.Invalid("sort", "cannot sort by %q; sort by one of %s", sort, strings.Join(UnknownSortKeys, ", "))
	}
	l.Skip(offset)
	out, total, err := store.FetchPage(ctx, s.DB, l, `SELECT address, count, first_seen, last_seen, sample`, ` FROM unknown_senders`, func(sc store.Scanner) (*UnknownSender, error) {
		var u UnknownSender
		var f, la int64
		if err := sc.Scan(&u.Address, &u.Count, &f, &la, &u.Sample); err != nil {
			return nil, err
		}
		u.FirstSeen, u.LastSeen = store.Time(f), store.Time(la)
		if !utf8.ValidString(u.Sample) {
			u.Sample = strings.ToValidUTF8(u.Sample, "�")
		}
		return &u, nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("sources: unknown senders: %w", err)
	}
	return out, total, nil
}

// Counter is one of ingest's own counters as stored.
type Counter struct {
	Name      string    `json:"name"`
	Value     int64     `json:"value"`
	Since     time.Time `json:"since"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Counters returns ingest's own counters (UDP drops, refusals no source
// is charged with), for callers who see every unit.
func (s *Service) Counters(ctx context.Context) (map[string]Counter, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]Counter{}
	if !p.SeesAllUnits() {
		return out, nil
	}
	rows, err := s.DB.Query(ctx, `SELECT name, value, since, updated_at FROM ingest_counters`)
	if err != nil {
		return nil, fmt.Errorf("sources: counters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var c Counter
		var since, upd int64
		if err := rows.Scan(&c.Name, &c.Value, &since, &upd); err != nil {
			return nil, err
		}
		c.Since, c.UpdatedAt = store.Time(since), store.Time(upd)
		out[c.Name] = c
	}
	return out, rows.Err()
}
