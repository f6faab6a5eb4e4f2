package agent

import (
	"fmt"
	"strings"
)

// ServiceName is the systemd unit (vigil-agent.service) and, spelled
// VigilAgent, the Windows service.
const (
	ServiceName        = "vigil-agent"
	WindowsServiceName = "VigilAgent"
	serviceDescription = "Vigil endpoint agent: inventory, security controls and malware review for the Vigil hub"
)

// ServiceConfig says how to run the agent as a service.
type ServiceConfig struct {
	Executable string // absolute path of the vigil binary
	StateDir   string
}

// SystemdUnit is the unit file `vigil agent install` writes on Linux. The
// agent runs as root (it reads every file for the malware review and
// /etc/shadow for account state) but may write only its state directory,
// at low CPU and I/O priority.
func SystemdUnit(c ServiceConfig) string {
	return fmt.Sprintf(`# Written by 'vigil agent install'; 'vigil agent uninstall' removes it.
[Unit]
Description=%s
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=%s agent run --state-dir %s
Restart=always
RestartSec=30
Environment=GOMAXPROCS=1
Nice=10
IOSchedulingClass=idle
CPUWeight=20
MemoryHigh=200M
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=%s
ProtectHome=read-only
PrivateTmp=yes
ProtectKernelTunables=yes
ProtectControlGroups=yes

[Install]
WantedBy=multi-user.target
`, serviceDescription, systemdQuote(c.Executable), systemdQuote(c.StateDir), systemdQuote(c.StateDir))
}

// systemdQuote quotes a path for ExecStart when it has spaces.
func systemdQuote(s string) string {
	if !strings.ContainsAny(s, " \t\"\\") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
