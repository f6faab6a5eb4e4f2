package hosts

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"vigil/internal/agent/scan"
	"vigil/internal/asset"
	"vigil/internal/auth"
	"vigil/internal/detect/ioc"
	"vigil/internal/store"
)

// LoadDemo gives the demo organisation's units a few hosts each, with the
// mix a review finds in practice: most protected, some with old antivirus
// signatures, firewalls off, silent agents, hosts known only from an
// import, and a few malware findings. It does nothing when hosts exist.
func (s *Service) LoadDemo(ctx context.Context) (int, error) {
	ctx = auth.WithPrincipal(ctx, auth.System)
	var n int
	if err := s.DB.QueryRow(ctx, `SELECT COUNT(*) FROM hosts`).Scan(&n); err != nil {
		return 0, err
	}
	if n > 0 {
		return 0, nil
	}
	rows, err := s.DB.Query(ctx, `SELECT id, code, kind FROM units WHERE kind IN ('province', 'service_unit', 'district') ORDER BY id`)
	if err != nil {
		return 0, err
	}
	type unit struct {
		id         int64
		code, kind string
	}
	var units []unit
	for rows.Next() {
		var u unit
		if err := rows.Scan(&u.id, &u.code, &u.kind); err != nil {
			rows.Close()
			return 0, err
		}
		units = append(units, u)
	}
	rows.Close()
	rng := rand.New(rand.NewPCG(2024, 2))
	now := s.now()
	created := 0
	err = s.DB.InTx(ctx, func(tx *store.Tx) error {
		for ui, u := range units {
			count := 2 + rng.IntN(3)
			if u.kind == "province" {
				count = 4 + rng.IntN(5)
			}
			for i := 0; i < count; i++ {
				inv := demoInventory(rng, u.code, ui, i, now)
				hostID, _, _, err := s.ingest(ctx, tx, u.id, 0, inv, "")
				if err != nil {
					return fmt.Errorf("demo host %s: %w", inv.Hostname, err)
				}
				created++
				// Most hosts run the agent; some have gone silent.
				if rng.IntN(10) < 8 {
					agentID := fmt.Sprintf("demo%012x", rng.Uint64()&0xffffffffffff)
					seen := now.Add(-time.Duration(rng.IntN(50)) * time.Minute)
					if rng.IntN(12) == 0 {
						seen = now.Add(-time.Duration(30+rng.IntN(100)) * time.Hour)
					}
					if _, err := tx.Exec(ctx, `INSERT INTO agents (id, host_id, unit_id, secret_hash, version, enrolled_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
						agentID, hostID, u.id, auth.HashSecret(auth.NewSecret("")), "0.1.0", now.Add(-14*24*time.Hour).UnixMicro(), seen.UnixMicro()); err != nil {
						return err
					}
					if _, err := tx.Exec(ctx, `UPDATE hosts SET agent_id = ?, agent_seen_at = ?, source = 'agent' WHERE id = ?`, agentID, seen.UnixMicro(), hostID); err != nil {
						return err
					}
				} else {
					if _, err := tx.Exec(ctx, `UPDATE hosts SET source = 'csv' WHERE id = ?`, hostID); err != nil {
						return err
					}
				}
				// The demo officers' provinces (Hà Nội, Đà Nẵng) always
				// have something in their queue.
				if rng.IntN(40) == 0 || (i < 2 && (u.code == "T01" || u.code == "T48")) {
					if err := insertDemoFinding(ctx, tx, rng, hostID, inv, now); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	return created, err
}

var demoFindings = []struct{ kind, typ, value, comment, path, process, remote string }{
	{"file", "sha256", "0f1d0a1b8c3e2d4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f", "Danh sách cảnh báo tháng 01/2024: mã độc đánh cắp thông tin", `C:\Users\Public\Documents\update.exe`, "", ""},
	{"connection", "ip", "203.0.113.45", "Danh sách cảnh báo tháng 01/2024: máy chủ điều khiển (C2)", "", "rundll32.exe", "203.0.113.45:443"},
	{"process", "sha256", "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b", "Công cụ điều khiển từ xa trái phép", `C:\ProgramData\svchost.exe`, "svchost.exe", ""},
}

func insertDemoFinding(ctx context.Context, tx *store.Tx, rng *rand.Rand, hostID int64, inv *asset.Inventory, now time.Time) error {
	f := demoFindings[rng.IntN(len(demoFindings))]
	path := f.path
	if inv.OS.Family != "windows" && path != "" {
		path = "/tmp/.cache/kworkerd"
	}
	sha := ""
	if f.typ == "sha256" {
		sha = f.value
	}
	at := now.Add(-time.Duration(rng.IntN(72)) * time.Hour)
	kind, _ := ioc.ParseKind(f.typ)
	return recordFinding(ctx, tx, hostID, "", scan.Finding{Kind: f.kind, Hit: ioc.Hit{Kind: kind, Indicator: f.value, Comment: f.comment},
		Path: path, SHA256: sha, Process: f.process, PID: 1000 + rng.IntN(8000), Remote: f.remote}, at)
}

func demoInventory(rng *rand.Rand, unitCode string, ui, i int, now time.Time) *asset.Inventory {
	tm := func(d time.Duration) *time.Time { t := now.Add(-d).UTC(); return &t }
	on, off := true, false
	server := i == 0 || rng.IntN(4) == 0
	prefix := "PC"
	if server {
		prefix = "SRV"
	}
	host := fmt.Sprintf("%s-%s-%02d", prefix, strings.ReplaceAll(unitCode, "-", ""), i+1)
	ip := fmt.Sprintf("10.%d.%d.%d", 10+ui/200, ui%200, 10+i)
	inv := &asset.Inventory{Source: asset.SourceAgent, CollectedAt: now.Add(-time.Duration(rng.IntN(180)) * time.Minute).UTC(), Hostname: host,
		Domain: "bhxh.local", DomainKind: "ad", FQDN: strings.ToLower(host) + ".bhxh.local",
		Interfaces: []asset.Interface{{Name: "Ethernet0", MAC: fmt.Sprintf("00:50:56:%02x:%02x:%02x", ui%256, i, rng.IntN(256)), Addresses: []string{ip + "/24"}}},
		Hardware:   asset.Hardware{CPUCores: 4, CPUThreads: 8, MemoryBytes: 16 << 30, Vendor: "VMware, Inc.", Virtual: server},
	}
	if server {
		inv.Role = asset.RoleServer
	} else {
		inv.Role = asset.RoleWorkstation
	}
	linux := server && rng.IntN(3) == 0
	switch {
	case linux:
		inv.OS = asset.OS{Family: "linux", Name: "Ubuntu", Version: "22.04", Build: "jammy", Kernel: "5.15.0-91-generic", Arch: "x86_64"}
		inv.Software = []asset.Software{{Name: "openssh-server", Version: "1:8.9p1-3ubuntu0.6", Vendor: "Ubuntu", Source: asset.SoftwareDpkg},
			{Name: "nginx", Version: "1.18.0-6ubuntu14.4", Vendor: "Ubuntu", Source: asset.SoftwareDpkg},
			{Name: "clamav", Version: "0.103.11+dfsg-0ubuntu0.22.04.1", Vendor: "Ubuntu", Source: asset.SoftwareDpkg}}
		inv.Listening = []asset.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 22, Process: "sshd"}, {Proto: "tcp", Address: "0.0.0.0", Port: 443, Process: "nginx"}}
		inv.Accounts = []asset.Account{{Name: "root", UID: "0", Admin: true, Enabled: true}, {Name: "quantri", UID: "1000", Admin: true, Enabled: true}}
		inv.Controls = []asset.Control{{Kind: asset.ControlAntivirus, Product: "ClamAV", Enabled: true, Running: &on, UpdatedAt: tm(time.Duration(rng.IntN(30)) * time.Hour)},
			{Kind: asset.ControlFirewall, Product: "ufw", Enabled: rng.IntN(4) != 0}}
	case server:
		inv.OS = asset.OS{Family: "windows", Name: "Microsoft Windows Server 2019 Standard", Version: "10.0.17763", Build: "17763.5329", Arch: "amd64"}
		if rng.IntN(2) == 0 {
			inv.OS = asset.OS{Family: "windows", Name: "Microsoft Windows Server 2022 Standard", Version: "10.0.20348", Build: "20348.2227", Arch: "amd64"}
		}
		inv.Listening = []asset.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 445, Process: "System"}, {Proto: "tcp", Address: "0.0.0.0", Port: 3389, Process: "svchost.exe"},
			{Proto: "tcp", Address: "0.0.0.0", Port: 1433, Process: "sqlservr.exe"}}
	default:
		inv.OS = asset.OS{Family: "windows", Name: "Microsoft Windows 10 Pro", Version: "10.0.19045", Build: "19045.3930", Arch: "amd64"}
		if rng.IntN(3) == 0 {
			inv.OS = asset.OS{Family: "windows", Name: "Microsoft Windows 11 Pro", Version: "10.0.22631", Build: "22631.3007", Arch: "amd64"}
		}
		inv.Listening = []asset.Listener{{Proto: "tcp", Address: "0.0.0.0", Port: 445, Process: "System"}}
		inv.LoggedOn = []asset.Session{{User: fmt.Sprintf(`BHXH\canbo%02d`, i+1)}}
	}
	if inv.OS.Family == "windows" {
		inv.Software = []asset.Software{{Name: "Microsoft Office Professional Plus 2019", Version: "16.0.10405.20015", Vendor: "Microsoft Corporation", Source: asset.SoftwareRegistry},
			{Name: "Google Chrome", Version: "120.0.6099.225", Vendor: "Google LLC", Source: asset.SoftwareRegistry},
			{Name: "7-Zip 23.01 (x64)", Version: "23.01", Vendor: "Igor Pavlov", Source: asset.SoftwareRegistry},
			{Name: "Phần mềm kê khai BHXH", Version: "3.2.1", Vendor: "BHXH Việt Nam", Source: asset.SoftwareRegWOW}}
		inv.Hotfixes = []asset.Hotfix{{ID: "KB5034122", InstalledAt: tm(20 * 24 * time.Hour)}, {ID: "KB5033372", InstalledAt: tm(50 * 24 * time.Hour)}}
		inv.LastPatchAt = tm(20 * 24 * time.Hour)
		inv.Accounts = []asset.Account{{Name: "Administrator", UID: "S-1-5-21-1-500", Admin: true, Enabled: rng.IntN(5) == 0}, {Name: "Guest", UID: "S-1-5-21-1-501", Enabled: false}}
		sigAge := time.Duration(rng.IntN(40)) * time.Hour
		if rng.IntN(7) == 0 {
			sigAge = time.Duration(4+rng.IntN(20)) * 24 * time.Hour // stale signatures
		}
		rt := &on
		if rng.IntN(15) == 0 {
			rt = &off
		}
		inv.Controls = []asset.Control{
			{Kind: asset.ControlAntivirus, Product: "Microsoft Defender Antivirus", Enabled: true, RealTime: rt, UpdatedAt: tm(sigAge)},
			{Kind: asset.ControlFirewall, Product: "Windows Firewall (Domain)", Enabled: rng.IntN(8) != 0},
			{Kind: asset.ControlAutoUpdate, Product: "Windows Update", Enabled: true},
		}
		if rng.IntN(3) == 0 {
			inv.Controls = append(inv.Controls, asset.Control{Kind: asset.ControlDiskEncryption, Product: "BitLocker", Enabled: true})
		}
	}
	return inv
}
