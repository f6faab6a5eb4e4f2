// Package outbox delivers documents the hub must get out — the national
// incident reports first — to the recipients the IT Center configured: by
// e-mail (with the document attached) and, where an endpoint is set, by
// HTTP POST with an idempotency key. Every delivery is a row before
// anything is sent; a worker in every hub process sends what is due,
// retries with backoff for days, and records every attempt, so a recipient
// that is down loses nothing and never blocks the SOC.
//
// CONTRACT (session 6): the types and the signatures of Enqueue and
// ForObject are fixed; the helper that owns this package implements them.
package outbox

import "time"

// File is a document attached to a message.
type File struct {
	Name        string // "BC-2026-0007-mau03.pdf"
	ContentType string
	Data        []byte
}

// Message is what a caller hands over: one document for the recipients of
// one purpose. Enqueue makes one delivery per recipient (e-mail address
// or HTTP endpoint) the configuration names for the purpose.
type Message struct {
	Purpose    string // "incident_initial", "incident_final", "incident_summary": selects the recipients
	ObjectType string // "incident", "report": what the delivery is about (for ForObject)
	ObjectID   string
	UnitID     int64  // the unit the object belongs to (scope)
	Subject    string // e-mail subject; an initial report's starts with "[TBSC]"
	Body       string // plain text
	Files      []File
	// JSON is the document as JSON for HTTP delivery (the body POSTed);
	// nil: HTTP endpoints receive nothing for this message.
	JSON []byte
	// Key makes Enqueue idempotent and is sent as the Idempotency-Key
	// header: the same key enqueues nothing twice for a recipient.
	Key string
	// Extra recipients beyond the configured ones (e-mail addresses).
	To []string
}

// Delivery is one message to one recipient, with its attempts.
type Delivery struct {
	ID          int64      `json:"id"`
	Purpose     string     `json:"purpose"`
	ObjectType  string     `json:"object_type"`
	ObjectID    string     `json:"object_id"`
	Channel     string     `json:"channel"` // email, http
	Target      string     `json:"target"`  // address or URL (no secret)
	Subject     string     `json:"subject"`
	Status      string     `json:"status"` // pending, sending, delivered, failed (given up)
	Attempts    int        `json:"attempts"`
	NextAt      time.Time  `json:"next_at"`
	LastError   string     `json:"last_error,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	Log         []Attempt  `json:"attempts_log,omitempty"`
	// Appended by the outbox's owner (session 6): whom the address stands
	// for ("VNCERT/CC", empty for an extra address or the endpoint), the
	// unit the message belongs to, and when the delivery gives up.
	Recipient string    `json:"recipient,omitempty"`
	Unit      string    `json:"unit"`
	UnitName  string    `json:"unit_name"`
	GiveUpAt  time.Time `json:"give_up_at,omitzero"`

	unitPath string
	key      string
	secret   string
	msgID    int64
	body     string
	json     string
}

// Attempt is one try.
type Attempt struct {
	At     time.Time `json:"at"`
	Result string    `json:"result"` // delivered, retry, failed
	Detail string    `json:"detail"` // "250 OK", "HTTP 500", "connect: connection refused"
}

// The methods, on *Service (the owner implements):
//
//	// Enqueue stores the deliveries of m inside the caller's transaction
//	// (with the caller's audit entry) and returns their ids. A purpose
//	// with no recipient configured and no m.To is errs.Invalid naming the
//	// settings page.
//	func (s *Service) Enqueue(ctx context.Context, tx *store.Tx, m Message) ([]int64, error)
//
//	// ForObject lists the deliveries about one object, newest first, each
//	// with its attempts, after the caller's scope check by the caller.
//	func (s *Service) ForObject(ctx context.Context, objectType, objectID string) ([]*Delivery, error)
