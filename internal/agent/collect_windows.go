package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"vigil/internal/asset"
)

// collectOS on Windows: the registry for installed software, the process
// table through the Toolhelp API, and one PowerShell run for everything WMI
// and the Defender and networking modules know (windowsScript). The
// parsing is in windows_parse.go.
func (c *Collector) collectOS(ctx context.Context, r *run) {
	inv := r.inv
	var report []byte
	var procs []winProcess
	r.parallel(
		func() {
			out, err := r.powershell(ctx, windowsScript, 90*time.Second)
			if err != nil {
				r.warn("powershell: %v", err)
				return
			}
			report = out
		},
		func() { inv.Software = windowsSoftware(r) },
		func() { procs = windowsProcessList() },
	)
	inv.OS.Name = "Microsoft Windows"
	if len(report) > 0 {
		if err := applyWindowsReport(report, inv); err != nil {
			r.warn("%v", err)
		}
	}
	names := map[int]string{}
	running := map[string]bool{}
	for _, p := range procs {
		names[p.pid] = p.name
		running[processKey(p.name)] = true
	}
	var w winReport
	if len(report) > 0 {
		_ = json.Unmarshal(report, &w)
	}
	inv.Listening = windowsListening(&w, names)
	enabled, svcRunning := windowsServices(&w)
	for n := range svcRunning {
		running[n] = true
	}
	inv.Controls = append(inv.Controls, matchAgents(running, enabled)...)
	inv.Processes = windowsProcesses(procs, c.Hashes)
}

// powershell runs script (on stdin) and returns its stdout.
func (r *run) powershell(ctx context.Context, script string, timeout time.Duration) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	exe := "powershell.exe"
	if root := os.Getenv("SystemRoot"); root != "" {
		exe = filepath.Join(root, `System32\WindowsPowerShell\v1.0\powershell.exe`)
	}
	cmd := exec.CommandContext(ctx, exe, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Command", "-")
	cmd.Stdin = strings.NewReader(script)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	// Windows PowerShell may prefix a BOM.
	return bytes.TrimPrefix(bytes.TrimSpace(out), []byte("\xef\xbb\xbf")), nil
}

const uninstallPath = `SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`

// windowsSoftware reads the Uninstall keys: HKLM in the 64-bit view, the
// 32-bit view (WOW6432Node), and each loaded user hive under HKU.
func windowsSoftware(r *run) []asset.Software {
	var out []asset.Software
	out = append(out, readUninstall(r, registry.LOCAL_MACHINE, uninstallPath, registry.WOW64_64KEY, asset.SoftwareRegistry)...)
	out = append(out, readUninstall(r, registry.LOCAL_MACHINE, uninstallPath, registry.WOW64_32KEY, asset.SoftwareRegWOW)...)
	users, err := registry.USERS.ReadSubKeyNames(-1)
	if err == nil {
		for _, sid := range users {
			if !strings.HasPrefix(sid, "S-1-5-21-") || strings.HasSuffix(sid, "_Classes") {
				continue
			}
			out = append(out, readUninstall(r, registry.USERS, sid+`\`+uninstallPath, 0, asset.SoftwareRegUser)...)
		}
	}
	return out
}

func readUninstall(r *run, root registry.Key, path string, view uint32, source string) []asset.Software {
	k, err := registry.OpenKey(root, path, registry.ENUMERATE_SUB_KEYS|registry.QUERY_VALUE|view)
	if err != nil {
		return nil
	}
	defer k.Close()
	subs, err := k.ReadSubKeyNames(-1)
	if err != nil {
		r.warn("registry %s: %v", path, err)
		return nil
	}
	var out []asset.Software
	for _, s := range subs {
		sk, err := registry.OpenKey(k, s, registry.QUERY_VALUE|view)
		if err != nil {
			continue
		}
		values := map[string]any{}
		for _, n := range []string{"DisplayName", "DisplayVersion", "Publisher", "InstallDate", "ParentKeyName", "ReleaseType"} {
			if v, _, err := sk.GetStringValue(n); err == nil {
				values[n] = v
			}
		}
		if v, _, err := sk.GetIntegerValue("SystemComponent"); err == nil {
			values["SystemComponent"] = v
		}
		sk.Close()
		if sw, ok := uninstallEntry(values, source); ok {
			out = append(out, sw)
		}
	}
	return out
}

type winProcess struct {
	pid, ppid int
	name      string
}

func windowsProcessList() []winProcess {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPPROCESS, 0)
	if err != nil {
		return nil
	}
	defer windows.CloseHandle(snap)
	var e windows.ProcessEntry32
	e.Size = uint32(unsafe.Sizeof(e))
	var out []winProcess
	for err = windows.Process32First(snap, &e); err == nil; err = windows.Process32Next(snap, &e) {
		out = append(out, winProcess{pid: int(e.ProcessID), ppid: int(e.ParentProcessID), name: windows.UTF16ToString(e.ExeFile[:])})
	}
	return out
}

// processImage returns the executable path and owner of a process.
func processImage(pid int) (path, user string) {
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return "", ""
	}
	defer windows.CloseHandle(h)
	buf := make([]uint16, windows.MAX_LONG_PATH)
	n := uint32(len(buf))
	if err := windows.QueryFullProcessImageName(h, 0, &buf[0], &n); err == nil {
		path = windows.UTF16ToString(buf[:n])
	}
	var tok windows.Token
	if err := windows.OpenProcessToken(h, windows.TOKEN_QUERY, &tok); err == nil {
		if tu, err := tok.GetTokenUser(); err == nil {
			if acct, dom, _, err := tu.User.Sid.LookupAccount(""); err == nil {
				user = dom + `\` + acct
			}
		}
		tok.Close()
	}
	return path, user
}

func windowsProcesses(procs []winProcess, cache *HashCache) []asset.Process {
	out := make([]asset.Process, 0, len(procs))
	for _, p := range procs {
		if p.pid == 0 {
			continue // System Idle Process
		}
		ap := asset.Process{PID: p.pid, PPID: p.ppid, Name: p.name}
		ap.Path, ap.User = processImage(p.pid)
		if cache != nil && ap.Path != "" {
			if fi, err := os.Stat(ap.Path); err == nil && fi.Mode().IsRegular() {
				path := ap.Path
				if sum, err := cache.Sum(path, fi.Size(), fi.ModTime(), func() (*os.File, error) { return os.Open(path) }); err == nil {
					ap.SHA256 = sum
				}
			}
		}
		out = append(out, ap)
	}
	return out
}

// Processes returns the running processes with executable digests.
func Processes(cache *HashCache) []asset.Process {
	return windowsProcesses(windowsProcessList(), cache)
}

const connectionsScript = `
$ErrorActionPreference = 'SilentlyContinue'
@(Get-NetTCPConnection -State Established | Select-Object LocalAddress,LocalPort,RemoteAddress,RemotePort,OwningProcess) | ConvertTo-Json -Compress
`

// Connections returns established TCP connections with their process.
func Connections() ([]Connection, error) {
	r := &run{c: &Collector{}, inv: &asset.Inventory{}}
	out, err := r.powershell(context.Background(), connectionsScript, 60*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connections: %w", err)
	}
	var rows []struct {
		LocalAddress  string
		LocalPort     flexInt
		RemoteAddress string
		RemotePort    flexInt
		OwningProcess flexInt
	}
	if len(out) > 0 && out[0] == '{' {
		out = append(append([]byte{'['}, out...), ']')
	}
	if len(out) > 0 {
		if err := json.Unmarshal(out, &rows); err != nil {
			return nil, fmt.Errorf("connections: %w", err)
		}
	}
	names := map[int]string{}
	for _, p := range windowsProcessList() {
		names[p.pid] = p.name
	}
	var conns []Connection
	for _, row := range rows {
		la, err1 := netip.ParseAddr(row.LocalAddress)
		ra, err2 := netip.ParseAddr(row.RemoteAddress)
		if err1 != nil || err2 != nil {
			continue
		}
		pid := int(row.OwningProcess.V)
		path, _ := processImage(pid)
		conns = append(conns, Connection{Proto: "tcp", Local: netip.AddrPortFrom(la.Unmap(), uint16(row.LocalPort.V)),
			Remote: netip.AddrPortFrom(ra.Unmap(), uint16(row.RemotePort.V)), PID: pid, Process: names[pid], Path: path})
	}
	return conns, nil
}
