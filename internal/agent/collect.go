// Package agent is the endpoint agent: collectors of the host's inventory
// per OS, enrolment state, the client of the hub's agent API, the run loop
// and service installation. The scan engine is in agent/scan.
//
// The agent stays light: it imports no database driver and no web
// framework, so `vigil agent run` keeps a small resident set.
package agent

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"vigil/internal/asset"
)

// Collector gathers the inventory of the machine it runs on.
type Collector struct {
	// Version is the agent version written into the inventory.
	Version string
	// Hashes caches executable digests; nil disables process hashing.
	Hashes *HashCache
	// CommandTimeout bounds each helper command (rpm, nft, powershell).
	CommandTimeout time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Collect returns the inventory of this machine. Collectors that fail add
// a warning to the inventory rather than failing the whole collection.
func (c *Collector) Collect(ctx context.Context) (*asset.Inventory, error) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	inv := &asset.Inventory{
		Schema:       asset.SchemaVersion,
		Source:       asset.SourceAgent,
		AgentVersion: c.Version,
		CollectedAt:  now().UTC().Truncate(time.Second),
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("agent: hostname: %w", err)
	}
	inv.Hostname = shortHostname(host)
	if strings.Contains(host, ".") {
		inv.FQDN = strings.ToLower(host)
	}
	inv.OS.Family = runtime.GOOS
	inv.OS.Arch = runtime.GOARCH
	inv.Interfaces = interfaces()

	r := &run{inv: inv, c: c}
	c.collectOS(ctx, r)
	if inv.FQDN != "" && inv.Domain == "" {
		if _, d, ok := strings.Cut(inv.FQDN, "."); ok {
			inv.Domain, inv.DomainKind = d, "dns"
		}
	}
	// A hostile process name must not keep the inventory from the hub.
	inv.Sanitize()
	sort.Strings(inv.Warnings)
	inv.Normalize()
	return inv, nil
}

// run is one collection in progress: the inventory being filled and the
// warnings of failed collectors.
type run struct {
	c   *Collector
	inv *asset.Inventory
	mu  sync.Mutex
}

func (r *run) warn(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.inv.Warnings = append(r.inv.Warnings, fmt.Sprintf(format, args...))
}

// parallel runs the steps at once and waits for them. Each step fills its
// own fields of the inventory.
func (r *run) parallel(steps ...func()) {
	var wg sync.WaitGroup
	for _, s := range steps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if p := recover(); p != nil {
					r.warn("collector panic: %v", p)
				}
			}()
			s()
		}()
	}
	wg.Wait()
}

// command runs a helper program with the collector's timeout and returns
// its standard output.
func (r *run) command(ctx context.Context, name string, args ...string) ([]byte, error) {
	d := r.c.CommandTimeout
	if d == 0 {
		d = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return out, fmt.Errorf("%s: timed out after %s", name, d)
		}
		if msg != "" {
			return out, fmt.Errorf("%s: %v: %s", name, err, msg)
		}
		return out, fmt.Errorf("%s: %v", name, err)
	}
	return out, nil
}

func shortHostname(h string) string {
	h, _, _ = strings.Cut(h, ".")
	return strings.ToLower(h)
}

// interfaces lists the non-loopback interfaces with their addresses.
func interfaces() []asset.Interface {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	var out []asset.Interface
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		n := asset.Interface{Name: ifc.Name, MAC: ifc.HardwareAddr.String(), Addresses: []string{}}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				ones, _ := ipn.Mask.Size()
				n.Addresses = append(n.Addresses, fmt.Sprintf("%s/%d", ipn.IP.String(), ones))
			}
		}
		if len(n.Addresses) == 0 && n.MAC == "" {
			continue
		}
		out = append(out, n)
	}
	return out
}

func isWindows() bool { return runtime.GOOS == "windows" }

func boolp(b bool) *bool { return &b }
