package agent

import "net/netip"

// Connection is an open network connection of a local process.
type Connection struct {
	Proto   string // tcp or udp
	Local   netip.AddrPort
	Remote  netip.AddrPort
	PID     int
	Process string
	Path    string
}
