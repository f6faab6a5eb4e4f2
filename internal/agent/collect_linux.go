package agent

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"vigil/internal/asset"
)

// linuxState is what the Linux collectors share: the process table and
// the socket-inode owners, read once.
type linuxState struct {
	procs       []procInfo
	inodeOwner  map[uint64]int // socket inode -> pid
	names       map[int]string // pid -> process name
	users       map[int]string // uid -> name
	running     map[string]bool
	serviceUnit map[string]bool // unit name (no .service) -> enabled
}

type procInfo struct {
	pid, ppid, uid int
	name, path     string
	exeSize        int64
	exeMTime       time.Time
}

func (c *Collector) collectOS(ctx context.Context, r *run) {
	inv := r.inv
	if os.Geteuid() != 0 {
		r.warn("not running as root: account lock state, the owners of other users' sockets and their executables' digests are not collected")
	}
	st := &linuxState{users: map[int]string{}}
	var pw []passwdEntry
	var gr []groupEntry
	r.parallel(
		func() { linuxOS(r) },
		func() { linuxHardware(r) },
		func() { linuxDisks(r) },
		func() { linuxNetwork(r) },
		func() { linuxSoftware(ctx, r) },
		func() {
			pw = parsePasswd(openOrEmpty("/etc/passwd"))
			gr = parseGroup(openOrEmpty("/etc/group"))
		},
		func() { st.procs, st.inodeOwner = readProcesses() },
		func() { st.serviceUnit = systemdUnits() },
		func() { inv.LoggedOn = parseUtmp(readOrNil("/run/utmp")) },
	)
	for _, p := range pw {
		st.users[p.uid] = p.name
	}
	st.names = map[int]string{}
	st.running = map[string]bool{}
	for _, p := range st.procs {
		st.names[p.pid] = p.name
		st.running[processKey(p.name)] = true
		if p.path != "" {
			st.running[processKey(filepath.Base(p.path))] = true
		}
	}
	r.parallel(
		func() { linuxAccounts2(r, pw, gr) },
		func() { linuxProcesses(r, st) },
		func() { linuxListening(r, st) },
		func() { linuxControls(ctx, r, st) },
	)
}

func openOrEmpty(name string) io.Reader {
	b, err := os.ReadFile(name)
	if err != nil {
		return bytes.NewReader(nil)
	}
	return bytes.NewReader(b)
}

func readOrNil(name string) []byte {
	b, _ := os.ReadFile(name)
	return b
}

func readTrim(name string) string {
	return strings.TrimSpace(string(readOrNil(name)))
}

func linuxOS(r *run) {
	inv := r.inv
	rel := parseOSRelease(openOrEmpty("/etc/os-release"))
	if len(rel) == 0 {
		rel = parseOSRelease(openOrEmpty("/usr/lib/os-release"))
	}
	inv.OS.Name = rel["NAME"]
	if inv.OS.Name == "" {
		inv.OS.Name = "Linux"
	}
	inv.OS.Version = rel["VERSION_ID"]
	inv.OS.Build = rel["VERSION_CODENAME"]
	if inv.OS.Build == "" {
		inv.OS.Build = rel["BUILD_ID"]
	}
	if inv.OS.Version == "" {
		inv.OS.Version = rel["VERSION"]
	}
	inv.OS.Kernel = readTrim("/proc/sys/kernel/osrelease")
	if id := readTrim("/etc/machine-id"); id != "" {
		inv.MachineID = id
	}
	if up := strings.Fields(readTrim("/proc/uptime")); len(up) > 0 {
		if sec, err := strconv.ParseFloat(up[0], 64); err == nil {
			bt := inv.CollectedAt.Add(-time.Duration(sec * float64(time.Second))).Truncate(time.Second)
			inv.BootTime = &bt
		}
	}
	// FQDN from /etc/hosts when the hostname is short.
	if inv.FQDN == "" {
		inv.FQDN = fqdnFromHosts(readOrNil("/etc/hosts"), inv.Hostname)
	}
	if dn := readTrim("/proc/sys/kernel/domainname"); dn != "" && dn != "(none)" && inv.Domain == "" {
		inv.Domain, inv.DomainKind = dn, "dns"
	}
}

func linuxHardware(r *run) {
	h := &r.inv.Hardware
	f, err := os.Open("/proc/cpuinfo")
	if err == nil {
		h.CPUModel, h.CPUCores, h.CPUThreads, h.Virtual = parseCPUInfo(f)
		f.Close()
	}
	h.MemoryBytes = parseMeminfo(openOrEmpty("/proc/meminfo"))
	h.Vendor = readTrim("/sys/class/dmi/id/sys_vendor")
	h.Model = readTrim("/sys/class/dmi/id/product_name")
	h.Serial = readTrim("/sys/class/dmi/id/product_serial") // root only
	if _, err := os.Stat("/sys/hypervisor/type"); err == nil {
		h.Virtual = true
	}
}

func linuxDisks(r *run) {
	disks := parseMounts(openOrEmpty("/proc/self/mounts"))
	crypt := cryptDevices()
	var out []asset.Disk
	seen := map[string]bool{}
	for _, d := range disks {
		if seen[d.Mount] {
			continue
		}
		seen[d.Mount] = true
		var sfs syscall.Statfs_t
		if err := syscall.Statfs(d.Mount, &sfs); err == nil {
			d.SizeBytes = sfs.Blocks * uint64(sfs.Bsize)
			d.FreeBytes = sfs.Bavail * uint64(sfs.Bsize)
		}
		if strings.HasPrefix(d.Device, "/dev/") && d.FSType != "overlay" {
			enc := crypt[resolveDM(d.Device)]
			d.Encrypted = boolp(enc)
		}
		out = append(out, d)
	}
	r.inv.Disks = out
}

// resolveDM maps /dev/mapper/NAME or /dev/dm-N to "dm-N".
func resolveDM(dev string) string {
	if p, err := filepath.EvalSymlinks(dev); err == nil {
		dev = p
	}
	return filepath.Base(dev)
}

// cryptDevices returns the block devices (dm-N) that are dm-crypt targets
// or sit on one (LVM on LUKS): their /sys/block/*/dm/uuid starts CRYPT-, or
// one of their slaves' does.
func cryptDevices() map[string]bool {
	out := map[string]bool{}
	dms, _ := filepath.Glob("/sys/block/dm-*")
	var isCrypt func(dev string, depth int) bool
	isCrypt = func(dev string, depth int) bool {
		if depth > 8 {
			return false
		}
		if strings.HasPrefix(readTrim("/sys/block/"+dev+"/dm/uuid"), "CRYPT-") {
			return true
		}
		slaves, _ := os.ReadDir("/sys/block/" + dev + "/slaves")
		for _, s := range slaves {
			if isCrypt(s.Name(), depth+1) {
				return true
			}
		}
		return false
	}
	for _, p := range dms {
		dev := filepath.Base(p)
		if isCrypt(dev, 0) {
			out[dev] = true
		}
	}
	return out
}

func linuxNetwork(r *run) {
	r.inv.DNSServers = parseResolvConf(openOrEmpty("/etc/resolv.conf"))
	gw := parseRouteGateways(openOrEmpty("/proc/net/route"))
	gw = append(gw, parseIPv6RouteGateways(openOrEmpty("/proc/net/ipv6_route"))...)
	r.inv.Gateways = gw
}

func linuxSoftware(ctx context.Context, r *run) {
	var sw []asset.Software
	if f, err := os.Open("/var/lib/dpkg/status"); err == nil {
		pkgs, err := parseDpkgStatus(f)
		f.Close()
		if err != nil {
			r.warn("dpkg: %v", err)
		}
		// The .list file of a package is written when it is unpacked: its
		// mtime is the install or upgrade time.
		for i := range pkgs {
			p := &pkgs[i]
			fi, err := os.Stat("/var/lib/dpkg/info/" + p.Name + ".list")
			if err != nil {
				fi, err = os.Stat("/var/lib/dpkg/info/" + p.Name + ":" + p.Arch + ".list")
			}
			if err == nil {
				t := fi.ModTime().UTC().Truncate(time.Second)
				p.InstalledAt = &t
			}
		}
		sw = append(sw, pkgs...)
		if last := lastDpkgChange(tailFile("/var/log/dpkg.log", 1<<20)); last != nil {
			r.inv.LastPatchAt = last
		}
	}
	// The rpm database is read through rpm itself: its format (Berkeley DB,
	// NDB or SQLite) depends on the distribution release.
	if dirExists("/var/lib/rpm") || dirExists("/usr/lib/sysimage/rpm") {
		if _, err := exec.LookPath("rpm"); err == nil {
			out, err := r.command(ctx, "rpm", "-qa", "--queryformat", rpmQueryFormat)
			if err != nil {
				r.warn("rpm: %v", err)
			} else {
				pkgs, err := parseRPMQuery(bytes.NewReader(out))
				if err != nil {
					r.warn("rpm: %v", err)
				}
				sw = append(sw, pkgs...)
				for _, p := range pkgs {
					if p.InstalledAt != nil && (r.inv.LastPatchAt == nil || p.InstalledAt.After(*r.inv.LastPatchAt)) {
						t := *p.InstalledAt
						r.inv.LastPatchAt = &t
					}
				}
			}
		} else {
			r.warn("rpm: database present but no rpm binary to read it")
		}
	}
	r.inv.Software = sw
	// Desktop packages make a workstation; otherwise a Linux host is a server.
	r.inv.Role = asset.RoleServer
	for _, p := range sw {
		switch p.Name {
		case "gdm3", "gdm", "lightdm", "sddm", "xorg", "xserver-xorg-core", "xorg-x11-server-Xorg", "gnome-shell", "plasma-desktop":
			r.inv.Role = asset.RoleWorkstation
		}
	}
}

func dirExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func tailFile(name string, n int64) []byte {
	f, err := os.Open(name)
	if err != nil {
		return nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil
	}
	off := fi.Size() - n
	if off < 0 {
		off = 0
	}
	b := make([]byte, fi.Size()-off)
	nr, _ := f.ReadAt(b, off)
	return b[:nr]
}

func linuxAccounts2(r *run, pw []passwdEntry, gr []groupEntry) {
	sh := parseShadow(openOrEmpty("/etc/shadow"), r.inv.CollectedAt)
	accts := linuxAccounts(pw, gr, sh)
	ll := readOrNil("/var/log/lastlog")
	for i := range accts {
		uid, _ := strconv.Atoi(accts[i].UID)
		accts[i].LastLogon = lastLogon(ll, uid)
	}
	r.inv.Accounts = accts
}

// readProcesses walks /proc once: every user process with its executable,
// and the owner of every socket inode.
func readProcesses() ([]procInfo, map[uint64]int) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, nil
	}
	var procs []procInfo
	owner := map[uint64]int{}
	self := os.Getpid()
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := "/proc/" + e.Name()
		stat := readOrNil(dir + "/stat")
		name, ppid := parseProcStat(stat)
		exe, err := os.Readlink(dir + "/exe")
		if err != nil && ppid == 2 || pid == 2 {
			continue // kernel thread
		}
		p := procInfo{pid: pid, ppid: ppid, name: name, uid: -1}
		if err == nil {
			p.path = strings.TrimSuffix(exe, " (deleted)")
			if fi, err := os.Stat(dir + "/exe"); err == nil {
				p.exeSize, p.exeMTime = fi.Size(), fi.ModTime()
			}
		}
		if fi, err := os.Stat(dir); err == nil {
			if s, ok := fi.Sys().(*syscall.Stat_t); ok {
				p.uid = int(s.Uid)
			}
		}
		if pid != self {
			procs = append(procs, p)
		}
		fds, err := os.ReadDir(dir + "/fd")
		if err != nil {
			continue
		}
		for _, fd := range fds {
			l, err := os.Readlink(dir + "/fd/" + fd.Name())
			if err != nil || !strings.HasPrefix(l, "socket:[") {
				continue
			}
			if ino, err := strconv.ParseUint(strings.TrimSuffix(l[8:], "]"), 10, 64); err == nil {
				if _, ok := owner[ino]; !ok {
					owner[ino] = pid
				}
			}
		}
	}
	return procs, owner
}

func linuxProcesses(r *run, st *linuxState) {
	out := make([]asset.Process, 0, len(st.procs))
	for _, p := range st.procs {
		ap := asset.Process{PID: p.pid, PPID: p.ppid, Name: p.name, Path: p.path, User: st.users[p.uid]}
		if ap.User == "" && p.uid >= 0 {
			ap.User = strconv.Itoa(p.uid)
		}
		if r.c.Hashes != nil && p.path != "" && p.exeSize > 0 {
			exe := "/proc/" + strconv.Itoa(p.pid) + "/exe"
			sum, err := r.c.Hashes.Sum(p.path, p.exeSize, p.exeMTime, func() (*os.File, error) { return os.Open(exe) })
			if err == nil {
				ap.SHA256 = sum
			}
		}
		out = append(out, ap)
	}
	r.inv.Processes = out
}

// ReadSockets returns the TCP and UDP sockets of /proc/net with the pid
// that owns each, for the listening list and the scan's connection check.
func readSockets() ([]socket, error) {
	var all []socket
	var firstErr error
	for _, f := range []struct{ file, proto string }{
		{"/proc/net/tcp", "tcp"}, {"/proc/net/tcp6", "tcp"}, {"/proc/net/udp", "udp"}, {"/proc/net/udp6", "udp"},
	} {
		fh, err := os.Open(f.file)
		if err != nil {
			continue // no IPv6
		}
		socks, err := parseProcNet(fh, f.proto)
		fh.Close()
		if err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", f.file, err)
		}
		all = append(all, socks...)
	}
	return all, firstErr
}

func linuxListening(r *run, st *linuxState) {
	socks, err := readSockets()
	if err != nil {
		r.warn("sockets: %v", err)
	}
	var out []asset.Listener
	for _, s := range socks {
		listening := s.proto == "tcp" && s.state == tcpListen ||
			s.proto == "udp" && s.state == udpUnconnected && !s.remote.Addr().IsValid() ||
			s.proto == "udp" && s.state == udpUnconnected && s.remote.Addr().IsUnspecified()
		if !listening {
			continue
		}
		l := asset.Listener{Proto: s.proto, Address: s.local.Addr().String(), Port: int(s.local.Port())}
		if pid, ok := st.inodeOwner[s.inode]; ok {
			l.PID = pid
			l.Process = st.names[pid]
		}
		out = append(out, l)
	}
	r.inv.Listening = out
}

// systemdUnits lists installed service units and whether each is enabled
// (linked from a .wants directory), without calling systemctl.
func systemdUnits() map[string]bool {
	units := map[string]bool{}
	for _, dir := range []string{"/lib/systemd/system", "/usr/lib/systemd/system", "/etc/systemd/system"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if n, ok := strings.CutSuffix(e.Name(), ".service"); ok {
				if _, seen := units[strings.ToLower(n)]; !seen {
					units[strings.ToLower(n)] = false
				}
			}
		}
	}
	wants, _ := filepath.Glob("/etc/systemd/system/*.wants/*.service")
	for _, w := range wants {
		n := strings.ToLower(strings.TrimSuffix(filepath.Base(w), ".service"))
		units[n] = true
	}
	return units
}

func linuxControls(ctx context.Context, r *run, st *linuxState) {
	var ctl []asset.Control
	ctl = append(ctl, matchAgents(st.running, st.serviceUnit)...)
	if c, ok := clamAV(st); ok {
		ctl = append(ctl, c)
	}
	ctl = append(ctl, linuxFirewall(ctx, r, st))
	ctl = append(ctl, linuxDiskEncryption(r))
	ctl = append(ctl, linuxAutoUpdates(st))
	r.mu.Lock()
	r.inv.Controls = ctl
	r.mu.Unlock()
}

// clamAV reports ClamAV when its signature databases or daemons exist; the
// signature age is the build time in the header of daily.cvd or daily.cld.
func clamAV(st *linuxState) (asset.Control, bool) {
	var dbs []string
	for _, dir := range []string{"/var/lib/clamav", "/var/clamav", "/usr/local/share/clamav"} {
		for _, n := range []string{"daily.cld", "daily.cvd"} {
			if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
				dbs = append(dbs, filepath.Join(dir, n))
			}
		}
	}
	clamd := st.running["clamd"]
	freshclam := st.running["freshclam"]
	onAccess := st.running["clamonacc"]
	_, hasScan := exec.LookPath("clamscan")
	if len(dbs) == 0 && !clamd && !freshclam && hasScan != nil {
		return asset.Control{}, false
	}
	c := asset.Control{Kind: asset.ControlAntivirus, Product: "ClamAV", Enabled: clamd || freshclam || len(dbs) > 0,
		RealTime: boolp(onAccess), Running: boolp(clamd)}
	var newest time.Time
	for _, db := range dbs {
		f, err := os.Open(db)
		if err != nil {
			continue
		}
		hdr := make([]byte, 512)
		n, _ := io.ReadFull(f, hdr)
		f.Close()
		t, err := parseCVDTime(hdr[:n])
		if err != nil {
			if fi, err := os.Stat(db); err == nil {
				t = fi.ModTime()
			}
		}
		if t.After(newest) {
			newest = t
		}
	}
	if !newest.IsZero() {
		t := newest.UTC()
		c.UpdatedAt = &t
	} else {
		c.Detail = "no signature database found"
	}
	return c, true
}

// linuxFirewall reports the host firewall: ufw or firewalld when they
// manage it, else whether nftables or iptables have filtering rules on
// input. It always returns a control so "no firewall" is explicit.
func linuxFirewall(ctx context.Context, r *run, st *linuxState) asset.Control {
	if b := readOrNil("/etc/ufw/ufw.conf"); b != nil {
		on := bytes.Contains(b, []byte("ENABLED=yes"))
		return asset.Control{Kind: asset.ControlFirewall, Product: "ufw", Enabled: on}
	}
	if st.running["firewalld"] {
		return asset.Control{Kind: asset.ControlFirewall, Product: "firewalld", Enabled: true, Running: boolp(true)}
	}
	if _, err := exec.LookPath("nft"); err == nil {
		out, err := r.command(ctx, "nft", "list", "ruleset")
		if err == nil {
			on, detail := nftFilters(string(out))
			return asset.Control{Kind: asset.ControlFirewall, Product: "nftables", Enabled: on, Detail: detail}
		}
		r.warn("firewall: %v", err)
	}
	if _, err := exec.LookPath("iptables"); err == nil {
		out, err := r.command(ctx, "iptables", "-S", "INPUT")
		if err == nil {
			on, detail := iptablesFilters(string(out))
			return asset.Control{Kind: asset.ControlFirewall, Product: "iptables", Enabled: on, Detail: detail}
		}
		r.warn("firewall: %v", err)
	}
	return asset.Control{Kind: asset.ControlFirewall, Product: "netfilter", Enabled: false, Detail: "no firewall manager or rules found"}
}

func linuxDiskEncryption(r *run) asset.Control {
	c := asset.Control{Kind: asset.ControlDiskEncryption, Product: "LUKS"}
	var enc, plain []string
	for _, d := range r.inv.Disks {
		if d.Encrypted == nil {
			continue
		}
		if *d.Encrypted {
			enc = append(enc, d.Mount)
		} else {
			plain = append(plain, d.Mount)
		}
	}
	for _, d := range r.inv.Disks {
		if d.Mount == "/" && d.Encrypted != nil && *d.Encrypted {
			c.Enabled = true
		}
	}
	switch {
	case len(enc) > 0:
		c.Detail = "encrypted: " + strings.Join(enc, " ")
		if len(plain) > 0 {
			c.Detail += "; not encrypted: " + strings.Join(plain, " ")
		}
	case len(plain) > 0:
		c.Detail = "not encrypted: " + strings.Join(plain, " ")
	default:
		c.Detail = "no block-device filesystems found"
	}
	return c
}

// linuxAutoUpdates reports unattended-upgrades (Debian, Ubuntu) or
// dnf-automatic / yum-cron (Red Hat family).
func linuxAutoUpdates(st *linuxState) asset.Control {
	files, _ := filepath.Glob("/etc/apt/apt.conf.d/*")
	on, set := false, false
	for _, f := range files {
		o, s := parseAptPeriodic(openOrEmpty(f))
		if s {
			on, set = o, true // later files override earlier ones
		}
	}
	if _, err := os.Stat("/usr/bin/unattended-upgrade"); err == nil || set {
		c := asset.Control{Kind: asset.ControlAutoUpdate, Product: "unattended-upgrades", Enabled: on && err == nil}
		if err != nil {
			c.Detail = "unattended-upgrades not installed"
		}
		if t := aptLastUpdate(); t != nil {
			c.UpdatedAt = t
		}
		return c
	}
	for _, t := range []string{"dnf-automatic", "dnf-automatic-install", "yum-cron"} {
		if m, _ := filepath.Glob("/etc/systemd/system/timers.target.wants/" + t + "*.timer"); len(m) > 0 {
			return asset.Control{Kind: asset.ControlAutoUpdate, Product: t, Enabled: true}
		}
		if st.serviceUnit[t] {
			return asset.Control{Kind: asset.ControlAutoUpdate, Product: t, Enabled: true}
		}
	}
	return asset.Control{Kind: asset.ControlAutoUpdate, Product: "none", Enabled: false, Detail: "no automatic update tool found"}
}

// aptLastUpdate is when the package lists were last refreshed.
func aptLastUpdate() *time.Time {
	for _, p := range []string{"/var/lib/apt/periodic/update-success-stamp", "/var/lib/apt/lists"} {
		if fi, err := os.Stat(p); err == nil {
			t := fi.ModTime().UTC().Truncate(time.Second)
			return &t
		}
	}
	return nil
}

// Connections returns the established TCP connections and connected UDP
// sockets with their owning process, for the scan's indicator check.
func Connections() ([]Connection, error) {
	socks, err := readSockets()
	procs, owner := readProcesses()
	names := map[int]string{}
	paths := map[int]string{}
	for _, p := range procs {
		names[p.pid] = p.name
		paths[p.pid] = p.path
	}
	var out []Connection
	for _, s := range socks {
		if !s.remote.IsValid() || s.remote.Addr().IsUnspecified() || s.remote.Port() == 0 {
			continue
		}
		if s.proto == "tcp" && s.state == tcpListen {
			continue
		}
		c := Connection{Proto: s.proto, Local: s.local, Remote: s.remote}
		if pid, ok := owner[s.inode]; ok {
			c.PID, c.Process, c.Path = pid, names[pid], paths[pid]
		}
		out = append(out, c)
	}
	return out, err
}

// Processes returns the running processes with the SHA-256 of each
// executable (through cache, which may be nil for no hashing).
func Processes(cache *HashCache) []asset.Process {
	procs, _ := readProcesses()
	st := &linuxState{procs: procs, users: map[int]string{}}
	for _, p := range parsePasswd(openOrEmpty("/etc/passwd")) {
		st.users[p.uid] = p.name
	}
	r := &run{c: &Collector{Hashes: cache}, inv: &asset.Inventory{}}
	linuxProcesses(r, st)
	return r.inv.Processes
}
