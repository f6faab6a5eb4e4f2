package bus

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// group is one consumer group's position. Several Consume calls of the
// same group share it: each batch goes to one of them.
type group struct {
	name string
	path string

	mu        sync.Mutex
	cur       cursor
	inflight  map[uint64]uint64 // first seq → records, of batches being handled
	retry     []batch           // failed batches, by first seq, delivered again first
	committed uint64            // every record below is acknowledged
	persisted uint64            // committed as last written to the group's file
}

// cursor is where a group reads next.
type cursor struct {
	base uint64 // segment
	off  int64  // byte offset of the next frame in it
	seq  uint64 // seq of that frame
	skip uint64 // records below are acknowledged already (after a restart)
	f    *os.File
}

type batch struct {
	first uint64
	recs  []Record
}

var groupName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

func (g *group) committedSeq() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.committed
}

// loadGroups reads the groups' files so that no segment a known group has
// not passed is deleted, even before it consumes again.
func (j *Journal) loadGroups() error {
	entries, err := os.ReadDir(filepath.Join(j.dir, "groups"))
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".off")
		if !ok || !groupName.MatchString(name) {
			continue
		}
		g := j.newGroup(name)
		b, err := os.ReadFile(g.path)
		if err == nil && len(b) == 12 && crc32.Checksum(b[:8], castagnoli) == binary.LittleEndian.Uint32(b[8:]) {
			g.committed = binary.LittleEndian.Uint64(b)
		} else {
			j.log.Warn("event journal: a consumer group's position is unreadable; it reads the journal again from its start", "group", name, "file", g.path)
			g.committed = j.segs[0].base
		}
		g.committed = max(g.committed, j.segs[0].base)
		g.committed = min(g.committed, j.next)
		g.persisted = g.committed
		g.position(j.segs, g.committed)
		j.groups[name] = g
	}
	return nil
}

func (j *Journal) newGroup(name string) *group {
	return &group{name: name, path: filepath.Join(j.dir, "groups", name+".off"), inflight: map[uint64]uint64{}}
}

// position points the cursor at the segment holding seq; records below seq
// are skipped as they are read.
func (g *group) position(segs []*segment, seq uint64) {
	i := len(segs) - 1
	for i > 0 && segs[i].base > seq {
		i--
	}
	if g.cur.f != nil {
		g.cur.f.Close()
	}
	g.cur = cursor{base: segs[i].base, seq: segs[i].base, skip: seq}
}

// groupFor returns the named group, creating it (at the oldest record
// held) and recording its position at once so that its records are kept.
func (j *Journal) groupFor(name string) (*group, error) {
	if !groupName.MatchString(name) {
		return nil, fmt.Errorf("journal: consumer group %q: use letters, digits, '.', '_' or '-' (at most 64)", name)
	}
	j.mu.Lock()
	g := j.groups[name]
	if g != nil {
		j.mu.Unlock()
		return g, nil
	}
	g = j.newGroup(name)
	g.committed = j.segs[0].base
	g.position(j.segs, g.committed)
	j.groups[name] = g
	j.mu.Unlock()
	j.offsetMu.Lock()
	err := writeOffset(g.path, g.committed)
	j.offsetMu.Unlock()
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.persisted = max(g.persisted, g.committed)
	g.mu.Unlock()
	return g, nil
}

// Consume hands batches of durable records, in order, to handle until ctx
// ends (then it returns nil). A batch is acknowledged when handle returns
// nil; otherwise it is handed out again after a pause. Positions are
// written to disk a few times a second: after a crash, the records handled
// since are delivered again (at least once).
func (j *Journal) Consume(ctx context.Context, groupName string, handle func(context.Context, []Record) error) error {
	g, err := j.groupFor(groupName)
	if err != nil {
		return err
	}
	pause := 100 * time.Millisecond
	for {
		b, err := j.nextBatch(ctx, g)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if herr := handle(ctx, b.recs); herr != nil {
			g.nack(b)
			if ctx.Err() != nil {
				return nil
			}
			j.log.Warn("event journal: a batch was not handled; it is delivered again", "group", g.name, "first_seq", b.first, "records", len(b.recs), "err", herr, "retry_in", pause)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(pause):
			}
			pause = min(2*pause, 10*time.Second)
			continue
		}
		pause = 100 * time.Millisecond
		g.ack(b)
		j.consumed.Add(uint64(len(b.recs)))
	}
}

func (j *Journal) nextBatch(ctx context.Context, g *group) (batch, error) {
	for {
		j.mu.Lock()
		wait := j.changed
		j.mu.Unlock()
		select {
		case <-j.closing:
			return batch{}, ErrClosed
		default:
		}
		g.mu.Lock()
		if len(g.retry) > 0 {
			b := g.retry[0]
			g.retry = g.retry[1:]
			g.inflight[b.first] = uint64(len(b.recs))
			g.mu.Unlock()
			return b, nil
		}
		b, err := j.read(g)
		if err == nil && len(b.recs) > 0 {
			g.inflight[b.first] = uint64(len(b.recs))
		}
		g.mu.Unlock()
		if err != nil || len(b.recs) > 0 {
			return b, err
		}
		select {
		case <-ctx.Done():
			return batch{}, ctx.Err()
		case <-j.closing:
			return batch{}, ErrClosed
		case <-wait:
		}
	}
}

// read takes the next durable records at g's cursor (g.mu held). The
// records' Data point into a buffer of this batch's own.
func (j *Journal) read(g *group) (batch, error) {
	for {
		j.mu.Lock()
		i := slices.IndexFunc(j.segs, func(s *segment) bool { return s.base == g.cur.base })
		if i < 0 {
			// Deleted under a cursor that lagged: cannot happen while
			// deletion waits for every group, but never read stale.
			g.position(j.segs, max(g.cur.seq, g.cur.skip))
			j.mu.Unlock()
			continue
		}
		limit, path := j.segs[i].size, j.segs[i].path
		var nextBase uint64
		if i+1 < len(j.segs) {
			nextBase = j.segs[i+1].base
		}
		j.mu.Unlock()
		if g.cur.off >= limit {
			if nextBase == 0 {
				return batch{}, nil
			}
			if g.cur.f != nil {
				g.cur.f.Close()
			}
			g.cur = cursor{base: nextBase, seq: nextBase, skip: g.cur.skip}
			continue
		}
		if g.cur.f == nil {
			f, err := os.Open(path)
			if err != nil {
				return batch{}, fmt.Errorf("journal: %w", err)
			}
			g.cur.f = f
		}
		buf := make([]byte, min(limit-g.cur.off, readChunk))
		if _, err := g.cur.f.ReadAt(buf, g.cur.off); err != nil && !errors.Is(err, io.EOF) {
			return batch{}, fmt.Errorf("journal: read %s: %w", path, err)
		}
		b := batch{recs: make([]Record, 0, min(j.opts.BatchRecords, 64))}
		used := 0
		for len(b.recs) < j.opts.BatchRecords {
			var r Record
			n, need, err := readFrame(buf[used:], &r)
			if err == nil && n > 0 && r.Seq != g.cur.seq {
				err = fmt.Errorf("%w: seq %d where %d was due", errCorrupt, r.Seq, g.cur.seq)
			}
			if err != nil {
				// Damage inside the durable part of a segment (a disk
				// fault): its records cannot be framed again, so the
				// group moves to the next segment rather than stall.
				j.log.Error("event journal: damaged segment; the rest of it is skipped", "segment", path, "offset", g.cur.off+int64(used), "err", err)
				if nextBase == 0 {
					return batch{}, fmt.Errorf("journal: %s is damaged at offset %d: %w", path, g.cur.off+int64(used), err)
				}
				g.cur.off = limit
				break
			}
			if n == 0 {
				if used == 0 && need > len(buf) {
					// One record larger than the chunk.
					if int64(need) > limit-g.cur.off {
						return batch{}, fmt.Errorf("journal: %s is damaged at offset %d: record runs past the end", path, g.cur.off)
					}
					buf = make([]byte, need)
					if _, err := g.cur.f.ReadAt(buf, g.cur.off); err != nil && !errors.Is(err, io.EOF) {
						return batch{}, fmt.Errorf("journal: read %s: %w", path, err)
					}
					continue
				}
				break
			}
			used += n
			g.cur.seq++
			if r.Seq < g.cur.skip {
				continue
			}
			if len(b.recs) == 0 {
				b.first = r.Seq
			}
			b.recs = append(b.recs, r)
		}
		if g.cur.off < limit {
			g.cur.off += int64(used)
		}
		if len(b.recs) > 0 {
			return b, nil
		}
	}
}

func (g *group) ack(b batch) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.inflight, b.first)
	g.advance()
}

func (g *group) nack(b batch) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.inflight, b.first)
	i, _ := slices.BinarySearchFunc(g.retry, b.first, func(x batch, first uint64) int { return cmpU64(x.first, first) })
	g.retry = slices.Insert(g.retry, i, b)
}

// advance moves committed up to the first record not yet acknowledged.
func (g *group) advance() {
	low := max(g.cur.seq, g.cur.skip)
	for first := range g.inflight {
		low = min(low, first)
	}
	if len(g.retry) > 0 {
		low = min(low, g.retry[0].first)
	}
	g.committed = max(g.committed, low)
}

// checkpointer writes the groups' positions and deletes the segments every
// group has passed.
func (j *Journal) checkpointer() {
	defer close(j.ckptDone)
	t := time.NewTicker(checkpointEvry)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			j.checkpoint()
		case <-j.closing:
			<-j.writerDone
			j.checkpoint()
			j.mu.Lock()
			groups := j.groupList()
			j.mu.Unlock()
			for _, g := range groups {
				g.mu.Lock()
				if g.cur.f != nil {
					g.cur.f.Close()
					g.cur.f = nil
				}
				g.mu.Unlock()
			}
			return
		}
	}
}

func (j *Journal) checkpoint() {
	j.mu.Lock()
	groups := j.groupList()
	j.mu.Unlock()
	if len(groups) == 0 {
		return
	}
	j.offsetMu.Lock()
	defer j.offsetMu.Unlock()
	low := ^uint64(0)
	for _, g := range groups {
		g.mu.Lock()
		c, p := g.committed, g.persisted
		g.mu.Unlock()
		if c != p {
			if err := writeOffset(g.path, c); err != nil {
				j.log.Error("event journal: cannot record a consumer group's position", "group", g.name, "err", err)
			} else {
				p = c
				g.mu.Lock()
				g.persisted = c
				g.mu.Unlock()
			}
		}
		low = min(low, p)
	}
	j.mu.Lock()
	var drop []*segment
	for len(j.segs) > 1 && j.segs[1].base <= low {
		drop = append(drop, j.segs[0])
		j.segs = j.segs[1:]
	}
	j.mu.Unlock()
	for _, s := range drop {
		err := os.Remove(s.path)
		j.mu.Lock()
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			// Windows cannot remove a file still open; try again later.
			j.segs = slices.Insert(j.segs, 0, s)
			slices.SortFunc(j.segs, func(a, b *segment) int { return cmpU64(a.base, b.base) })
		} else {
			j.diskBytes -= s.size
		}
		j.mu.Unlock()
	}
}

// writeOffset replaces a group's file with seq, atomically and durably.
func writeOffset(path string, seq uint64) error {
	var b [12]byte
	binary.LittleEndian.PutUint64(b[:], seq)
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b[:8], castagnoli))
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	_, err = f.Write(b[:])
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("journal: record group position: %w", err)
	}
	return nil
}

// groupList copies the groups (j.mu held).
func (j *Journal) groupList() []*group {
	groups := make([]*group, 0, len(j.groups))
	for _, g := range j.groups {
		groups = append(groups, g)
	}
	return groups
}
