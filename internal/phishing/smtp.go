package phishing

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"mime"
	"strings"
	"sync"
	"time"

	"vigil/internal/escalate"
)

// A drill message is multipart/alternative — text, and HTML carrying the
// open pixel — which escalate.Mail (plain text) does not write; it goes
// through the hub's relay with escalate.Mailer.SendRaw.

// message is one drill e-mail.
type message struct {
	To, FromName, Subject string
	Text, HTML            string
	Headers               map[string]string
}

func (m *message) bytes(from string, now time.Time) []byte {
	var b bytes.Buffer
	var r [12]byte
	rand.Read(r[:])
	boundary := "vigil-" + hex.EncodeToString(r[:])
	h := func(k, v string) { b.WriteString(k + ": " + strings.Join(strings.Fields(v), " ") + "\r\n") }
	h("From", mime.QEncoding.Encode("utf-8", m.FromName)+" <"+from+">")
	h("To", m.To)
	h("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", "<"+hex.EncodeToString(r[:])+"@vigil>")
	h("MIME-Version", "1.0")
	for k, v := range m.Headers {
		h(k, v)
	}
	h("Content-Type", `multipart/alternative; boundary="`+boundary+`"`)
	b.WriteString("\r\n")
	part := func(ctype, body string) {
		b.WriteString("--" + boundary + "\r\nContent-Type: " + ctype + "; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
		b.WriteString("\r\n")
	}
	part("text/plain", m.Text)
	part("text/html", m.HTML)
	b.WriteString("--" + boundary + "--\r\n")
	return b.Bytes()
}

// htmlBody is the text as HTML: escaped, line breaks kept, the link made
// clickable, and the open pixel at the end.
func htmlBody(text, link, pixel string) string {
	esc := html.EscapeString(text)
	esc = strings.ReplaceAll(esc, html.EscapeString(link), `<a href="`+html.EscapeString(link)+`">`+html.EscapeString(link)+`</a>`)
	esc = strings.ReplaceAll(esc, "\n", "<br>\n")
	return `<!doctype html><html><body><div>` + esc + `</div><img src="` + html.EscapeString(pixel) + `" width="1" height="1" alt=""></body></html>`
}

var errPermanent = errors.New("permanent")

// send delivers m through the relay; a 5xx refusal wraps errPermanent
// (recorded as a bounce).
func send(ctx context.Context, relay *escalate.Mailer, m *message) error {
	err := relay.SendRaw(ctx, []string{m.To}, func(from string) []byte { return m.bytes(from, time.Now()) })
	if err != nil && escalate.IsPermanent(err) {
		return fmt.Errorf("%w: %v", errPermanent, err)
	}
	return err
}

// limiter spaces messages to one relay: at most perMinute a minute, each
// relay (by address) on its own.
type limiter struct {
	mu   sync.Mutex
	next map[string]time.Time
}

// wait blocks until relay may take another message.
func (l *limiter) wait(ctx context.Context, relay string, perMinute int) error {
	if perMinute <= 0 {
		perMinute = 30
	}
	gap := time.Minute / time.Duration(perMinute)
	l.mu.Lock()
	if l.next == nil {
		l.next = map[string]time.Time{}
	}
	now := time.Now()
	at := l.next[relay]
	if at.Before(now) {
		at = now
	}
	l.next[relay] = at.Add(gap)
	l.mu.Unlock()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(at)):
		return nil
	}
}
