package hub

import "context"

// WatchConfig is the part of `vigil serve` that runs the watch: which
// role this process plays, the bus between ingest and detection, the
// listeners and the rules (docs/watch.md).
type WatchConfig struct {
	// Role is all (default), ingest, detect or web.
	Role string
	// Bus is empty for the on-disk journal in DataDir, or nats://HOST:PORT.
	Bus string
	// Rules is a directory (or file) of Sigma rules loaded besides the
	// rules managed in the UI.
	Rules []string
	// SyslogUDP, SyslogTCP and SyslogTLS are listen addresses; a listener
	// is off when its address is empty. TLS needs TLSCert and TLSKey.
	SyslogUDP, SyslogTCP, SyslogTLS string
	TLSCert, TLSKey                 string
}

// startWatch starts this process's part of the watch: the bus, then the
// ingest listeners and the detection pipeline its role asks for. The
// returned stop waits for them to finish.
func (h *Hub) startWatch(ctx context.Context, cfg Config) (stop func(), err error) {
	// Filled by the bus (openBus, roles), ingest (listeners) and pipeline
	// (consumer) work in turn.
	return func() {}, nil
}
