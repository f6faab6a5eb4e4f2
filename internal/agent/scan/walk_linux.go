//go:build linux

package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The Linux walk costs a few system calls per file and no allocation:
//
//   - directories are read with getdents64 into a reused buffer, and the
//     entry type comes from d_type (an lstat only where the file system
//     leaves it unknown); entries are not sorted;
//   - each directory is opened relative to its parent's descriptor and
//     each file relative to its directory's (openat), so the kernel does
//     not walk the whole path again for every file, and a directory
//     swapped for a symbolic link during the walk is not followed
//     (O_NOFOLLOW on every step, not only the last);
//   - names travel to the workers in batches, NUL-terminated as openat
//     wants them; a path string is built only for a finding or an error;
//   - a worker opens, reads and closes through raw descriptors (no
//     os.File: that would cost a fcntl and two epoll_ctl per file); on a
//     local file system a file is not asked its size (see hasher.got): a
//     file smaller than a read (most files) costs an open, one read and a
//     close; where the kernel offers io_uring, those are made for a few
//     dozen files at a time with two system calls (ring, hasher.fill);
//   - a worker hashes two files at once where the CPU has the SHA
//     extensions (sha256x2_amd64.s), with its own SHA-256 padding, so
//     the SHA unit is kept busy.
//
// The checks are those of the portable walk: a regular file (d_type, with
// O_NOFOLLOW|O_NONBLOCK on the open; fstat where the reads cannot tell, see
// hasher.got), within the size limit, read with O_NOATIME where allowed.

// dirRef is an open directory shared by the walker and the batches of its
// files; the last user closes it.
type dirRef struct {
	fd   int // unix.AT_FDCWD for a root that is a file
	path string
	refs atomic.Int32
	// local: a disk or memory file system (localFS), where fstat and
	// close of a file opened for reading never wait for a device or a
	// server.
	local bool
}

func (d *dirRef) release() {
	if d.refs.Add(-1) == 0 && d.fd >= 0 {
		syscall.Close(d.fd)
	}
}

// join is the path of an entry of d; name without its NUL.
func (d *dirRef) join(name []byte) string {
	switch {
	case d.path == "":
		return string(name)
	case d.path[len(d.path)-1] == '/':
		return d.path + string(name)
	}
	return d.path + "/" + string(name)
}

// batch is some regular files of one directory.
type batch struct {
	dir   *dirRef
	names []byte  // NUL-terminated, back to back
	offs  []int32 // start of each name in names
}

const (
	direntBufSize = 64 << 10
	maxBatch      = 64
	// laneChunk is the most a lane reads at once: small enough that two
	// lanes' data stays in the core's L2 cache between the kernel's copy
	// and the hashing (1 MiB reads were 15 % slower on large files).
	laneChunk = 128 << 10
)

func (s *scanner) walk(roots []string, workers int) error {
	jobs := make(chan *batch, 4*workers)
	pool := sync.Pool{New: func() any {
		return &batch{names: make([]byte, 0, 2048), offs: make([]int32, 0, maxBatch)}
	}}
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			newHasher(s, jobs, func(b *batch) {
				b.dir.release()
				b.dir, b.names, b.offs = nil, b.names[:0], b.offs[:0]
				pool.Put(b)
			}).run()
		}()
	}
	w := &walker{s: s, jobs: jobs, pool: &pool, workers: workers, dbuf: make([]byte, direntBufSize)}
	var walkErr error
	for _, root := range roots {
		if err := w.root(root); err != nil {
			walkErr = fmt.Errorf("scan: %w", err)
			break
		}
	}
	close(jobs)
	wg.Wait()
	return walkErr
}

// walker reads directories and hands their files to the workers.
type walker struct {
	s       *scanner
	jobs    chan<- *batch
	pool    *sync.Pool
	workers int
	dbuf    []byte
	names   []byte // regular files of the directory being read
	offs    []int32
}

// root walks one root; an error is one the scan stops on (the root cannot
// be read, or the scan was cancelled).
func (w *walker) root(root string) error {
	var st unix.Stat_t
	if err := unix.Lstat(root, &st); err != nil {
		return &os.PathError{Op: "lstat", Path: root, Err: err}
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		fd, err := openat(unix.AT_FDCWD, root, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
		if err != nil {
			return &os.PathError{Op: "open", Path: root, Err: err}
		}
		d := &dirRef{fd: fd, path: root, local: isLocalFS(fd)}
		d.refs.Store(1)
		return w.dir(d, true)
	case unix.S_IFREG:
		d := &dirRef{fd: unix.AT_FDCWD}
		d.refs.Store(1)
		w.names, w.offs = append(append(w.names[:0], root...), 0), append(w.offs[:0], 0)
		w.dispatch(d)
		d.release()
	default:
		w.s.special.Add(1)
	}
	return w.s.ctx.Err()
}

// dir reads d, sends its files to the workers, then walks its
// subdirectories; it releases d.
func (w *walker) dir(d *dirRef, isRoot bool) error {
	defer d.release()
	var subdirs []string
	w.names, w.offs = w.names[:0], w.offs[:0]
	for {
		if err := w.s.ctx.Err(); err != nil {
			return err
		}
		n, err := syscall.ReadDirent(d.fd, w.dbuf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			perr := &os.PathError{Op: "readdirent", Path: d.path, Err: err}
			if isRoot {
				return perr
			}
			w.s.fail(perr)
			break // what was read is still scanned
		}
		if n <= 0 {
			break
		}
		for buf := w.dbuf[:n]; len(buf) >= 19; {
			// struct linux_dirent64: d_ino u64, d_off s64, d_reclen u16,
			// d_type u8, d_name NUL-terminated.
			reclen := int(binary.NativeEndian.Uint16(buf[16:18]))
			if reclen < 19 || reclen > len(buf) {
				break
			}
			rec := buf[:reclen]
			buf = buf[reclen:]
			if binary.NativeEndian.Uint64(rec[0:8]) == 0 {
				continue // deleted entry
			}
			typ := rec[18]
			name := rec[19:]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			if len(name) == 0 || name[0] == '.' && (len(name) == 1 || len(name) == 2 && name[1] == '.') {
				continue
			}
			if typ == unix.DT_UNKNOWN {
				typ = w.lstatType(d, name)
			}
			switch typ {
			case unix.DT_REG:
				w.offs = append(w.offs, int32(len(w.names)))
				w.names = append(append(w.names, name...), 0)
			case unix.DT_DIR:
				subdirs = append(subdirs, string(name))
			case unix.DT_UNKNOWN: // vanished, or lstat failed (counted)
			default: // symlink, device, pipe, socket
				w.s.special.Add(1)
			}
		}
	}
	w.dispatch(d)
	for _, name := range subdirs {
		path := d.join([]byte(name))
		if w.s.exclude[path] {
			continue
		}
		fd, err := openat(d.fd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC)
		if err != nil {
			if err == unix.ELOOP || err == unix.ENOTDIR { // swapped for a link or a file
				w.s.special.Add(1)
				continue
			}
			w.s.fail(&os.PathError{Op: "open", Path: path, Err: err})
			continue
		}
		sub := &dirRef{fd: fd, path: path, local: isLocalFS(fd)}
		sub.refs.Store(1)
		if err := w.dir(sub, false); err != nil {
			return err
		}
	}
	return nil
}

// lstatType is the d_type of an entry whose file system did not give it.
func (w *walker) lstatType(d *dirRef, name []byte) byte {
	var st unix.Stat_t
	if err := unix.Fstatat(d.fd, string(name), &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err != unix.ENOENT {
			w.s.fail(&os.PathError{Op: "lstat", Path: d.join(name), Err: err})
		}
		return unix.DT_UNKNOWN
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFREG:
		return unix.DT_REG
	case unix.S_IFDIR:
		return unix.DT_DIR
	}
	return unix.DT_LNK // anything else is special
}

// dispatch sends the files in w.names to the workers, in batches small
// enough that every worker gets a share of a directory of a few large
// files.
func (w *walker) dispatch(d *dirRef) {
	n := len(w.offs)
	per := (n + w.workers - 1) / w.workers
	if per > maxBatch {
		per = maxBatch
	}
	for i := 0; i < n; i += per {
		j := min(i+per, n)
		start, end := w.offs[i], int32(len(w.names))
		if j < n {
			end = w.offs[j]
		}
		b := w.pool.Get().(*batch)
		b.names = append(b.names[:0], w.names[start:end]...)
		for _, off := range w.offs[i:j] {
			b.offs = append(b.offs, off-start)
		}
		d.refs.Add(1)
		b.dir = d
		w.jobs <- b
	}
}

// hasher is one worker's state, reused for every file. It hashes two
// files at once (two lanes) where the CPU has the SHA extensions: one
// file's rounds wait on the latency of the SHA instructions, and the
// other's fill the gap (sha256x2_amd64.s). Where the kernel offers
// io_uring, it opens, reads the start of and closes files in rounds
// (ring), and the lanes take the files from there.
type hasher struct {
	s     *scanner
	lanes [2]lane
	sum   [32]byte
	st    unix.Stat_t
	euid  int
	// ownerOnly: O_NOATIME was refused (it needs ownership or
	// CAP_FOWNER), so files are opened without it and it is set with
	// fcntl on the files this user owns.
	ownerOnly bool
	// noOpenat2, noNowait: the kernel refused openat2 or RWF_NOWAIT, so
	// every open and read is an ordinary one.
	noOpenat2, noNowait bool

	jobs  <-chan *batch
	done  func(*batch) // gives a batch back once its files are all started
	cur   *batch
	next  int  // the next file of cur
	ended bool // jobs is closed

	ring   *ring   // nil: one system call at a time
	free   []*slot // slots for the next round
	round  []*slot // the files of the last round, round[taken:] not yet given to a lane
	taken  int
	closes []int32 // descriptors to close in the next round
}

// roundFiles is the most files a ring round takes, and slotRead the most
// it reads of each: the whole of most files of a system tree (nine in ten
// files of the Go installation are under 15 KB).
const (
	roundFiles = 24
	slotRead   = 32 << 10
)

// slot is a file of a ring round: opened, and its start read into buf.
type slot struct {
	buf  []byte
	dir  *dirRef // holds a reference
	name []byte  // NUL-terminated
	fd   int     // -1: open it the ordinary way (a network share, O_NOATIME refused, an error to tell)
	n    int     // bytes read
	err  error   // of the read
}

// lane is a file being read and hashed.
type lane struct {
	busy bool
	fd   int
	dir  *dirRef // holds a reference while busy
	name []byte  // NUL-terminated
	// buf[p:q] is read and not yet hashed, in own or in a slot's buffer
	// (slot); own has room for a read of laneChunk after an incomplete
	// block, and both for the padding.
	buf, own []byte
	slot     *slot
	p, q     int
	off      int64 // bytes read so far
	size     int64 // from fstat; -1 when the file was not asked
	eof      bool  // the whole file is read
	last     bool  // the padding is in buf: the blocks left are the last
	st       [8]uint32
	h        hash.Hash // without the SHA extensions
}

func newHasher(s *scanner, jobs <-chan *batch, done func(*batch)) *hasher {
	h := &hasher{s: s, euid: os.Geteuid(), noOpenat2: slowCalls, noNowait: slowCalls, jobs: jobs, done: done}
	for i := range h.lanes {
		h.lanes[i].own = make([]byte, 64+laneChunk+padLen)
		if !haveSHA2x {
			h.lanes[i].h = sha256.New()
		}
	}
	if !slowCalls && !noRing {
		h.ring = newRing()
	}
	if h.ring != nil {
		for range roundFiles + len(h.lanes) {
			h.free = append(h.free, &slot{buf: make([]byte, slotRead+padLen)})
		}
	}
	return h
}

// noRing turns the ring off (tests).
var noRing = false

// run hashes the files of every batch until the walk ends.
func (h *hasher) run() {
	a, b := &h.lanes[0], &h.lanes[1]
	for {
		ra, rb := h.ready(a), h.ready(b)
		switch {
		case ra && rb:
			n := min(a.q-a.p, b.q-b.p) / 64
			if haveSHA2x {
				blocksX2(&a.st, &b.st, &a.buf[a.p], &b.buf[b.p], n)
			} else {
				a.h.Write(a.buf[a.p : a.p+64*n])
				b.h.Write(b.buf[b.p : b.p+64*n])
			}
			a.p += 64 * n
			b.p += 64 * n
		case ra:
			h.blocks(a)
		case rb:
			h.blocks(b)
		default:
			if h.ring != nil {
				if len(h.closes) > 0 {
					h.fill()
				}
				h.ring.close()
			}
			return
		}
	}
}

// blocks hashes every whole block l has read.
func (h *hasher) blocks(l *lane) {
	n := (l.q - l.p) / 64
	if haveSHA2x {
		blocksX1(&l.st, &l.buf[l.p], n)
	} else {
		l.h.Write(l.buf[l.p : l.p+64*n])
	}
	l.p += 64 * n
}

// ready brings l to a whole block to hash: it gives an idle lane the
// next file, reads, pads the end, and counts the files it finishes.
// False: no file is left for it.
func (h *hasher) ready(l *lane) bool {
	for {
		switch {
		case !l.busy:
			if !h.start(l) {
				return false
			}
		case l.q-l.p >= 64:
			return true
		case l.eof && haveSHA2x && !l.last:
			l.p, l.q = 0, len(pad(l.buf[:copy(l.buf, l.buf[l.p:l.q])], l.off))
			l.last = true
		case l.eof:
			h.finish(l)
		default:
			h.read(l)
		}
	}
}

// start gives l the next file (it may be dropped at once: l is left idle);
// false when there is none.
func (h *hasher) start(l *lane) bool {
	if h.ring != nil {
		if h.taken == len(h.round) {
			h.fill()
		}
		if h.taken < len(h.round) {
			h.taken++
			h.take(l, h.round[h.taken-1])
			return true
		}
		if h.ring != nil {
			return false
		}
	}
	d, name, ok := h.nextFile(true)
	if !ok {
		return false
	}
	h.begin(l, d, name)
	return true
}

// begin opens the file name of d in l, the ordinary way.
func (h *hasher) begin(l *lane, d *dirRef, name []byte) {
	fd, op, err := h.open(d, name)
	if err != nil {
		h.count(d, name, op, err)
		return
	}
	h.init(l, fd, d, name)
	d.refs.Add(1)
	if !d.local || h.ownerOnly {
		// A network share may answer reads short before the end; and
		// O_NOATIME is set by owner.
		h.stat(l)
	}
}

func (h *hasher) init(l *lane, fd int, d *dirRef, name []byte) {
	l.busy, l.fd, l.dir = true, fd, d
	l.name = append(l.name[:0], name...)
	l.buf, l.slot = l.own, nil
	l.p, l.q, l.off, l.size, l.eof, l.last = 0, 0, 0, -1, false, false
	if haveSHA2x {
		l.st = sha256IV
	} else {
		l.h.Reset()
	}
}

// take gives l the file of a ring round.
func (h *hasher) take(l *lane, sl *slot) {
	if sl.fd < 0 {
		h.begin(l, sl.dir, sl.name)
		sl.dir.release()
		h.free = append(h.free, sl)
		return
	}
	h.init(l, sl.fd, sl.dir, sl.name) // the slot's reference is the lane's now
	l.buf, l.slot = sl.buf, sl
	h.got(l, sl.n, sl.err, slotRead)
}

// fill runs a ring round: it opens up to roundFiles files and reads the
// start of each, with one system call for the opens (and the closes of
// files done since the last round) and one for the reads. A file the ring
// fails to open is opened again the ordinary way, for the error to be
// told as always (and O_NOATIME refused for others' files, a symbolic
// link swapped in); the ring is dropped if the kernel fails it.
func (h *hasher) fill() {
	h.round, h.taken = h.round[:0], 0
	for len(h.round) < roundFiles && len(h.free) > 0 {
		// Wait for the walker only for the first file: a round that
		// came back empty would end the lane.
		d, name, ok := h.nextFile(len(h.round) == 0)
		if !ok {
			break
		}
		sl := h.free[len(h.free)-1]
		h.free = h.free[:len(h.free)-1]
		d.refs.Add(1)
		sl.dir, sl.name, sl.fd, sl.n, sl.err = d, append(sl.name[:0], name...), -1, 0, nil
		h.round = append(h.round, sl)
		if d.local && !h.ownerOnly {
			e := h.ring.sqe()
			e.opcode, e.fd, e.addr = uringOpOpenat, int32(d.fd), uint64(uintptr(unsafe.Pointer(&sl.name[0])))
			e.opFlags, e.userData = fileFlags|unix.O_NOATIME, uint64(len(h.round))
		}
	}
	for _, fd := range h.closes {
		e := h.ring.sqe()
		e.opcode, e.fd = uringOpClose, fd
	}
	h.closes = h.closes[:0]
	err := h.ring.submit(func(ud uint64, res int32) {
		if ud > 0 && res >= 0 {
			h.round[ud-1].fd = int(res)
		}
	})
	if err == nil {
		for i, sl := range h.round {
			if sl.fd >= 0 {
				e := h.ring.sqe()
				e.opcode, e.fd, e.addr, e.len = uringOpRead, int32(sl.fd), uint64(uintptr(unsafe.Pointer(&sl.buf[0]))), slotRead
				e.userData = uint64(i + 1)
			}
		}
		err = h.ring.submit(func(ud uint64, res int32) {
			if sl := h.round[ud-1]; res >= 0 {
				sl.n = int(res)
			} else {
				sl.err = syscall.Errno(-res)
			}
		})
	}
	if err != nil {
		h.ring.close()
		h.ring = nil
		for _, sl := range h.round {
			if sl.fd >= 0 {
				closeFD(sl.fd, true)
				sl.fd = -1
			}
		}
	}
}

// nextFile is the next file to hash, from the batches the walker sends;
// without wait, only from a batch already sent. Once the scan is
// cancelled it only gives the batches back.
func (h *hasher) nextFile(wait bool) (*dirRef, []byte, bool) {
	for {
		if b := h.cur; b != nil {
			if k := h.next; k < len(b.offs) && h.s.ctx.Err() == nil {
				h.next++
				end := len(b.names)
				if k+1 < len(b.offs) {
					end = int(b.offs[k+1])
				}
				return b.dir, b.names[b.offs[k]:end], true
			}
			h.cur = nil
			h.done(b)
		}
		if h.ended {
			return nil, nil, false
		}
		var b *batch
		ok := true
		if wait {
			b, ok = <-h.jobs
		} else {
			select {
			case b, ok = <-h.jobs:
			default:
				return nil, nil, false
			}
		}
		if !ok {
			h.ended = true
			return nil, nil, false
		}
		h.cur, h.next = b, 0
	}
}

// count records a file that was not hashed; name is NUL-terminated.
func (h *hasher) count(d *dirRef, name []byte, op string, err error) {
	switch err {
	case errTooLarge:
		h.s.tooLarge.Add(1)
	case errNotRegular:
		h.s.special.Add(1)
	default:
		h.s.fail(&os.PathError{Op: op, Path: d.join(name[:len(name)-1]), Err: err})
	}
}

// drop ends l's file without a digest.
func (h *hasher) drop(l *lane, op string, err error) {
	h.count(l.dir, l.name, op, err)
	h.close(l)
}

func (h *hasher) close(l *lane) {
	if h.ring != nil && l.dir.local {
		h.closes = append(h.closes, int32(l.fd))
	} else {
		closeFD(l.fd, l.dir.local)
	}
	l.dir.release()
	if l.slot != nil {
		h.free = append(h.free, l.slot)
	}
	l.busy, l.dir, l.slot = false, nil, nil
}

// finish counts l's file, hashed, and matches its digest.
func (h *hasher) finish(l *lane) {
	if haveSHA2x {
		digest(&l.st, &h.sum)
	} else {
		l.h.Write(l.buf[l.p:l.q])
		l.h.Sum(h.sum[:0])
	}
	d, name := l.dir, l.name
	h.s.hashed(&h.sum, l.off, func() string { return d.join(name[:len(name)-1]) })
	h.close(l)
}

// stat asks the kernel what l's file is: a regular file within the size
// limit, or it is dropped (false).
func (h *hasher) stat(l *lane) bool {
	if err := fstat(l.fd, &h.st, l.dir.local); err != nil {
		h.drop(l, "fstat", err)
		return false
	}
	if h.st.Mode&unix.S_IFMT != unix.S_IFREG {
		h.drop(l, "", errNotRegular)
		return false
	}
	if h.s.max > 0 && h.st.Size > h.s.max {
		h.drop(l, "", errTooLarge)
		return false
	}
	if h.ownerOnly && int(h.st.Uid) == h.euid && l.off == 0 {
		// Best effort: atime is only touched by the reads to come.
		unix.FcntlInt(uintptr(l.fd), unix.F_SETFL, fileFlags|unix.O_NOATIME)
	}
	l.size = h.st.Size
	if l.off >= l.size {
		l.eof = true
	}
	return true
}

const fileFlags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC

// open opens the regular file name (NUL-terminated) of directory d; on an
// error, op names the failed call.
func (h *hasher) open(d *dirRef, name []byte) (fd int, op string, err error) {
	fd = -1
	if !h.ownerOnly {
		fd, err = h.openat(d.fd, name, fileFlags|unix.O_NOATIME)
		if err == unix.EPERM {
			h.ownerOnly = true
		}
	}
	if h.ownerOnly && fd < 0 {
		fd, err = h.openat(d.fd, name, fileFlags)
	}
	if err != nil {
		if err == unix.ELOOP { // a symbolic link swapped in since the walk
			return -1, "", errNotRegular
		}
		return -1, "open", err
	}
	return fd, "", nil
}

// read reads the next part of l's file, after its incomplete block.
func (h *hasher) read(l *lane) {
	l.q = copy(l.own, l.buf[l.p:l.q])
	l.p, l.buf = 0, l.own
	if l.slot != nil { // on from the ring's read, in the lane's own buffer
		h.free = append(h.free, l.slot)
		l.slot = nil
	}
	want := laneChunk
	if l.size >= 0 {
		want = int(min(int64(want), l.size-l.off))
	}
	n, err := h.pread(l.fd, l.buf[l.q:l.q+want], l.off)
	h.got(l, n, err, want)
}

// got takes in a read of n bytes (of want) at the end of l.buf, and tells
// where the file ends.
//
// A file on a local file system is not asked its size: the walk's d_type
// says it is a regular file, and the reads say where it ends. A read
// from the page cache stops short only at the end of the file or at a
// page boundary (the next page not cached, with RWF_NOWAIT), so a read
// that stops short inside a page has reached the end; one that stops on a
// boundary is followed by another, which returns 0 at the end (as
// sha256sum's do). A small file so costs an open, one read and a close.
// A file is asked (fstat) as before where the reads cannot tell: a large
// one for the size limit and its type (a device swapped in since the
// directory was read would not end), an empty one or one that fails to
// read (a device or a pipe would look like that).
func (h *hasher) got(l *lane, n int, err error, want int) {
	if err != nil {
		if l.size < 0 && !h.stat(l) {
			return
		}
		h.drop(l, "read", err)
		return
	}
	l.off += int64(n)
	l.q += n
	switch {
	case n == 0:
		if l.size < 0 && l.off == 0 && !h.stat(l) {
			return
		}
		l.eof = true
	case l.size >= 0:
		// Asked: read what fstat gave (a file growing meanwhile is
		// hashed as it was).
		l.eof = l.off >= l.size
	case h.s.max > 0 && l.off > h.s.max:
		h.drop(l, "", errTooLarge)
	case n < want && l.off%4096 != 0:
		l.eof = true
	case l.off >= laneChunk:
		h.stat(l)
	}
}

// openat opens name in dirfd: from the dentry cache without blocking if
// it can, else with an ordinary openat.
func (h *hasher) openat(dirfd int, name []byte, flags int) (int, error) {
	if !h.noOpenat2 {
		how := unix.OpenHow{Flags: uint64(flags), Resolve: resolveCached}
		r, _, e := syscall.RawSyscall6(unix.SYS_OPENAT2, uintptr(dirfd), uintptr(unsafe.Pointer(&name[0])), uintptr(unsafe.Pointer(&how)), unix.SizeofOpenHow, 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case unix.EAGAIN, unix.EINTR: // not cached: look it up the slow way
		case unix.ENOSYS, unix.E2BIG: // before Linux 5.12, or seccomp
			h.noOpenat2 = true
		case unix.EINVAL: // before Linux 5.12: RESOLVE_CACHED unknown
			h.noOpenat2 = true
		case unix.EPERM:
			// O_NOATIME on a file of another user, or a seccomp filter
			// (old container runtimes) that refuses openat2 itself: ask
			// openat, which tells them apart.
			fd, err := openatBytes(dirfd, name, flags)
			if err == nil {
				h.noOpenat2 = true
			}
			return fd, err
		default:
			return -1, e
		}
	}
	return openatBytes(dirfd, name, flags)
}

// pread reads p at offset off: from the page cache without blocking
// where it can, else with an ordinary read.
func (h *hasher) pread(fd int, p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if !h.noNowait {
		iov := unix.Iovec{Base: &p[0]}
		iov.SetLen(len(p))
		r, _, e := syscall.RawSyscall6(unix.SYS_PREADV2, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1, uintptr(off), 0, unix.RWF_NOWAIT)
		switch e {
		case 0:
			return int(r), nil
		case unix.EAGAIN, unix.EINTR: // not in the page cache: wait for it below
		case unix.EOPNOTSUPP, unix.ENOSYS, unix.EINVAL, unix.EPERM: // not this file system, kernel, or seccomp filter
			h.noNowait = true
		default:
			return 0, e
		}
	}
	for {
		m, err := syscall.Pread(fd, p, off)
		if err != syscall.EINTR {
			return max(m, 0), err
		}
	}
}

// resolveCached is RESOLVE_CACHED of openat2(2): fail with EAGAIN rather
// than read the disk (or ask a server) to look the name up.
const resolveCached = 0x20

func fstat(fd int, st *unix.Stat_t, raw bool) error {
	if !raw {
		return unix.Fstat(fd, st)
	}
	if _, _, e := syscall.RawSyscall(unix.SYS_FSTAT, uintptr(fd), uintptr(unsafe.Pointer(st)), 0); e != 0 {
		return e
	}
	return nil
}

func closeFD(fd int, raw bool) {
	if raw {
		syscall.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
		return
	}
	syscall.Close(fd)
}

// slowCalls makes every open and read an ordinary, scheduled system call,
// as on a kernel without openat2 and RWF_NOWAIT (tests).
var slowCalls = false

// isLocalFS reports whether the directory fd is on a file system whose
// fstat and close do not wait: disks and memory, not network shares or
// FUSE.
func isLocalFS(fd int) bool {
	if slowCalls {
		return false
	}
	var st unix.Statfs_t
	if unix.Fstatfs(fd, &st) != nil {
		return false
	}
	switch uint32(st.Type) {
	case unix.EXT4_SUPER_MAGIC, unix.XFS_SUPER_MAGIC, unix.BTRFS_SUPER_MAGIC, unix.TMPFS_MAGIC, unix.F2FS_SUPER_MAGIC,
		unix.OVERLAYFS_SUPER_MAGIC, unix.SQUASHFS_MAGIC, unix.RAMFS_MAGIC, unix.ISOFS_SUPER_MAGIC, 0x2fc12fc1 /* zfs */ :
		return true
	}
	return false
}

// openatBytes is openat with a NUL-terminated name, which spares the
// string conversion and copy syscall.Openat makes.
func openatBytes(dirfd int, name []byte, flags int) (int, error) {
	for {
		r, _, e := syscall.Syscall6(syscall.SYS_OPENAT, uintptr(dirfd), uintptr(unsafe.Pointer(&name[0])), uintptr(flags), 0, 0, 0)
		switch e {
		case 0:
			return int(r), nil
		case syscall.EINTR:
			continue
		}
		return -1, e
	}
}

func openat(dirfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dirfd, name, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}
