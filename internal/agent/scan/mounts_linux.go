package scan

import (
	"bufio"
	"os"
	"strings"
	"syscall"
)

// oNoATime keeps the scan from touching access times, which incident
// responders read.
const oNoATime = syscall.O_NOATIME

var pseudoFS = map[string]bool{
	"proc": true, "sysfs": true, "devtmpfs": true, "devpts": true, "cgroup": true, "cgroup2": true,
	"debugfs": true, "tracefs": true, "securityfs": true, "bpf": true, "configfs": true, "fusectl": true,
	"pstore": true, "mqueue": true, "hugetlbfs": true, "autofs": true, "binfmt_misc": true, "efivarfs": true,
	"rpc_pipefs": true, "nsfs": true, "selinuxfs": true,
}

// pseudoMounts lists the mount points of kernel pseudo filesystems, which a
// scan must not enter (/proc/kcore, /sys files that block or never end).
func pseudoMounts() []string {
	f, err := os.Open("/proc/self/mounts")
	if err != nil {
		return []string{"/proc", "/sys", "/dev/pts"}
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fl := strings.Fields(sc.Text())
		if len(fl) >= 3 && pseudoFS[fl[2]] {
			out = append(out, strings.ReplaceAll(fl[1], `\040`, " "))
		}
	}
	return out
}
