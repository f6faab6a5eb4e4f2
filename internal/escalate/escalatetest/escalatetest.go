// Package escalatetest runs real receivers for notification tests: an SMTP
// server (github.com/emersion/go-smtp) with STARTTLS and AUTH PLAIN, a
// webhook receiver that verifies Vigil's signature and refuses replays,
// and a Telegram Bot API stand-in. Only tests import it.
package escalatetest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"vigil/internal/escalate"
)

// Message is an e-mail the SMTP server accepted.
type Message struct {
	From    string
	To      []string
	Subject string // decoded
	Body    string // decoded
	Header  mail.Header
	TLS     bool // sent after STARTTLS
	User    string
}

// SMTPServer is an SMTP server on 127.0.0.1 requiring STARTTLS before
// AUTH PLAIN with User and Password.
type SMTPServer struct {
	Addr           string
	User, Password string
	// ClientTLS trusts the server's certificate (escalate.Mailer.TLS).
	ClientTLS *tls.Config

	mu       sync.Mutex
	messages []Message
	notify   chan struct{}
	// Fail, when set, answers each DATA with the error it returns.
	Fail func(n int) error
	n    int
}

// NewSMTPServer starts a server, stopped when t ends.
func NewSMTPServer(t testing.TB) *SMTPServer {
	t.Helper()
	cert, pool := selfSigned(t)
	s := &SMTPServer{User: "vigil", Password: "smtp-pass-" + rand.Text()[:8], notify: make(chan struct{}, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{srv: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	srv.ErrorLog = nopLogger{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	s.Addr = ln.Addr().String()
	s.ClientTLS = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	return s
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

// Mailer is an escalate.Mailer sending to this server.
func (s *SMTPServer) Mailer() *escalate.Mailer {
	return &escalate.Mailer{Addr: s.Addr, From: "vigil@hub.test", User: s.User, Password: s.Password, TLS: s.ClientTLS, Timeout: 10 * time.Second}
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

type session struct {
	srv  *SMTPServer
	conn *smtp.Conn
	user string
	from string
	to   []string
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if _, ok := se.conn.TLSConnectionState(); !ok {
			return errors.New("AUTH before STARTTLS")
		}
		if username != se.srv.User || password != se.srv.Password {
			return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "authentication failed"}
		}
		se.user = username
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.user == "" {
		return smtp.ErrAuthRequired
	}
	se.from = from
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

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
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	body, _ := io.ReadAll(m.Body)
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, _ = io.ReadAll(quotedprintable.NewReader(strings.NewReader(string(body))))
	}
	_, tlsOn := se.conn.TLSConnectionState()
	msg := Message{From: se.from, To: se.to, Subject: subject, Body: strings.ReplaceAll(string(body), "\r\n", "\n"), Header: m.Header, TLS: tlsOn, User: se.user}
	se.srv.mu.Lock()
	se.srv.messages = append(se.srv.messages, msg)
	se.srv.mu.Unlock()
	select {
	case se.srv.notify <- struct{}{}:
	default:
	}
	return nil
}

func (se *session) Reset()        { se.from, se.to = "", nil }
func (se *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// Delivery is a webhook request the receiver accepted.
type Delivery struct {
	ID    string // X-Vigil-Delivery
	Event string
	Body  escalate.WebhookBody
	Raw   []byte
}

// WebhookReceiver is an HTTP receiver that verifies each request's
// signature with Secret, refuses one older than five minutes, and drops a
// delivery id it has already accepted (a retry it has processed).
type WebhookReceiver struct {
	URL    string
	Secret string
	// Status, when set, decides the answer to request n (1-based) before
	// it is verified; 0 goes on as normal.
	Status func(n int) int
	// Now is the receiver's clock (time.Now when nil).
	Now func() time.Time

	mu         sync.Mutex
	n          int
	deliveries []Delivery
	refused    []string
	seen       map[string]bool
	notify     chan struct{}
}

// NewWebhookReceiver starts a receiver, stopped when t ends.
func NewWebhookReceiver(t testing.TB, secret string) *WebhookReceiver {
	t.Helper()
	w := &WebhookReceiver{Secret: secret, seen: map[string]bool{}, notify: make(chan struct{}, 100)}
	srv := httptest.NewServer(http.HandlerFunc(w.serve))
	t.Cleanup(srv.Close)
	w.URL = srv.URL + "/hooks/vigil"
	return w
}

func (w *WebhookReceiver) serve(rw http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	w.mu.Lock()
	w.n++
	n, status := w.n, w.Status
	now := time.Now()
	if w.Now != nil {
		now = w.Now()
	}
	w.mu.Unlock()
	if status != nil {
		if code := status(n); code != 0 {
			http.Error(rw, "not now", code)
			return
		}
	}
	if err := escalate.Verify([]byte(w.Secret), r.Header.Get(escalate.SignatureHeader), raw, now, 5*time.Minute); err != nil {
		w.mu.Lock()
		w.refused = append(w.refused, err.Error())
		w.mu.Unlock()
		http.Error(rw, err.Error(), http.StatusUnauthorized)
		return
	}
	var body escalate.WebhookBody
	if err := json.Unmarshal(raw, &body); err != nil {
		http.Error(rw, "bad JSON", http.StatusBadRequest)
		return
	}
	id := r.Header.Get(escalate.DeliveryHeader)
	w.mu.Lock()
	if !w.seen[id] {
		w.seen[id] = true
		w.deliveries = append(w.deliveries, Delivery{ID: id, Event: r.Header.Get(escalate.EventHeader), Body: body, Raw: raw})
	}
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
	rw.WriteHeader(http.StatusNoContent)
}

// Deliveries returns the verified deliveries so far.
func (w *WebhookReceiver) Deliveries() []Delivery {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Delivery(nil), w.deliveries...)
}

// Refused returns why requests were refused.
func (w *WebhookReceiver) Refused() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.refused...)
}

// Requests is how many requests arrived.
func (w *WebhookReceiver) Requests() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.n
}

// Wait waits until n deliveries are in, or d passes.
func (w *WebhookReceiver) Wait(n int, d time.Duration) []Delivery {
	deadline := time.After(d)
	for {
		if got := w.Deliveries(); len(got) >= n {
			return got
		}
		select {
		case <-w.notify:
		case <-deadline:
			return w.Deliveries()
		}
	}
}

// TelegramMessage is a sendMessage call the fake API accepted.
type TelegramMessage struct {
	Token  string
	ChatID string
	Text   string
}

// TelegramAPI answers sendMessage as the Bot API does, for Token only.
type TelegramAPI struct {
	URL   string
	Token string

	mu   sync.Mutex
	sent []TelegramMessage
}

// NewTelegramAPI starts the stand-in, stopped when t ends.
func NewTelegramAPI(t testing.TB) *TelegramAPI {
	t.Helper()
	api := &TelegramAPI{Token: "123456789:AAH" + strings.ReplaceAll(rand.Text(), "=", "")[:24]}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "application/json")
		token, method, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/bot"), "/")
		if !ok || method != "sendMessage" || r.Method != http.MethodPost {
			rw.WriteHeader(http.StatusNotFound)
			rw.Write([]byte(`{"ok":false,"error_code":404,"description":"Not Found"}`))
			return
		}
		if token != api.Token {
			rw.WriteHeader(http.StatusUnauthorized)
			rw.Write([]byte(`{"ok":false,"error_code":401,"description":"Unauthorized"}`))
			return
		}
		var in struct {
			ChatID any    `json:"chat_id"`
			Text   string `json:"text"`
		}
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Text == "" {
			rw.WriteHeader(http.StatusBadRequest)
			rw.Write([]byte(`{"ok":false,"error_code":400,"description":"Bad Request: message text is empty"}`))
			return
		}
		chat, _ := in.ChatID.(string)
		if chat == "" {
			rw.WriteHeader(http.StatusBadRequest)
			rw.Write([]byte(`{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`))
			return
		}
		api.mu.Lock()
		api.sent = append(api.sent, TelegramMessage{Token: token, ChatID: chat, Text: in.Text})
		api.mu.Unlock()
		rw.Write([]byte(`{"ok":true,"result":{"message_id":1}}`))
	}))
	t.Cleanup(srv.Close)
	api.URL = srv.URL
	return api
}

// Sent returns the messages sent so far.
func (api *TelegramAPI) Sent() []TelegramMessage {
	api.mu.Lock()
	defer api.mu.Unlock()
	return append([]TelegramMessage(nil), api.sent...)
}
