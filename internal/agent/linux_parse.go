package agent

// Parsers for the Linux files the collector reads. They take readers and
// live in a file without build tags so they are tested on every OS.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"vigil/internal/asset"
)

// parseOSRelease reads /etc/os-release (KEY=value, values optionally quoted).
func parseOSRelease(r io.Reader) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else {
			v = strings.Trim(v, `"'`)
		}
		m[k] = v
	}
	return m
}

// parseDpkgStatus reads /var/lib/dpkg/status: RFC 822-style stanzas; only
// packages whose Status ends in "installed" count.
func parseDpkgStatus(r io.Reader) ([]asset.Software, error) {
	var out []asset.Software
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var name, version, vendor, arch, status string
	flush := func() {
		if name != "" && strings.HasSuffix(status, " installed") {
			out = append(out, asset.Software{Name: name, Version: version, Vendor: vendor, Source: asset.SoftwareDpkg, Arch: arch})
		}
		name, version, vendor, arch, status = "", "", "", "", ""
	}
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(b) == 0 {
			flush()
			continue
		}
		if b[0] == ' ' || b[0] == '\t' {
			continue // continuation of a multi-line field
		}
		k, v, ok := bytes.Cut(b, []byte{':'})
		if !ok {
			continue
		}
		val := string(bytes.TrimSpace(v))
		switch string(k) {
		case "Package":
			name = val
		case "Version":
			version = val
		case "Architecture":
			arch = val
		case "Status":
			status = val
		case "Maintainer":
			vendor = maintainerName(val)
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("dpkg status line %d: %w", line, err)
	}
	return out, nil
}

// maintainerName drops the e-mail address: inventories carry no personal
// contact data.
func maintainerName(s string) string {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// rpmQueryFormat is passed to `rpm -qa --queryformat`; one package a line,
// fields separated by tabs.
const rpmQueryFormat = `%{NAME}\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\t%{VENDOR}\t%{ARCH}\t%{INSTALLTIME}\n`

// parseRPMQuery reads the output of rpm -qa --queryformat rpmQueryFormat.
func parseRPMQuery(r io.Reader) ([]asset.Software, error) {
	var out []asset.Software
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 5 {
			if strings.TrimSpace(sc.Text()) == "" {
				continue
			}
			return out, fmt.Errorf("rpm output line %d: %d fields, want 5", line, len(f))
		}
		ver := strings.TrimPrefix(f[1], "0:")
		vendor := f[2]
		if vendor == "(none)" {
			vendor = ""
		}
		arch := f[3]
		if arch == "(none)" {
			arch = ""
		}
		s := asset.Software{Name: f[0], Version: ver, Vendor: vendor, Source: asset.SoftwareRPM, Arch: arch}
		if sec, err := strconv.ParseInt(f[4], 10, 64); err == nil && sec > 0 {
			t := time.Unix(sec, 0).UTC()
			s.InstalledAt = &t
		}
		if s.Name == "gpg-pubkey" {
			continue // imported signing keys, not software
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

type passwdEntry struct {
	name  string
	uid   int
	gid   int
	home  string
	shell string
}

func parsePasswd(r io.Reader) []passwdEntry {
	var out []passwdEntry
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 7 || f[0] == "" || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "+") {
			continue
		}
		uid, err1 := strconv.Atoi(f[2])
		gid, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		out = append(out, passwdEntry{name: f[0], uid: uid, gid: gid, home: f[5], shell: f[6]})
	}
	return out
}

type groupEntry struct {
	name    string
	gid     int
	members []string
}

func parseGroup(r io.Reader) []groupEntry {
	var out []groupEntry
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 4 || f[0] == "" || strings.HasPrefix(f[0], "#") {
			continue
		}
		gid, err := strconv.Atoi(f[2])
		if err != nil {
			continue
		}
		var members []string
		for _, m := range strings.Split(f[3], ",") {
			if m = strings.TrimSpace(m); m != "" {
				members = append(members, m)
			}
		}
		out = append(out, groupEntry{name: f[0], gid: gid, members: members})
	}
	return out
}

// shadowEntry is what the collector needs from /etc/shadow: whether the
// password is locked and whether the account has expired.
type shadowEntry struct {
	locked  bool
	expired bool
}

func parseShadow(r io.Reader, now time.Time) map[string]shadowEntry {
	out := map[string]shadowEntry{}
	sc := bufio.NewScanner(r)
	today := now.Unix() / 86400
	for sc.Scan() {
		f := strings.Split(sc.Text(), ":")
		if len(f) < 8 {
			continue
		}
		e := shadowEntry{locked: strings.HasPrefix(f[1], "!")}
		if d, err := strconv.ParseInt(f[7], 10, 64); err == nil && d > 0 && d <= today {
			e.expired = true
		}
		out[f[0]] = e
	}
	return out
}

// adminGroups are the groups whose members can become root.
var adminGroups = map[string]bool{"sudo": true, "wheel": true, "admin": true, "root": false}

var noLoginShells = []string{"/nologin", "/false", "/sync", "/shutdown", "/halt"}

// linuxAccounts combines passwd, group and (when readable) shadow.
func linuxAccounts(pw []passwdEntry, gr []groupEntry, sh map[string]shadowEntry) []asset.Account {
	adminGID := map[int]bool{}
	adminMember := map[string]bool{}
	for _, g := range gr {
		if adminGroups[g.name] {
			adminGID[g.gid] = true
			for _, m := range g.members {
				adminMember[m] = true
			}
		}
	}
	var out []asset.Account
	for _, p := range pw {
		a := asset.Account{Name: p.name, UID: strconv.Itoa(p.uid), Enabled: true}
		a.Admin = p.uid == 0 || adminGID[p.gid] || adminMember[p.name]
		for _, s := range noLoginShells {
			if strings.HasSuffix(p.shell, s) {
				a.Enabled = false
			}
		}
		if e, ok := sh[p.name]; ok && (e.locked || e.expired) {
			a.Enabled = false
		}
		a.System = p.uid != 0 && (p.uid < 1000 || p.uid == 65534)
		out = append(out, a)
	}
	return out
}

// socket is one line of /proc/net/{tcp,tcp6,udp,udp6}.
type socket struct {
	proto  string // tcp or udp
	local  netip.AddrPort
	remote netip.AddrPort
	state  int
	inode  uint64
}

const (
	tcpEstablished = 0x01
	tcpListen      = 0x0A
	udpUnconnected = 0x07
)

// parseProcNet reads /proc/net/tcp and friends. Addresses are hex in host
// byte order, 32 bits at a time.
func parseProcNet(r io.Reader, proto string) ([]socket, error) {
	var out []socket
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue // header
		}
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		local, err := parseHexAddrPort(f[1])
		if err != nil {
			return out, fmt.Errorf("line %d: local address: %w", line, err)
		}
		remote, err := parseHexAddrPort(f[2])
		if err != nil {
			return out, fmt.Errorf("line %d: remote address: %w", line, err)
		}
		st, err := strconv.ParseUint(f[3], 16, 8)
		if err != nil {
			return out, fmt.Errorf("line %d: state: %w", line, err)
		}
		inode, _ := strconv.ParseUint(f[9], 10, 64)
		out = append(out, socket{proto: proto, local: local, remote: remote, state: int(st), inode: inode})
	}
	return out, sc.Err()
}

func parseHexAddrPort(s string) (netip.AddrPort, error) {
	a, p, ok := strings.Cut(s, ":")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("%q: no port", s)
	}
	port, err := strconv.ParseUint(p, 16, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q: port: %v", s, err)
	}
	raw, err := hex.DecodeString(a)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return netip.AddrPort{}, fmt.Errorf("%q: bad address", s)
	}
	// Each 32-bit word is in host (little-endian) order.
	for i := 0; i < len(raw); i += 4 {
		raw[i], raw[i+1], raw[i+2], raw[i+3] = raw[i+3], raw[i+2], raw[i+1], raw[i]
	}
	addr, _ := netip.AddrFromSlice(raw)
	return netip.AddrPortFrom(addr.Unmap(), uint16(port)), nil
}

// parseResolvConf returns the nameservers of /etc/resolv.conf.
func parseResolvConf(r io.Reader) []string {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "nameserver" {
			if a, err := netip.ParseAddr(f[1]); err == nil {
				out = append(out, a.WithZone("").String())
			}
		}
	}
	return out
}

// parseRouteGateways reads /proc/net/route for the IPv4 default gateways.
func parseRouteGateways(r io.Reader) []string {
	var out []string
	sc := bufio.NewScanner(r)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		f := strings.Fields(sc.Text())
		if len(f) < 8 || f[1] != "00000000" || f[7] != "00000000" {
			continue
		}
		raw, err := hex.DecodeString(f[2])
		if err != nil || len(raw) != 4 {
			continue
		}
		a := netip.AddrFrom4([4]byte{raw[3], raw[2], raw[1], raw[0]})
		if !a.IsUnspecified() {
			out = append(out, a.String())
		}
	}
	return out
}

// parseIPv6RouteGateways reads /proc/net/ipv6_route for default routes.
func parseIPv6RouteGateways(r io.Reader) []string {
	var out []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 || f[0] != strings.Repeat("0", 32) || f[1] != "00" {
			continue
		}
		raw, err := hex.DecodeString(f[4])
		if err != nil || len(raw) != 16 {
			continue
		}
		a := netip.AddrFrom16([16]byte(raw))
		if !a.IsUnspecified() {
			out = append(out, a.String())
		}
	}
	return out
}

// parseMeminfo returns MemTotal in bytes.
func parseMeminfo(r io.Reader) uint64 {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemTotal:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// parseCPUInfo returns the model, physical cores, logical CPUs and whether
// the kernel runs under a hypervisor.
func parseCPUInfo(r io.Reader) (model string, cores, threads int, virtual bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	phys := ""
	seen := map[string]bool{}
	coresPerPkg := map[string]int{}
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "processor":
			threads++
		case "model name", "Model", "cpu model":
			if model == "" {
				model = v
			}
		case "physical id":
			phys = v
		case "core id":
			seen[phys+"/"+v] = true
		case "cpu cores":
			n, _ := strconv.Atoi(v)
			coresPerPkg[phys] = n
		case "flags":
			if strings.Contains(" "+v+" ", " hypervisor ") {
				virtual = true
			}
		}
	}
	cores = len(seen)
	if cores == 0 {
		for _, n := range coresPerPkg {
			cores += n
		}
	}
	if cores == 0 {
		cores = threads
	}
	return model, cores, threads, virtual
}

// parseMounts reads /proc/self/mounts and keeps real filesystems.
func parseMounts(r io.Reader) []asset.Disk {
	var out []asset.Disk
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || !realFS[f[2]] {
			continue
		}
		out = append(out, asset.Disk{Device: unescapeMount(f[0]), Mount: unescapeMount(f[1]), FSType: f[2]})
	}
	return out
}

var realFS = map[string]bool{
	"ext2": true, "ext3": true, "ext4": true, "xfs": true, "btrfs": true, "zfs": true, "vfat": true,
	"exfat": true, "ntfs": true, "ntfs3": true, "f2fs": true, "jfs": true, "reiserfs": true, "overlay": true,
	"nfs": true, "nfs4": true, "cifs": true, "fuseblk": true,
}

// unescapeMount undoes the octal escapes (\040 for space) of /proc/mounts.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// utmp record layout on Linux (glibc, 64-bit and 32-bit alike): 384 bytes.
const (
	utmpSize        = 384
	utmpUserProcess = 7
)

// parseUtmp returns the USER_PROCESS entries of /var/run/utmp.
func parseUtmp(data []byte) []asset.Session {
	var out []asset.Session
	for off := 0; off+utmpSize <= len(data); off += utmpSize {
		rec := data[off : off+utmpSize]
		if int16(binary.LittleEndian.Uint16(rec[0:])) != utmpUserProcess {
			continue
		}
		s := asset.Session{
			Terminal: cstr(rec[8:40]),
			User:     cstr(rec[44:76]),
			From:     cstr(rec[76:332]),
		}
		if sec := int32(binary.LittleEndian.Uint32(rec[340:])); sec > 0 {
			t := time.Unix(int64(sec), 0).UTC()
			s.Since = &t
		}
		if s.User != "" {
			out = append(out, s)
		}
	}
	return out
}

// lastlog record: int32 time, char line[32], char host[256].
const lastlogSize = 292

// lastLogon reads the lastlog entry of uid from the whole file.
func lastLogon(data []byte, uid int) *time.Time {
	off := uid * lastlogSize
	if uid < 0 || off+4 > len(data) {
		return nil
	}
	sec := int32(binary.LittleEndian.Uint32(data[off:]))
	if sec <= 0 {
		return nil
	}
	t := time.Unix(int64(sec), 0).UTC()
	return &t
}

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.ToValidUTF8(string(b), "")
}

// parseCVDTime reads the build time from a ClamAV database header
// ("ClamAV-VDB:27 Nov 2026 09-26 +0000:27467:..."), the first 512 bytes of
// daily.cvd or daily.cld.
func parseCVDTime(header []byte) (time.Time, error) {
	f := strings.Split(string(header), ":")
	if len(f) < 3 || f[0] != "ClamAV-VDB" {
		return time.Time{}, fmt.Errorf("not a ClamAV database header")
	}
	return time.Parse("02 Jan 2006 15-04 -0700", strings.TrimSpace(f[1]))
}

// parseAptPeriodic reports whether APT::Periodic::Unattended-Upgrade is
// set to a non-zero value in an apt.conf fragment, and whether the file
// set it at all.
func parseAptPeriodic(r io.Reader) (on, set bool) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "//") || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.Contains(line, "APT::Periodic::Unattended-Upgrade") {
			_, v, _ := strings.Cut(line, "Unattended-Upgrade")
			v = strings.Trim(strings.TrimSpace(v), `";`)
			v = strings.Trim(v, `"`)
			set = true
			on = v != "" && v != "0" && v != "false"
		}
	}
	return on, set
}

// lastDpkgChange finds the time of the last package install or upgrade
// in the tail of /var/log/dpkg.log ("2026-11-20 06:25:11 status installed ...").
func lastDpkgChange(tail []byte) *time.Time {
	var last *time.Time
	for _, line := range bytes.Split(tail, []byte{'\n'}) {
		if !bytes.Contains(line, []byte(" status installed ")) || len(line) < 19 {
			continue
		}
		if t, err := time.ParseInLocation("2006-01-02 15:04:05", string(line[:19]), time.Local); err == nil {
			t = t.UTC()
			last = &t
		}
	}
	return last
}

// fqdnFromHosts finds a dotted name on the /etc/hosts line that lists host.
func fqdnFromHosts(hosts []byte, host string) string {
	for _, line := range strings.Split(string(hosts), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		names := f[1:]
		has := false
		for _, n := range names {
			if strings.EqualFold(n, host) || strings.HasPrefix(strings.ToLower(n), strings.ToLower(host)+".") {
				has = true
			}
		}
		if !has {
			continue
		}
		for _, n := range names {
			if strings.HasPrefix(strings.ToLower(n), strings.ToLower(host)+".") {
				return strings.ToLower(n)
			}
		}
	}
	return ""
}

// parseProcStat returns comm and ppid from /proc/PID/stat; comm is in
// parentheses and may itself contain spaces and parentheses.
func parseProcStat(b []byte) (string, int) {
	open := bytes.IndexByte(b, '(')
	close := bytes.LastIndexByte(b, ')')
	if open < 0 || close < open {
		return "", 0
	}
	name := string(b[open+1 : close])
	f := strings.Fields(string(b[close+1:]))
	if len(f) < 2 {
		return name, 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return name, ppid
}

// nftFilters reports whether an nft ruleset filters incoming traffic: an
// input hook with a drop policy or a drop/reject rule.
func nftFilters(ruleset string) (bool, string) {
	if !strings.Contains(ruleset, "hook input") {
		return false, "no input chain"
	}
	if strings.Contains(ruleset, "policy drop") || strings.Contains(ruleset, " drop") || strings.Contains(ruleset, " reject") {
		return true, "input chain filters"
	}
	return false, "input chain accepts everything"
}

// iptablesFilters reads `iptables -S INPUT`.
func iptablesFilters(out string) (bool, string) {
	if strings.Contains(out, "-P INPUT DROP") || strings.Contains(out, "-j DROP") || strings.Contains(out, "-j REJECT") {
		return true, "INPUT filters"
	}
	n := strings.Count(out, "\n-A INPUT")
	if strings.HasPrefix(out, "-A INPUT") {
		n++
	}
	if n > 0 {
		return false, fmt.Sprintf("INPUT has %d rules and accepts by default", n)
	}
	return false, "INPUT accepts everything"
}
