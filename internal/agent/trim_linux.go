package agent

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// trimWorkingSet hands back the pages of the executable that starting up
// and collecting touched and the idle loop does not use: the binary holds
// the hub too, and the start of every package it links (and the fault-around
// of each first touch) maps megabytes of text and tables the agent never
// runs again. MADV_PAGEOUT (Linux 5.4) unmaps them from this process; the
// pages a heartbeat needs come back at the next round as minor faults from
// the page cache. This is what Windows does with EmptyWorkingSet. On older
// kernels the call fails and the pages stay, which is harmless.
func trimWorkingSet() {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// 00400000-01408000 r-xp 00000000 fe:00 9981825 /path/vigil
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[5] != exe || strings.Contains(fields[1], "w") {
			continue // only the binary's read-only text and tables
		}
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		// Raw syscall: the range is not Go memory, so no slice is made of it.
		syscall.Syscall(unix.SYS_MADVISE, uintptr(start), uintptr(end-start), unix.MADV_PAGEOUT)
	}
}
