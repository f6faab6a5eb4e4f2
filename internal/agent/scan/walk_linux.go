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
//   - a worker opens, fstats, reads and closes through raw descriptors (no
//     os.File: that would cost a fcntl and two epoll_ctl per file); a file
//     that fits the buffer is read with one read of exactly its size and
//     hashed with sha256.Sum256.
//
// The checks are those of the portable walk: a regular file (re-checked
// by fstat after opening with O_NOFOLLOW|O_NONBLOCK), within the size
// limit, read with O_NOATIME where allowed.

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
			h := &hasher{s: s, buf: make([]byte, BufferSize), h: sha256.New(), euid: os.Geteuid(), noOpenat2: slowCalls, noNowait: slowCalls}
			for b := range jobs {
				h.batch(b)
				b.dir.release()
				b.dir, b.names, b.offs = nil, b.names[:0], b.offs[:0]
				pool.Put(b)
			}
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

// hasher is one worker's state, reused for every file.
type hasher struct {
	s    *scanner
	buf  []byte
	h    hash.Hash
	sum  [32]byte
	st   unix.Stat_t
	euid int
	// ownerOnly: O_NOATIME was refused (it needs ownership or
	// CAP_FOWNER), so files are opened without it and it is set with
	// fcntl on the files this user owns.
	ownerOnly bool
	// noOpenat2, noNowait: the kernel refused openat2 or RWF_NOWAIT, so
	// every open and read is an ordinary one.
	noOpenat2, noNowait bool
}

func (h *hasher) batch(b *batch) {
	for k, off := range b.offs {
		if h.s.ctx.Err() != nil {
			return
		}
		end := len(b.names)
		if k+1 < len(b.offs) {
			end = int(b.offs[k+1])
		}
		name := b.names[off:end] // with its NUL
		size, op, err := h.file(b.dir, name)
		switch err {
		case nil:
			h.s.hashed(&h.sum, size, func() string { return b.dir.join(name[:len(name)-1]) })
		case errTooLarge:
			h.s.tooLarge.Add(1)
		case errNotRegular:
			h.s.special.Add(1)
		default:
			h.s.fail(&os.PathError{Op: op, Path: b.dir.join(name[:len(name)-1]), Err: err})
		}
	}
}

// file hashes the regular file name (NUL-terminated) of directory d
// into h.sum; on an error, op names the failed call.
//
// System calls cost more than anything else here, and a Go
// syscall.Syscall costs a good deal more than the system call itself (it
// tells the scheduler the thread may block). So where the kernel is told
// not to block, the calls are raw: the open asks for a lookup from the
// cache only (openat2 RESOLVE_CACHED) and each read for cached pages
// only (preadv2 RWF_NOWAIT), falling back to an ordinary, scheduled call
// when the answer is EAGAIN; fstat and close are raw on local file
// systems. A scan of a cold disk or a network share still lets the rest
// of the process (the agent's heartbeat) run while it waits.
func (h *hasher) file(d *dirRef, name []byte) (size int64, op string, err error) {
	const flags = unix.O_RDONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	fd := -1
	if !h.ownerOnly {
		fd, err = h.open(d.fd, name, flags|unix.O_NOATIME)
		if err == unix.EPERM {
			h.ownerOnly = true
		}
	}
	if h.ownerOnly && fd < 0 {
		fd, err = h.open(d.fd, name, flags)
	}
	if err != nil {
		if err == unix.ELOOP { // a symbolic link swapped in since the walk
			return 0, "", errNotRegular
		}
		return 0, "open", err
	}
	defer closeFD(fd, d.local)
	if err := fstat(fd, &h.st, d.local); err != nil {
		return 0, "fstat", err
	}
	if h.st.Mode&unix.S_IFMT != unix.S_IFREG {
		return 0, "", errNotRegular
	}
	size = h.st.Size
	if h.s.max > 0 && size > h.s.max {
		return 0, "", errTooLarge
	}
	if h.ownerOnly && int(h.st.Uid) == h.euid {
		// Best effort: atime is only touched by the reads below.
		unix.FcntlInt(uintptr(fd), unix.F_SETFL, flags|unix.O_NOATIME)
	}
	// Read exactly the size fstat gave (a file growing meanwhile is hashed
	// as it was): a small file takes one read and no read for EOF.
	if size <= int64(len(h.buf)) {
		n, err := h.readFull(fd, h.buf[:size], 0)
		if err != nil {
			return int64(n), "read", err
		}
		h.sum = sha256.Sum256(h.buf[:n])
		return int64(n), "", nil
	}
	h.h.Reset()
	var total int64
	for total < size {
		chunk := h.buf
		if rest := size - total; rest < int64(len(chunk)) {
			chunk = chunk[:rest]
		}
		n, err := h.readFull(fd, chunk, total)
		h.h.Write(chunk[:n])
		total += int64(n)
		if err != nil {
			return total, "read", err
		}
		if n < len(chunk) {
			break // the file shrank
		}
	}
	h.h.Sum(h.sum[:0])
	return total, "", nil
}

// open opens name in dirfd: from the dentry cache without blocking if it
// can, else with an ordinary openat.
func (h *hasher) open(dirfd int, name []byte, flags int) (int, error) {
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

// readFull reads p from offset off until p is full or the file ends:
// from the page cache without blocking where it can, the rest with
// ordinary reads.
func (h *hasher) readFull(fd int, p []byte, off int64) (int, error) {
	n := 0
	for n < len(p) {
		if !h.noNowait {
			iov := unix.Iovec{Base: &p[n]}
			iov.SetLen(len(p) - n)
			r, _, e := syscall.RawSyscall6(unix.SYS_PREADV2, uintptr(fd), uintptr(unsafe.Pointer(&iov)), 1, uintptr(off+int64(n)), 0, unix.RWF_NOWAIT)
			switch e {
			case 0:
				if r == 0 {
					return n, nil // end of file
				}
				n += int(r)
				continue
			case unix.EAGAIN, unix.EINTR: // not in the page cache: wait for it below
			case unix.EOPNOTSUPP, unix.ENOSYS, unix.EINVAL, unix.EPERM: // not this file system, kernel, or seccomp filter
				h.noNowait = true
			default:
				return n, e
			}
		}
		m, err := syscall.Pread(fd, p[n:], off+int64(n))
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return n, err
		}
		if m <= 0 {
			break
		}
		n += m
	}
	return n, nil
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
