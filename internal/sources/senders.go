package sources

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"vigil/internal/store"
)

// Syslog carries no token: a datagram or connection is charged to the
// active source whose sender addresses hold the peer's address, the most
// specific prefix winning. The table lives in memory, reloaded at once
// after a change here and every senderRefresh for changes made by other
// hub processes.

const senderRefresh = 10 * time.Second

type senderTable struct {
	exact    map[netip.Addr]Identity
	prefixes []senderPrefix // most specific first
	loaded   time.Time
}

type senderPrefix struct {
	pf netip.Prefix
	id Identity
}

type senderSnapshot struct {
	table     atomic.Pointer[senderTable]
	stale     atomic.Bool
	reloading atomic.Bool
	mu        sync.Mutex // one synchronous reload at a time
}

func (ss *senderSnapshot) invalidate() { ss.stale.Store(true) }

// MatchSender returns the active source that sends from addr.
func (s *Service) MatchSender(addr netip.Addr) (Identity, bool) {
	t := s.senders.table.Load()
	if t == nil || s.senders.stale.Load() {
		t = s.reloadSenders()
	} else if time.Since(t.loaded) > senderRefresh && s.senders.reloading.CompareAndSwap(false, true) {
		go func() {
			defer s.senders.reloading.Store(false)
			s.reloadSenders()
		}()
	}
	if t == nil {
		return Identity{}, false
	}
	addr = addr.Unmap().WithZone("")
	if id, ok := t.exact[addr]; ok {
		return id, true
	}
	for _, p := range t.prefixes {
		if p.pf.Contains(addr) {
			return p.id, true
		}
	}
	return Identity{}, false
}

// reloadSenders reads the table again; on a database error the old table
// stays in use.
func (s *Service) reloadSenders() *senderTable {
	s.senders.mu.Lock()
	defer s.senders.mu.Unlock()
	old := s.senders.table.Load()
	if old != nil && !s.senders.stale.Load() && time.Since(old.loaded) < time.Second {
		return old // another caller just reloaded it
	}
	s.senders.stale.Store(false)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	t, err := s.loadSenders(ctx)
	if err != nil {
		s.senders.stale.Store(true)
		return old
	}
	s.senders.table.Store(t)
	return t
}

func (s *Service) loadSenders(ctx context.Context) (*senderTable, error) {
	rows, err := s.DB.Query(ctx, `SELECT id, unit_id, name, kind, senders FROM sources WHERE revoked_at = 0 AND senders <> '' ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sources: load senders: %w", err)
	}
	defer rows.Close()
	t := &senderTable{exact: map[netip.Addr]Identity{}, loaded: time.Now()}
	for rows.Next() {
		var id Identity
		var list string
		if err := rows.Scan(&id.ID, &id.UnitID, &id.Name, &id.Kind, &list); err != nil {
			return nil, err
		}
		for _, v := range strings.Split(list, ",") {
			pf, err := netip.ParsePrefix(v)
			if err != nil {
				continue
			}
			if pf.IsSingleIP() {
				if _, dup := t.exact[pf.Addr()]; !dup {
					t.exact[pf.Addr()] = id
				}
				continue
			}
			t.prefixes = append(t.prefixes, senderPrefix{pf, id})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(t.prefixes, func(a, b senderPrefix) int { return b.pf.Bits() - a.pf.Bits() })
	return t, nil
}

// forgetUnknown removes the unknown senders that addresses now claim.
func forgetUnknown(ctx context.Context, tx *store.Tx, senders []string) error {
	if len(senders) == 0 {
		return nil
	}
	var pfs []netip.Prefix
	for _, v := range senders {
		if pf, err := netip.ParsePrefix(v); err == nil {
			pfs = append(pfs, pf)
		}
	}
	rows, err := tx.Query(ctx, `SELECT address FROM unknown_senders`)
	if err != nil {
		return fmt.Errorf("sources: unknown senders: %w", err)
	}
	var gone []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return err
		}
		addr, err := netip.ParseAddr(a)
		if err != nil {
			continue
		}
		for _, pf := range pfs {
			if pf.Contains(addr) {
				gone = append(gone, a)
				break
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, a := range gone {
		if _, err := tx.Exec(ctx, `DELETE FROM unknown_senders WHERE address = ?`, a); err != nil {
			return err
		}
	}
	return nil
}
