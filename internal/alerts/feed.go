package alerts

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/store"
)

// The live feed: one poller per hub process reads the alerts changed since
// its cursor every PollEvery and hands each to the subscribers whose scope
// covers it. Polling the database (rather than notifying in memory) is what
// lets a page served by one hub process see the alerts another one
// records; one poller, however many pages are open, keeps the cost flat.

// PollEvery is how often the feed reads the changes.
var PollEvery = time.Second

// MaxSubscriptionsPerUser bounds the live pages one user keeps open (each
// holds a connection and a buffer).
const MaxSubscriptionsPerUser = 5

// lookback re-reads changes this far behind the cursor: a transaction that
// stamped its change before the cursor but committed after it (another
// process, a slow batch) is still seen. Alerts already sent at the same
// change time are not sent twice.
const lookback = 5 * time.Second

// Subscription receives the alerts in its subscriber's scope as they
// change. A nil alert means the subscriber fell behind and some changes
// were dropped: reload.
type Subscription struct {
	C <-chan *Alert

	c    chan *Alert
	p    *auth.Principal
	lost bool
}

type feed struct {
	subs   map[*Subscription]struct{}
	cancel context.CancelFunc
}

// Subscribe starts receiving the changes of alerts the caller can see.
// Call the returned function to stop; it closes C.
func (s *Service) Subscribe(ctx context.Context) (*Subscription, func(), error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, nil, err
	}
	sub := &Subscription{c: make(chan *Alert, 256), p: p}
	sub.C = sub.c
	s.feedMu.Lock()
	if s.feed != nil {
		n := 0
		for o := range s.feed.subs {
			if o.p.UserID == p.UserID && o.p.Email == p.Email {
				n++
			}
		}
		if n >= MaxSubscriptionsPerUser {
			s.feedMu.Unlock()
			return nil, nil, errs.Errorf(errs.ETOOMANY, "too many live pages open: close one and try again")
		}
	}
	if s.feed == nil {
		pctx, cancel := context.WithCancel(context.Background())
		s.feed = &feed{subs: map[*Subscription]struct{}{}, cancel: cancel}
		go s.poll(pctx, s.feed)
	}
	s.feed.subs[sub] = struct{}{}
	s.feedMu.Unlock()
	var once sync.Once
	return sub, func() {
		once.Do(func() {
			s.feedMu.Lock()
			defer s.feedMu.Unlock()
			if s.feed == nil {
				return
			}
			delete(s.feed.subs, sub)
			close(sub.c)
			if len(s.feed.subs) == 0 {
				s.feed.cancel()
				s.feed = nil
			}
		})
	}, nil
}

func (s *Service) poll(ctx context.Context, f *feed) {
	cursor := store.Micros(s.now())
	sent := map[int64]int64{} // alert id → change time sent
	t := time.NewTicker(PollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changed, err := s.changedSince(ctx, cursor-lookback.Microseconds())
		if err != nil {
			if ctx.Err() == nil {
				slog.Warn("alerts feed", "err", err)
			}
			continue
		}
		var fresh []*Alert
		for _, a := range changed {
			at := store.Micros(a.ChangedAt)
			if sent[a.ID] == at {
				continue
			}
			sent[a.ID] = at
			cursor = max(cursor, at)
			fresh = append(fresh, a)
		}
		for id, at := range sent {
			if at < cursor-2*lookback.Microseconds() {
				delete(sent, id)
			}
		}
		if len(fresh) == 0 {
			continue
		}
		s.feedMu.Lock()
		if s.feed == f {
			for sub := range f.subs {
				for _, a := range fresh {
					if !sub.p.CanRead(a.unitPath) {
						continue
					}
					select {
					case sub.c <- a:
					default:
						sub.lost = true
					}
				}
				if sub.lost {
					select {
					case sub.c <- nil:
						sub.lost = false
					default:
					}
				}
			}
		}
		s.feedMu.Unlock()
	}
}

// changedSince reads the alerts changed at or after since (µs), oldest
// change first, at most 1000.
func (s *Service) changedSince(ctx context.Context, since int64) ([]*Alert, error) {
	rows, err := s.DB.Query(ctx, `SELECT `+columns+from+` WHERE a.changed_at >= ? ORDER BY a.changed_at, a.id LIMIT 1000`, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Alert
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Matcher returns whether an alert passes f (its unit, severity, status,
// rule, host and assignee conditions), for live pages that filter the
// feed as their list is filtered.
func (s *Service) Matcher(ctx context.Context, f Filter) (func(*Alert) bool, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return nil, err
	}
	path := ""
	if f.Unit != "" {
		if _, path, err = s.unitPathByCode(ctx, p, f.Unit); err != nil {
			return nil, err
		}
	}
	statuses, err := expand("status", f.Statuses, Statuses)
	if err != nil {
		return nil, err
	}
	sevs, err := expand("severity", f.Severities, Severities)
	if err != nil {
		return nil, err
	}
	host, assignee := "", strings.ToLower(strings.TrimSpace(f.Assignee))
	if f.Host != "" {
		host = hostKey(f.Host)
	}
	return func(a *Alert) bool {
		switch {
		case !p.CanRead(a.unitPath), path != "" && !strings.HasPrefix(a.unitPath, path),
			len(statuses) > 0 && !slices.Contains(statuses, a.Status),
			len(sevs) > 0 && !slices.Contains(sevs, a.Severity),
			f.Rule != "" && a.RuleID != strings.TrimSpace(f.Rule),
			host != "" && hostKey(a.Host) != host,
			f.HostID != 0 && a.HostID != f.HostID,
			assignee == "none" && a.Assignee != "",
			assignee != "" && assignee != "none" && a.Assignee != assignee:
			return false
		}
		return true
	}, nil
}

// Closing is closed by CloseStreams: live streams end when it is, so a
// hub shutting down is not held up by pages left open.
func (s *Service) Closing() <-chan struct{} {
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	if s.closing == nil {
		s.closing = make(chan struct{})
	}
	return s.closing
}

// CloseStreams ends every live stream (the hub calls it when it shuts
// down).
func (s *Service) CloseStreams() {
	s.feedMu.Lock()
	defer s.feedMu.Unlock()
	if s.closing == nil {
		s.closing = make(chan struct{})
	}
	select {
	case <-s.closing:
	default:
		close(s.closing)
	}
}
