package escalate

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// permanentError is a refusal that no retry will change (a 4xx from a
// webhook, a 5xx from an SMTP server, an unknown Telegram chat).
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

// IsPermanent reports whether err says retrying is useless.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// Mailer sends e-mail through an SMTP server with net/smtp: STARTTLS when
// the server offers it (required before a password is sent, except to a
// server on this machine), then AUTH PLAIN when User is set.
type Mailer struct {
	Addr     string // host:port, e.g. smtp.example.vn:587
	From     string // the envelope and header sender
	User     string
	Password string
	// TLS configures STARTTLS (ServerName defaults to Addr's host); tests
	// trust their own certificate here.
	TLS *tls.Config
	// Timeout bounds one delivery (30 s when 0).
	Timeout time.Duration
}

// String names the mailer without its password, for logs.
func (m *Mailer) String() string {
	if m == nil {
		return "no SMTP server"
	}
	if m.User != "" {
		return "smtp://" + m.User + "@" + m.Addr
	}
	return "smtp://" + m.Addr
}

// Mail is one message.
type Mail struct {
	To        []string
	Subject   string
	Body      string
	MessageID string            // without the angle brackets; made up when empty
	Headers   map[string]string // extra headers (X-Vigil-Alert)
	// Attachments, when there are any, make the message multipart/mixed:
	// the body as its first part, then each file base64-encoded.
	Attachments []Attachment
}

// Attachment is a file attached to a Mail.
type Attachment struct {
	Name        string // the file name the recipient sees (UTF-8 allowed)
	ContentType string // application/octet-stream when empty
	Data        []byte
}

func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// Bytes is the message as sent: headers, then the body quoted-printable.
func (msg *Mail) Bytes(from string, now time.Time) []byte {
	var b bytes.Buffer
	host, _ := os.Hostname()
	if host == "" {
		host = "vigil"
	}
	id := msg.MessageID
	if id == "" {
		var r [8]byte
		rand.Read(r[:])
		id = hex.EncodeToString(r[:]) + "@" + host
	}
	h := func(k, v string) { b.WriteString(k + ": " + oneLine(v) + "\r\n") }
	h("From", mime.QEncoding.Encode("utf-8", "Vigil")+" <"+from+">")
	h("To", strings.Join(msg.To, ", "))
	h("Subject", mime.QEncoding.Encode("utf-8", oneLine(msg.Subject)))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", "<"+id+">")
	h("MIME-Version", "1.0")
	var mw *multipart.Writer
	if len(msg.Attachments) > 0 {
		mw = multipart.NewWriter(&b)
		h("Content-Type", mime.FormatMediaType("multipart/mixed", map[string]string{"boundary": mw.Boundary()}))
	} else {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
	}
	h("Auto-Submitted", "auto-generated")
	for k, v := range msg.Headers {
		h(k, v)
	}
	b.WriteString("\r\n")
	body := []byte(strings.ReplaceAll(msg.Body, "\n", "\r\n"))
	if mw == nil {
		qp := quotedprintable.NewWriter(&b)
		qp.Write(body)
		qp.Close()
		return b.Bytes()
	}
	part, _ := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"text/plain; charset=utf-8"}, "Content-Transfer-Encoding": {"quoted-printable"}})
	qp := quotedprintable.NewWriter(part)
	qp.Write(body)
	qp.Close()
	for _, a := range msg.Attachments {
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		name := oneLine(a.Name)
		if name == "" {
			name = "attachment"
		}
		typ := mime.FormatMediaType(ct, map[string]string{"name": name})
		if typ == "" { // not a media type: sent as bytes
			typ = mime.FormatMediaType("application/octet-stream", map[string]string{"name": name})
		}
		part, _ := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {typ},
			"Content-Disposition":       {mime.FormatMediaType("attachment", map[string]string{"filename": name})},
			"Content-Transfer-Encoding": {"base64"},
		})
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			io.WriteString(part, enc[:76]+"\r\n")
			enc = enc[76:]
		}
		io.WriteString(part, enc+"\r\n")
	}
	mw.Close()
	return b.Bytes()
}

// Send delivers msg. A refusal the server means for good (5xx) is
// permanent; anything else may succeed later.
func (m *Mailer) Send(ctx context.Context, msg *Mail) error {
	return m.SendRaw(ctx, msg.To, func(from string) []byte { return msg.Bytes(from, time.Now()) })
}

// SendRaw holds the SMTP conversation for a message its caller writes
// (data is given the envelope sender and returns the whole message,
// headers included): for messages Mail does not write, such as a drill's
// multipart/alternative. Errors are as Send's.
func (m *Mailer) SendRaw(ctx context.Context, to []string, data func(from string) []byte) error {
	if m == nil || m.Addr == "" {
		return permanent(errors.New("no SMTP server is configured (vigil serve --smtp-addr)"))
	}
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return permanent(fmt.Errorf("smtp address %q: %v", m.Addr, err))
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("smtp: connect: %w", err)
	}
	defer conn.Close()
	dl, _ := ctx.Deadline()
	conn.SetDeadline(dl)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return smtpError("greeting", err)
	}
	defer c.Close()
	local, _ := os.Hostname()
	if local == "" {
		local = "localhost"
	}
	if err := c.Hello(local); err != nil {
		return smtpError("EHLO", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if m.TLS != nil {
			cfg = m.TLS.Clone()
			if cfg.ServerName == "" {
				cfg.ServerName = host
			}
		}
		if err := c.StartTLS(cfg); err != nil {
			return smtpError("STARTTLS", err)
		}
	}
	if m.User != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return permanent(errors.New("smtp: the server offers no AUTH; remove --smtp-user or use a server that authenticates"))
		}
		// PlainAuth itself refuses to send the password over a connection
		// without TLS, unless the server is on this machine.
		if err := c.Auth(smtp.PlainAuth("", m.User, m.Password, host)); err != nil {
			return smtpError("AUTH", err)
		}
	}
	if err := c.Mail(m.From); err != nil {
		return smtpError("MAIL FROM", err)
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt); err != nil {
			return smtpError("RCPT TO <"+rcpt+">", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return smtpError("DATA", err)
	}
	if _, err := w.Write(data(m.From)); err != nil {
		return smtpError("DATA", err)
	}
	if err := w.Close(); err != nil {
		return smtpError("DATA", err)
	}
	c.Quit()
	return nil
}

// smtpError names the command that failed; a 5xx reply is permanent.
func smtpError(cmd string, err error) error {
	var tp *textproto.Error
	if errors.As(err, &tp) {
		e := fmt.Errorf("smtp: %s: %d %s", cmd, tp.Code, tp.Msg)
		if tp.Code >= 500 {
			return permanent(e)
		}
		return e
	}
	if strings.Contains(err.Error(), "unencrypted connection") {
		return permanent(fmt.Errorf("smtp: %s: the server offers no STARTTLS, and the password is not sent in clear", cmd))
	}
	return fmt.Errorf("smtp: %s: %w", cmd, err)
}

// Webhook signatures. A receiver recomputes HMAC-SHA256, keyed with the
// channel's secret, over the timestamp, a dot and the raw body, compares it
// with v1 in constant time, and refuses a timestamp older than it allows
// (five minutes, say) so that a captured request cannot be replayed later;
// X-Vigil-Delivery, the notification's id, lets it drop a retry it has
// already processed. See docs/escalation.md.
const (
	SignatureHeader = "X-Vigil-Signature"
	DeliveryHeader  = "X-Vigil-Delivery"
	EventHeader     = "X-Vigil-Event"
)

// Sign returns the X-Vigil-Signature value of body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>".
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac(secret, ts, body))
}

func mac(secret []byte, ts string, body []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return h.Sum(nil)
}

// Errors of Verify.
var (
	ErrBadSignature = errors.New("webhook signature does not match")
	ErrStale        = errors.New("webhook timestamp is outside the tolerance: a replay, or a clock far off")
)

// Verify checks a received webhook: header is X-Vigil-Signature, body the
// raw body, tolerance how old (or how far ahead) its timestamp may be.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrBadSignature
	}
	want := mac(secret, ts, body)
	ok := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			ok = true
		}
	}
	if !ok {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}

// HTTPDoer sends HTTP requests (*http.Client).
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

var defaultHTTP = &http.Client{
	Timeout: 15 * time.Second,
	// A webhook that redirects is answered as it is: following it would
	// send the signed alert somewhere nobody configured.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

func (s *Service) http() HTTPDoer {
	if s.HTTP != nil {
		return s.HTTP
	}
	return defaultHTTP
}

// postWebhook sends a signed payload.
func (s *Service) postWebhook(ctx context.Context, target, secret string, id int64, event string, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return permanent(fmt.Errorf("webhook: %v", err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Vigil-Webhook/1")
	req.Header.Set(EventHeader, event)
	req.Header.Set(DeliveryHeader, strconv.FormatInt(id, 10))
	req.Header.Set(SignatureHeader, Sign([]byte(secret), s.now(), payload))
	resp, err := s.http().Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %s", redact(networkError(err), secret))
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil
	}
	e := fmt.Errorf("webhook: HTTP %d %s", resp.StatusCode, redact(oneLine(strings.TrimSpace(string(snippet))), secret))
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
		return permanent(e)
	}
	return e
}

// networkError is err without the URL an *url.Error carries (a Telegram
// URL holds the bot token).
func networkError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

// redact removes a secret from a message.
func redact(msg, secret string) string {
	if secret == "" {
		return msg
	}
	return strings.ReplaceAll(msg, secret, "[secret]")
}

// TelegramAPIBase is the Bot API's address.
const TelegramAPIBase = "https://api.telegram.org"

// sendTelegram sends text to a chat with the bot token.
func (s *Service) sendTelegram(ctx context.Context, token, chat, text string) error {
	base := strings.TrimRight(s.TelegramAPI, "/")
	if base == "" {
		base = TelegramAPIBase
	}
	body, _ := json.Marshal(map[string]any{"chat_id": chat, "text": text, "disable_web_page_preview": true})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/bot"+token+"/sendMessage", bytes.NewReader(body))
	if err != nil {
		return permanent(errors.New("telegram: bad API address"))
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http().Do(req)
	if err != nil {
		return fmt.Errorf("telegram: %s", redact(networkError(err), token))
	}
	defer resp.Body.Close()
	var ans struct {
		OK          bool   `json:"ok"`
		ErrorCode   int    `json:"error_code"`
		Description string `json:"description"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err := json.Unmarshal(raw, &ans); err != nil {
		return fmt.Errorf("telegram: HTTP %d, not a Bot API answer", resp.StatusCode)
	}
	if resp.StatusCode == http.StatusOK && ans.OK {
		return nil
	}
	e := fmt.Errorf("telegram: %d %s", resp.StatusCode, redact(oneLine(ans.Description), token))
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests {
		return permanent(e)
	}
	return e
}
