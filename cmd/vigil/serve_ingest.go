package main

import (
	"vigil/internal/cli"
	"vigil/internal/hub"
)

// addIngestFlags adds the syslog listeners' flags to serve (each also
// VIGIL_SYSLOG_UDP, ... from the cli framework); the returned function
// writes them into the watch's configuration. A listener is off unless
// its address is given.
func addIngestFlags(fs *cli.FlagSet) func(w *hub.WatchConfig) {
	udp := fs.String("syslog-udp", "-", "", "receive syslog over UDP on this address (e.g. :514); off when empty")
	tcp := fs.String("syslog-tcp", "-", "", "receive syslog over TCP on this address (e.g. :514; octet-counted or newline-framed); off when empty")
	tlsAddr := fs.String("syslog-tls", "-", "", "receive syslog over TLS on this address (e.g. :6514, RFC 5425); needs --tls-cert and --tls-key")
	cert := fs.String("tls-cert", "-", "", "PEM certificate (chain) the syslog TLS listener presents")
	key := fs.String("tls-key", "-", "", "PEM private key of --tls-cert")
	return func(w *hub.WatchConfig) {
		w.SyslogUDP, w.SyslogTCP, w.SyslogTLS, w.TLSCert, w.TLSKey = *udp, *tcp, *tlsAddr, *cert, *key
	}
}
