// Package bus carries received events from ingest to detection. An event is
// durable once Publish returns: ingest acknowledges a sender (TCP syslog,
// HTTP) only after that, so a crash loses nothing acknowledged. Consumers
// read at least once, in order, and acknowledge a batch when its handler
// returns nil.
//
// Two implementations: Journal, segment files on the hub's disk (one hub
// process, the default), and JetStream, a NATS stream with durable
// consumers (several hub processes share ingest and detection).
package bus

import (
	"context"
	"errors"
	"time"
)

// Format says how a record's Data is to be parsed.
type Format uint8

const (
	// FormatText is one log line: RFC 3164/5424 syslog, CEF or LEEF (with
	// or without a syslog header); the parser tells them apart.
	FormatText Format = iota + 1
	// FormatJSON is one JSON object in any shape the detection engine
	// parses (Windows events, Suricata EVE, Wazuh alerts, ECS, ...).
	FormatJSON
	// FormatEvent is an already parsed detect.Event (EVTX uploads), as
	// EncodeEvent writes it.
	FormatEvent
)

// Record is one event as received, before parsing: the unit of durability.
type Record struct {
	Seq      uint64 // assigned by the bus when published
	SourceID int64  // the registered source it came from (sources table)
	UnitID   int64  // that source's unit
	Format   Format
	Remote   string    // sender address
	Received time.Time // when ingest accepted it (UTC)
	Data     []byte
}

// Bus is the pipeline between ingest and detection.
type Bus interface {
	// Publish makes recs durable, then returns. It returns ErrFull,
	// without keeping any of recs, when consumers lag by more than the
	// bus holds: the sender is refused and retries (push back).
	Publish(ctx context.Context, recs []Record) error
	// Consume delivers batches to handle in publication order until ctx
	// ends. All processes consuming with the same group share the
	// records (each record to one of them); a batch is acknowledged
	// when handle returns nil and redelivered otherwise.
	Consume(ctx context.Context, group string, handle func(context.Context, []Record) error) error
	// Stats says how much is published, consumed and waiting.
	Stats() Stats
	Close() error
}

// Stats are a bus's counters since the process started, and its backlog.
type Stats struct {
	Kind      string // "journal" or "jetstream"
	Where     string // the journal's directory or the NATS server
	Published uint64
	Consumed  uint64 // records acknowledged by this process's consumers
	Refused   uint64 // records refused with ErrFull
	Pending   uint64 // published but not yet acknowledged by every group
	Bytes     int64  // bytes held on disk or in the stream
	MaxBytes  int64  // the cap beyond which Publish refuses
}

// ErrFull is returned by Publish when the bus cannot take more.
var ErrFull = errors.New("event pipeline full: try again shortly")
