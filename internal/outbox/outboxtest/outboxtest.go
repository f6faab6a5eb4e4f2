// Package outboxtest runs real receivers for outbox tests that can go
// down and come back on the same address: an SMTP server
// (github.com/emersion/go-smtp) that keeps every message with its
// attachments, and an HTTP receiver that verifies Vigil's signature,
// remembers idempotency keys and can answer 500, garbage or nothing at
// all. Only tests import it.
package outboxtest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"vigil/internal/escalate"
	"vigil/internal/outbox"
)

// File is an attachment of a received message.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Message is an e-mail the SMTP server accepted.
type Message struct {
	From      string
	To        []string
	Subject   string // decoded
	Body      string // the text part, decoded
	MessageID string
	Header    mail.Header
	Files     []File
}

// SMTPServer is an SMTP server on 127.0.0.1 without TLS or AUTH that can
// be stopped and started again on the same address.
type SMTPServer struct {
	Addr string

	gate     *gate
	mu       sync.Mutex
	messages []Message
	notify   chan struct{}
	// Fail, when set, answers DATA number n (1-based) with its error.
	Fail func(n int) error
	n    int
}

// NewSMTPServer starts a server, stopped when t ends.
func NewSMTPServer(t testing.TB) *SMTPServer {
	t.Helper()
	s := &SMTPServer{notify: make(chan struct{}, 100)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	s.gate = newGate(ln)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{srv: s}, nil }))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.MaxMessageBytes = 64 << 20
	srv.ErrorLog = nopLogger{}
	go srv.Serve(s.gate)
	t.Cleanup(func() { srv.Close() })
	return s
}

// Stop takes the server down: connections are refused until Start.
func (s *SMTPServer) Stop() { s.gate.stop() }

// Start brings a stopped server back on its address.
func (s *SMTPServer) Start(t testing.TB) { s.gate.start(t) }

// Mailer is an escalate.Mailer sending to this server.
func (s *SMTPServer) Mailer() *escalate.Mailer {
	return &escalate.Mailer{Addr: s.Addr, From: "vigil@hub.test", Timeout: 5 * time.Second}
}

// Messages returns what the server has accepted so far.
func (s *SMTPServer) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// Wait waits until the server holds at least n messages, or d passes.
func (s *SMTPServer) Wait(n int, d time.Duration) []Message {
	deadline := time.After(d)
	for {
		if m := s.Messages(); len(m) >= n {
			return m
		}
		select {
		case <-s.notify:
		case <-deadline:
			return s.Messages()
		}
	}
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

type session struct {
	srv  *SMTPServer
	from string
	to   []string
}

func (se *session) AuthMechanisms() []string { return nil }
func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.from = from
	return nil
}
func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}
func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	se.srv.mu.Lock()
	se.srv.n++
	n, fail := se.srv.n, se.srv.Fail
	se.srv.mu.Unlock()
	if fail != nil {
		if err := fail(n); err != nil {
			return err
		}
	}
	msg, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, Message: "unreadable message: " + err.Error()}
	}
	msg.From, msg.To = se.from, se.to
	se.srv.mu.Lock()
	se.srv.messages = append(se.srv.messages, *msg)
	se.srv.mu.Unlock()
	select {
	case se.srv.notify <- struct{}{}:
	default:
	}
	return nil
}

// Parse reads a message as a mail client would: the subject decoded, the
// text part, and every attachment decoded.
func Parse(raw []byte) (*Message, error) {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	out := &Message{Subject: subject, Header: m.Header, MessageID: m.Header.Get("Message-ID")}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(mt, "multipart/") {
		body, err := decode(m.Body, m.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return nil, err
		}
		out.Body = strings.ReplaceAll(string(body), "\r\n", "\n")
		return out, nil
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		data, err := decode(p, p.Header.Get("Content-Transfer-Encoding"))
		if err != nil {
			return nil, err
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		_, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		if name := dp["filename"]; name != "" {
			out.Files = append(out.Files, File{Name: name, ContentType: ct, Data: data})
		} else if ct == "text/plain" {
			out.Body = strings.ReplaceAll(string(data), "\r\n", "\n")
		}
	}
	return out, nil
}

func decode(r io.Reader, cte string) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return io.ReadAll(quotedprintable.NewReader(r))
	case "base64":
		return io.ReadAll(base64.NewDecoder(base64.StdEncoding, newlineStripper{r}))
	}
	return io.ReadAll(r)
}

type newlineStripper struct{ r io.Reader }

func (n newlineStripper) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	j := 0
	for _, b := range p[:k] {
		if b != '\r' && b != '\n' {
			p[j] = b
			j++
		}
	}
	return j, err
}

// gate is the listener a server accepts on for its whole life. Stop
// closes the socket underneath (clients are refused) and every open
// connection; Start binds the same address again and Accept goes on.
// The server itself is never closed and re-served: closing it raced
// with a Serve goroutine not yet started, which then served a stopped
// server's port.
type gate struct {
	addr  string
	mu    sync.Mutex
	cond  *sync.Cond
	ln    net.Listener // nil while down
	shut  bool
	conns map[net.Conn]bool
}

func newGate(ln net.Listener) *gate {
	g := &gate{addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]bool{}}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *gate) Addr() net.Addr {
	a, _ := net.ResolveTCPAddr("tcp", g.addr)
	return a
}

func (g *gate) Accept() (net.Conn, error) {
	for {
		g.mu.Lock()
		for g.ln == nil && !g.shut {
			g.cond.Wait()
		}
		if g.shut {
			g.mu.Unlock()
			return nil, net.ErrClosed
		}
		ln := g.ln
		g.mu.Unlock()
		c, err := ln.Accept()
		g.mu.Lock()
		if err != nil {
			if g.ln != ln || g.shut { // stopped underneath: wait for Start
				g.mu.Unlock()
				continue
			}
			g.mu.Unlock()
			return nil, err
		}
		if g.ln != ln {
			g.mu.Unlock()
			c.Close()
			continue
		}
		g.conns[c] = true
		g.mu.Unlock()
		return &gatedConn{Conn: c, g: g}, nil
	}
}

// Close ends the gate for good (the server's own Close calls it).
func (g *gate) Close() error {
	g.stop()
	g.mu.Lock()
	g.shut = true
	g.cond.Broadcast()
	g.mu.Unlock()
	return nil
}

func (g *gate) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		g.ln.Close()
		g.ln = nil
	}
	for c := range g.conns {
		c.Close()
	}
	clear(g.conns)
}

// start binds the address again, retrying while the old socket lets go.
func (g *gate) start(t testing.TB) {
	t.Helper()
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.ln != nil {
		return
	}
	var err error
	for i := 0; i < 50; i++ {
		var ln net.Listener
		if ln, err = net.Listen("tcp", g.addr); err == nil {
			g.ln = ln
			g.cond.Broadcast()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("outboxtest: listen again on %s: %v", g.addr, err)
}

type gatedConn struct {
	net.Conn
	g    *gate
	once sync.Once
}

func (c *gatedConn) Close() error {
	c.once.Do(func() {
		c.g.mu.Lock()
		delete(c.g.conns, c.Conn)
		c.g.mu.Unlock()
	})
	return c.Conn.Close()
}

// Modes of the HTTP receiver.
const (
	ModeOK      = "ok"      // verify, record once per idempotency key, answer 201 {"id": …}
	ModeError   = "500"     // answer 500
	ModeGarbage = "garbage" // answer 200 with an HTML page
	ModeHang    = "hang"    // answer nothing for longer than any client waits
	ModeReject  = "400"     // answer 400 (a refusal for good)
)

// Request is a delivery the HTTP receiver accepted.
type Request struct {
	Key      string // Idempotency-Key
	Delivery string // X-Vigil-Delivery
	Purpose  string
	Body     []byte
}

// Receiver is an HTTP endpoint on 127.0.0.1 that can be stopped and
// started on the same address. With Secret set it refuses a request
// whose signature does not verify.
type Receiver struct {
	URL    string
	Secret string
	// Now is the receiver's clock for signatures (time.Now when nil).
	Now func() time.Time

	gate     *gate
	mu       sync.Mutex
	mode     string
	hits     int
	keys     []string // every Idempotency-Key received, in order
	accepted []Request
	seen     map[string]bool
	notify   chan struct{}
	release  chan struct{}
}

// NewReceiver starts a receiver answering in ModeOK, stopped when t ends.
func NewReceiver(t testing.TB, secret string) *Receiver {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Receiver{Secret: secret, mode: ModeOK, seen: map[string]bool{}, notify: make(chan struct{}, 100), release: make(chan struct{})}
	r.URL = "http://" + ln.Addr().String() + "/irlab/reports"
	r.gate = newGate(ln)
	srv := &http.Server{Handler: http.HandlerFunc(r.handle), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(r.gate)
	t.Cleanup(func() {
		srv.Close()
		r.mu.Lock()
		select {
		case <-r.release:
		default:
			close(r.release)
		}
		r.mu.Unlock()
	})
	return r
}

// Stop takes the receiver down: connections are refused until Start.
func (r *Receiver) Stop() { r.gate.stop() }

// Start brings a stopped receiver back on its address.
func (r *Receiver) Start(t testing.TB) { r.gate.start(t) }

// SetMode changes how the receiver answers.
func (r *Receiver) SetMode(m string) {
	r.mu.Lock()
	r.mode = m
	r.mu.Unlock()
}

func (r *Receiver) handle(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.hits++
	mode := r.mode
	key := req.Header.Get(outbox.IdempotencyHeader)
	r.keys = append(r.keys, key)
	release := r.release
	r.mu.Unlock()
	switch mode {
	case ModeError:
		http.Error(w, "internal error: database is down", http.StatusInternalServerError)
		return
	case ModeGarbage:
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<html><body>Captive portal: please log in</body></html>"))
		return
	case ModeHang:
		select {
		case <-release:
		case <-req.Context().Done():
		case <-time.After(30 * time.Second):
		}
		return
	case ModeReject:
		http.Error(w, `{"error":"unknown form"}`, http.StatusBadRequest)
		return
	}
	if r.Secret != "" {
		now := time.Now()
		if r.Now != nil {
			now = r.Now()
		}
		if err := escalate.Verify([]byte(r.Secret), req.Header.Get(escalate.SignatureHeader), body, now, 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
	}
	if key == "" || !json.Valid(body) {
		http.Error(w, "an Idempotency-Key and a JSON body are required", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	dup := r.seen[key]
	if !dup {
		r.seen[key] = true
		r.accepted = append(r.accepted, Request{Key: key, Delivery: req.Header.Get(escalate.DeliveryHeader), Purpose: req.Header.Get(outbox.PurposeHeader), Body: body})
	}
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
	w.Header().Set("Content-Type", "application/json")
	if dup {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusCreated)
	}
	json.NewEncoder(w).Encode(map[string]any{"id": "IR-" + key, "status": "accepted"})
}

// Accepted returns the distinct deliveries accepted so far.
func (r *Receiver) Accepted() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.accepted...)
}

// Keys returns the Idempotency-Key of every request received, in order.
func (r *Receiver) Keys() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.keys...)
}

// Hits is how many requests arrived.
func (r *Receiver) Hits() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits
}

// Wait waits until n distinct deliveries are in, or d passes.
func (r *Receiver) Wait(n int, d time.Duration) []Request {
	deadline := time.After(d)
	for {
		if got := r.Accepted(); len(got) >= n {
			return got
		}
		select {
		case <-r.notify:
		case <-deadline:
			return r.Accepted()
		}
	}
}
