//go:build linux

package scan

import (
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A ring is a small io_uring: the walk opens, reads the start of and
// closes files in rounds of a few dozen with two system calls per round,
// where each file would cost three of its own (with page-table isolation
// a system call costs over a microsecond before it does anything). Only
// the calls the portable walk makes are asked of it (openat, read, close);
// where the kernel refuses io_uring (before Linux 5.6, a seccomp filter
// such as Docker's default, kernel.io_uring_disabled) the walk makes them
// one by one.
type ring struct {
	fd                     int
	sqHead, sqTail, sqMask *uint32
	sqes                   []uringSQE
	cqHead, cqTail, cqMask *uint32
	cqes                   []uringCQE
	mem                    [][]byte // mappings, for close
	queued                 int      // SQEs written since the last enter
}

type uringSQE struct {
	opcode   uint8
	flags    uint8
	ioprio   uint16
	fd       int32
	off      uint64
	addr     uint64
	len      uint32
	opFlags  uint32
	userData uint64
	bufIndex uint16
	persona  uint16
	fileIdx  uint32
	addr3    uint64
	_        uint64
}

type uringCQE struct {
	userData uint64
	res      int32
	flags    uint32
}

type uringParams struct {
	sqEntries, cqEntries, flags, sqThreadCPU, sqThreadIdle, features, wqFD uint32
	_                                                                      [3]uint32
	sqOff                                                                  struct {
		head, tail, mask, entries, flags, dropped, array, _ uint32
		_                                                   uint64
	}
	cqOff struct {
		head, tail, mask, entries, overflow, cqes, flags, _ uint32
		_                                                   uint64
	}
}

const (
	uringOpOpenat = 18
	uringOpClose  = 19
	uringOpRead   = 22

	uringSetupSubmitAll   = 1 << 7 // Linux 5.18
	uringSetupCoopTaskrun = 1 << 8 // Linux 5.19: no interrupt to run completions; the next enter does
	uringFeatSingleMmap   = 1 << 0 // Linux 5.4
	uringFeatNoDrop       = 1 << 1 // Linux 5.5
	uringEnterGetevents   = 1 << 0
	uringOffSQRing        = 0
	uringOffCQRing        = 0x8000000
	uringOffSQEs          = 0x10000000
	uringEntries          = 64 // a round's opens or reads, and the closes of the one before
)

// newRing sets up a ring, or returns nil where the kernel will not.
func newRing() *ring {
	// SUBMIT_ALL: an entry the kernel refuses does not hold back the
	// ones after it (the wait in submit counts on it).
	var p uringParams
	p.flags = uringSetupSubmitAll | uringSetupCoopTaskrun
	fd, _, e := syscall.RawSyscall(unix.SYS_IO_URING_SETUP, uringEntries, uintptr(unsafe.Pointer(&p)), 0)
	if e == unix.EINVAL { // Linux 5.18
		p = uringParams{flags: uringSetupSubmitAll}
		fd, _, e = syscall.RawSyscall(unix.SYS_IO_URING_SETUP, uringEntries, uintptr(unsafe.Pointer(&p)), 0)
	}
	if e != 0 {
		return nil
	}
	r := &ring{fd: int(fd)}
	// Without NODROP a full completion queue would lose completions.
	if p.features&uringFeatSingleMmap == 0 || p.features&uringFeatNoDrop == 0 || p.sqEntries < uringEntries || p.cqEntries < 2*uringEntries {
		r.close()
		return nil
	}
	ringSize := max(p.sqOff.array+p.sqEntries*4, p.cqOff.cqes+p.cqEntries*uint32(unsafe.Sizeof(uringCQE{})))
	rings, err := unix.Mmap(r.fd, uringOffSQRing, int(ringSize), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		r.close()
		return nil
	}
	r.mem = append(r.mem, rings)
	sqes, err := unix.Mmap(r.fd, uringOffSQEs, int(p.sqEntries)*int(unsafe.Sizeof(uringSQE{})), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED|unix.MAP_POPULATE)
	if err != nil {
		r.close()
		return nil
	}
	r.mem = append(r.mem, sqes)
	at := func(off uint32) *uint32 { return (*uint32)(unsafe.Pointer(&rings[off])) }
	r.sqHead, r.sqTail, r.sqMask = at(p.sqOff.head), at(p.sqOff.tail), at(p.sqOff.mask)
	r.cqHead, r.cqTail, r.cqMask = at(p.cqOff.head), at(p.cqOff.tail), at(p.cqOff.mask)
	r.sqes = unsafe.Slice((*uringSQE)(unsafe.Pointer(&sqes[0])), p.sqEntries)
	r.cqes = unsafe.Slice((*uringCQE)(unsafe.Pointer(&rings[p.cqOff.cqes])), p.cqEntries)
	// The submission array maps ring slots to SQEs one to one, for good.
	array := unsafe.Slice(at(p.sqOff.array), p.sqEntries)
	for i := range array {
		array[i] = uint32(i)
	}
	return r
}

func (r *ring) close() {
	for _, m := range r.mem {
		unix.Munmap(m)
	}
	syscall.Close(r.fd)
}

// sqe is the next free submission entry, zeroed; the caller fills it.
// At most uringEntries are queued between two calls of submit.
func (r *ring) sqe() *uringSQE {
	tail := atomic.LoadUint32(r.sqTail) + uint32(r.queued)
	e := &r.sqes[tail&*r.sqMask]
	*e = uringSQE{}
	r.queued++
	return e
}

// submit hands the queued entries to the kernel and waits for all their
// completions, calling done for each. An error leaves the ring unusable.
//
// The first call is raw: the kernel opens and reads what its caches hold
// while it takes the entries, so on a warm tree every completion is there
// when it returns; only an entry it sent to its workers (a name or a page
// to fetch from the disk) is waited for, with an ordinary, scheduled call,
// so the rest of the process runs meanwhile.
func (r *ring) submit(done func(userData uint64, res int32)) error {
	n := r.queued
	atomic.StoreUint32(r.sqTail, atomic.LoadUint32(r.sqTail)+uint32(n))
	r.queued = 0
	unsent, pending := n, n
	for first := true; pending > 0; first = false {
		var m uintptr
		var e syscall.Errno
		if first {
			m, _, e = syscall.RawSyscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(unsent), 0, 0, 0, 0)
		} else {
			// The kernel skips the wait when it takes fewer entries than
			// offered.
			m, _, e = syscall.Syscall6(unix.SYS_IO_URING_ENTER, uintptr(r.fd), uintptr(unsent), uintptr(pending), uringEnterGetevents, 0, 0)
		}
		switch e {
		case 0:
			unsent -= int(m)
		case unix.EINTR, unix.EAGAIN, unix.EBUSY:
		default:
			return e
		}
		head, tail := atomic.LoadUint32(r.cqHead), atomic.LoadUint32(r.cqTail)
		for ; head != tail; head++ {
			c := &r.cqes[head&*r.cqMask]
			done(c.userData, c.res)
			pending--
		}
		atomic.StoreUint32(r.cqHead, head)
	}
	return nil
}
