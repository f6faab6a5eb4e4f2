package bus

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"context"
)

// DefaultJournalMaxBytes is the journal's disk cap when none is given.
const DefaultJournalMaxBytes = 1 << 30

// ErrClosed is returned by a bus used after Close.
var ErrClosed = errors.New("event bus closed")

// JournalOptions tune a Journal; the zero value is usable.
type JournalOptions struct {
	// MaxBytes caps the segment files on disk; Publish returns ErrFull
	// beyond it (DefaultJournalMaxBytes when 0).
	MaxBytes int64
	// SegmentBytes is the size at which a new segment file is started
	// (64 MiB, or MaxBytes/8 when smaller).
	SegmentBytes int64
	// BatchRecords is the most records Consume hands to one call of the
	// handler (1000 when 0).
	BatchRecords int
	// Logger receives recovery and corruption reports.
	Logger *slog.Logger
}

// Journal is the on-disk Bus of one hub process: records appended to
// segment files by one writer goroutine that batches concurrent Publish
// calls into one write and one fsync (group commit). Each consumer group's
// position is kept in a file of its own; a segment is deleted once every
// group is past it. A lock file keeps a second process out.
type Journal struct {
	dir  string
	opts JournalOptions
	log  *slog.Logger
	lock *os.File

	reqs       chan *pubReq
	closing    chan struct{}
	closeOnce  sync.Once
	writerDone chan struct{}
	ckptDone   chan struct{}
	active     *os.File // the last segment, written by the writer only

	mu        sync.Mutex
	segs      []*segment // by base; the last one is written
	next      uint64     // the seq the next record gets; all below are durable
	diskBytes int64
	changed   chan struct{} // closed (and replaced) when records become durable
	groups    map[string]*group
	broken    error // a failed write that could not be undone
	// offsetMu serialises writing the groups' files (the checkpointer and
	// a group's creation share a temporary name).
	offsetMu sync.Mutex

	published, refused, consumed atomic.Uint64
	recovery                     Recovery
}

// Recovery says what opening the journal found at the end of its last
// segment: bytes of a record torn by a crash, cut off.
type Recovery struct {
	Segment   string
	TornBytes int64
}

type segment struct {
	base uint64 // seq of its first record
	size int64  // durable bytes
	path string
}

type pubReq struct {
	recs []Record
	done chan error
}

const (
	maxGroupBytes  = 4 << 20 // bytes written with one fsync, at most (beyond one request)
	readChunk      = 1 << 20
	checkpointEvry = 200 * time.Millisecond
	segSuffix      = ".seg"
)

// OpenJournal opens (creating it if needed) the journal in dir, locks it
// for this process, and recovers from a crash: a torn record at the end is
// cut off and reported (Recovered).
func OpenJournal(dir string, opts JournalOptions) (*Journal, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultJournalMaxBytes
	}
	if opts.SegmentBytes <= 0 {
		opts.SegmentBytes = min(64<<20, opts.MaxBytes/8)
	}
	if opts.BatchRecords <= 0 {
		opts.BatchRecords = 1000
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(filepath.Join(dir, "groups"), 0o750); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{dir: dir, opts: opts, log: opts.Logger, reqs: make(chan *pubReq, 1024), closing: make(chan struct{}),
		writerDone: make(chan struct{}), ckptDone: make(chan struct{}), changed: make(chan struct{}), groups: map[string]*group{}}
	if err := j.takeLock(); err != nil {
		return nil, err
	}
	if err := j.openSegments(); err != nil {
		j.lock.Close()
		return nil, err
	}
	if err := j.loadGroups(); err != nil {
		j.active.Close()
		j.lock.Close()
		return nil, err
	}
	go j.writer()
	go j.checkpointer()
	return j, nil
}

func (j *Journal) takeLock() error {
	path := filepath.Join(j.dir, "LOCK")
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	busy, err := lockFile(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("journal: lock %s: %w", path, err)
	}
	if busy {
		pid, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		return fmt.Errorf("the event journal %s is in use by another process (pid %s): one hub process owns a journal; stop that process, or run several hub processes over NATS with --bus nats://HOST:PORT",
			j.dir, strings.TrimSpace(string(pid)))
	}
	f.Truncate(0)
	f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	j.lock = f
	return nil
}

func segName(base uint64) string { return fmt.Sprintf("%020d%s", base, segSuffix) }

func (j *Journal) openSegments() error {
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, segSuffix) {
			continue
		}
		base, err := strconv.ParseUint(strings.TrimSuffix(name, segSuffix), 10, 64)
		if err != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		j.segs = append(j.segs, &segment{base: base, size: info.Size(), path: filepath.Join(j.dir, name)})
		j.diskBytes += info.Size()
	}
	slices.SortFunc(j.segs, func(a, b *segment) int { return cmpU64(a.base, b.base) })
	if len(j.segs) == 0 {
		s := &segment{base: 1, path: filepath.Join(j.dir, segName(1))}
		f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return fmt.Errorf("journal: %w", err)
		}
		syncDir(j.dir)
		j.segs = append(j.segs, s)
		j.active = f
		j.next = 1
		return nil
	}
	last := j.segs[len(j.segs)-1]
	count, good, err := scanSegment(last.path, last.base)
	if err != nil {
		return err
	}
	if good < last.size {
		torn := last.size - good
		if err := os.Truncate(last.path, good); err != nil {
			return fmt.Errorf("journal: cut the torn end of %s: %w", last.path, err)
		}
		j.recovery = Recovery{Segment: last.path, TornBytes: torn}
		j.log.Warn("event journal: cut a record torn by a crash (it was never acknowledged)", "segment", last.path, "bytes", torn, "kept_records", count)
		j.diskBytes -= torn
		last.size = good
	}
	f, err := os.OpenFile(last.path, os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := syncData(f); err != nil {
		f.Close()
		return fmt.Errorf("journal: %w", err)
	}
	j.active = f
	j.next = last.base + count
	return nil
}

// scanSegment reads the frames of a segment and returns how many are whole
// and the byte length they take: anything after is a torn write.
func scanSegment(path string, base uint64) (count uint64, good int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, readChunk)
	var buf []byte
	var r Record
	for {
		hdr, err := br.Peek(frameHeader)
		if err != nil {
			return count, good, nil
		}
		size := int(uint32(hdr[0]) | uint32(hdr[1])<<8 | uint32(hdr[2])<<16 | uint32(hdr[3])<<24)
		if size < 8 || size > MaxRecordBytes+1024 {
			return count, good, nil
		}
		total := frameHeader + size
		if cap(buf) < total {
			buf = make([]byte, total)
		}
		buf = buf[:total]
		if _, err := io.ReadFull(br, buf); err != nil {
			return count, good, nil
		}
		if n, _, err := readFrame(buf, &r); err != nil || n != total || r.Seq != base+count {
			return count, good, nil
		}
		count++
		good += int64(total)
	}
}

// Recovered reports the torn record cut off when the journal was opened
// (TornBytes 0 when it closed cleanly or lost nothing).
func (j *Journal) Recovered() Recovery { return j.recovery }

// Dir is the journal's directory.
func (j *Journal) Dir() string { return j.dir }

// Publish makes recs durable (one fsync shared with concurrent callers),
// assigns their Seq, then returns. It refuses all of recs with ErrFull
// when the journal would exceed its disk cap.
func (j *Journal) Publish(ctx context.Context, recs []Record) error {
	if len(recs) == 0 {
		return nil
	}
	for i := range recs {
		if len(recs[i].Data) > MaxRecordBytes {
			return fmt.Errorf("journal: a record of %d bytes exceeds the %d-byte limit", len(recs[i].Data), MaxRecordBytes)
		}
	}
	req := &pubReq{recs: recs, done: make(chan error, 1)}
	select {
	case j.reqs <- req:
	case <-ctx.Done():
		return ctx.Err()
	case <-j.closing:
		return ErrClosed
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		// The records may still become durable: a retry duplicates them,
		// which at-least-once delivery allows.
		return ctx.Err()
	case <-j.writerDone:
		select {
		case err := <-req.done:
			return err
		default:
			return ErrClosed
		}
	}
}

// writer is the one goroutine that appends: it takes every request queued
// while the previous fsync ran and commits them together.
func (j *Journal) writer() {
	defer close(j.writerDone)
	var buf []byte
	var batch []*pubReq
	for {
		var first *pubReq
		select {
		case first = <-j.reqs:
		case <-j.closing:
			for {
				select {
				case r := <-j.reqs:
					r.done <- ErrClosed
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
		size := 0
		for _, r := range first.recs {
			size += frameSize(&r)
		}
	drain:
		for size < maxGroupBytes {
			select {
			case r := <-j.reqs:
				batch = append(batch, r)
				for i := range r.recs {
					size += frameSize(&r.recs[i])
				}
			default:
				break drain
			}
		}
		buf = j.commit(batch, buf[:0])
		if cap(buf) > 2*maxGroupBytes {
			buf = nil // do not keep one huge request's buffer
		}
		clear(batch)
	}
}

func (j *Journal) commit(batch []*pubReq, buf []byte) []byte {
	j.mu.Lock()
	disk, seq, broken := j.diskBytes, j.next, j.broken
	last := j.segs[len(j.segs)-1]
	j.mu.Unlock()
	if broken != nil {
		for _, r := range batch {
			r.done <- broken
		}
		return buf
	}
	if last.size >= j.opts.SegmentBytes {
		if err := j.roll(seq); err != nil {
			j.log.Error("event journal: cannot start a new segment", "err", err)
			for _, r := range batch {
				r.done <- err
			}
			return buf
		}
		j.mu.Lock()
		last = j.segs[len(j.segs)-1]
		j.mu.Unlock()
	}
	accepted := 0
	var records uint64
	for _, r := range batch {
		start, startSeq := len(buf), seq
		for i := range r.recs {
			buf = appendFrame(buf, seq, &r.recs[i])
			seq++
		}
		if disk+int64(len(buf)) > j.opts.MaxBytes {
			buf, seq = buf[:start], startSeq
			j.refused.Add(uint64(len(r.recs)))
			r.done <- ErrFull
			continue
		}
		for i := range r.recs {
			r.recs[i].Seq = startSeq + uint64(i)
		}
		records += uint64(len(r.recs))
		batch[accepted] = r
		accepted++
	}
	if accepted == 0 {
		return buf
	}
	err := writeAll(j.active, buf)
	if err == nil {
		err = syncData(j.active)
	}
	if err != nil {
		err = fmt.Errorf("journal: write %s: %w", last.path, err)
		j.log.Error("event journal: write failed; events refused", "err", err)
		if terr := j.active.Truncate(last.size); terr != nil {
			j.mu.Lock()
			j.broken = fmt.Errorf("journal: %s is damaged after a failed write; restart the hub: %w", last.path, err)
			j.mu.Unlock()
		}
		for _, r := range batch[:accepted] {
			r.done <- err
		}
		return buf
	}
	j.mu.Lock()
	last.size += int64(len(buf))
	j.diskBytes += int64(len(buf))
	j.next = seq
	close(j.changed)
	j.changed = make(chan struct{})
	j.mu.Unlock()
	j.published.Add(records)
	for _, r := range batch[:accepted] {
		r.done <- nil
	}
	return buf
}

func writeAll(f *os.File, b []byte) error {
	_, err := f.Write(b)
	return err
}

// roll starts a new segment whose first record will be seq.
func (j *Journal) roll(seq uint64) error {
	s := &segment{base: seq, path: filepath.Join(j.dir, segName(seq))}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND|os.O_EXCL, 0o640)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := syncDir(j.dir); err != nil {
		f.Close()
		os.Remove(s.path)
		return fmt.Errorf("journal: %w", err)
	}
	old := j.active
	j.active = f
	j.mu.Lock()
	j.segs = append(j.segs, s)
	j.mu.Unlock()
	old.Close()
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		// Some systems (Windows) cannot sync a directory; the rename or
		// create is then as durable as the platform makes it.
		return nil
	}
	return nil
}

// Stats says how much is published, consumed and waiting.
func (j *Journal) Stats() Stats {
	// Lock order: a group's mu before j.mu (read), so groups are
	// asked after j.mu is released.
	j.mu.Lock()
	low, next, disk := j.segs[0].base, j.next, j.diskBytes
	groups := j.groupList()
	j.mu.Unlock()
	if len(groups) > 0 {
		low = next
		for _, g := range groups {
			low = min(low, g.committedSeq())
		}
	}
	return Stats{Kind: "journal", Where: j.dir, Published: j.published.Load(), Refused: j.refused.Load(), Consumed: j.consumed.Load(),
		Pending: next - low, Bytes: disk, MaxBytes: j.opts.MaxBytes}
}

// Close stops the writer (pending Publish calls get ErrClosed), records
// the groups' positions and releases the lock.
func (j *Journal) Close() error {
	first := false
	j.closeOnce.Do(func() { first = true; close(j.closing) })
	if !first {
		return nil
	}
	<-j.writerDone
	<-j.ckptDone
	j.mu.Lock()
	close(j.changed)
	j.changed = make(chan struct{})
	j.mu.Unlock()
	err := j.active.Close()
	j.lock.Close()
	return err
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
