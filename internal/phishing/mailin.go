package phishing

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// Reports by e-mail. What a mail user does with a suspicious message is
// forward it — to the report address the IT Center gave them — either as
// an attachment (the original whole, headers included: X-Vigil-Drill) or
// inline (the text and links, headers gone: the drill's tracked link
// /p/<token> or its pixel /p/o/<token>.gif is still in it, perhaps
// quoted-printable or base64 encoded, perhaps wrapped by a link-rewriting
// gateway as an escaped URL). The hub receives those forwards on its own
// SMTP listener (smtpin.go) and ParseReport finds the tokens; the report
// counts for the person the token names when they are the one who
// forwarded it (the envelope sender or the From header is their address).

// MaxReportSize bounds a reported message.
const MaxReportSize = 10 << 20

// ReportedMail is what a forwarded message says.
type ReportedMail struct {
	From   string   // the From header's address, lower case ("" when none)
	Tokens []string // drill tokens found, each once, in the order found
}

var (
	headerTokenRE = regexp.MustCompile(`(?i)` + drillHeader + `:\s*([0-9]{1,18}\.[A-Za-z0-9_-]{10,40})`)
	linkTokenRE   = regexp.MustCompile(`/p/(?:o/)?([0-9]{1,18}\.[A-Za-z0-9_-]{10,40})`)
)

// maxParts and maxDepth bound the walk through a message's MIME tree.
const (
	maxParts = 200
	maxDepth = 8
)

// ParseReport reads a forwarded message and returns the drill tokens in
// it: X-Vigil-Drill headers of the message or of a message attached to it,
// such headers quoted as text, and tracked links and pixels in any text
// part once its transfer encoding, HTML escaping and URL escaping are
// undone. A message that is not MIME at all is searched as text.
func ParseReport(raw []byte) (*ReportedMail, error) {
	if len(raw) > MaxReportSize {
		return nil, fmt.Errorf("phishing: reported message larger than %d bytes", MaxReportSize)
	}
	r := &ReportedMail{}
	w := &walker{seen: map[string]bool{}, out: r}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		w.text(raw)
		return r, nil
	}
	if a, err := mail.ParseAddress(m.Header.Get("From")); err == nil {
		r.From = strings.ToLower(a.Address)
	}
	// The header block itself, as text: what is not a header (a message
	// pasted without one) reads as one to net/mail.
	head := raw
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		head = raw[:i]
	} else if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		head = raw[:i]
	}
	w.text(head)
	w.message(textproto.MIMEHeader(m.Header), m.Body, 0)
	return r, nil
}

type walker struct {
	seen  map[string]bool
	parts int
	out   *ReportedMail
}

func (w *walker) add(tok string) {
	if !w.seen[tok] {
		w.seen[tok] = true
		w.out.Tokens = append(w.out.Tokens, tok)
	}
}

// message takes a message's (or a part's) header and body.
func (w *walker) message(h textproto.MIMEHeader, body io.Reader, depth int) {
	w.parts++
	if w.parts > maxParts || depth > maxDepth {
		return
	}
	for _, v := range h.Values(drillHeader) {
		if m := headerTokenRE.FindStringSubmatch(drillHeader + ": " + v); m != nil {
			w.add(m[1])
		}
	}
	data, err := io.ReadAll(io.LimitReader(decode(h.Get("Content-Transfer-Encoding"), body), MaxReportSize))
	if err != nil && len(data) == 0 {
		return
	}
	mt, params, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil {
		mt = "text/plain"
	}
	switch {
	case strings.HasPrefix(mt, "multipart/") && params["boundary"] != "":
		mr := multipart.NewReader(bytes.NewReader(data), params["boundary"])
		for {
			p, err := mr.NextRawPart()
			if err != nil {
				break
			}
			w.message(p.Header, p, depth+1)
		}
	case mt == "message/rfc822" || mt == "message/global":
		m, err := mail.ReadMessage(bytes.NewReader(data))
		if err != nil {
			w.text(data)
			return
		}
		w.message(textproto.MIMEHeader(m.Header), m.Body, depth+1)
	default:
		w.text(data)
	}
}

// text searches a decoded part (and its HTML- and URL-unescaped forms).
func (w *walker) text(data []byte) {
	s := string(data)
	forms := []string{s}
	if u := html.UnescapeString(s); u != s {
		forms = append(forms, u)
	}
	for _, f := range slices.Clone(forms) {
		if !strings.Contains(f, "%") {
			continue
		}
		if u, err := url.QueryUnescape(f); err == nil {
			forms = append(forms, u)
		} else { // a stray % elsewhere: undo the escapes a link needs
			forms = append(forms, strings.NewReplacer("%2F", "/", "%2f", "/", "%2E", ".", "%2e", ".").Replace(f))
		}
	}
	for _, f := range forms {
		for _, m := range headerTokenRE.FindAllStringSubmatch(f, -1) {
			w.add(m[1])
		}
		for _, m := range linkTokenRE.FindAllStringSubmatch(f, -1) {
			w.add(m[1])
		}
	}
}

// decode undoes a part's transfer encoding.
func decode(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, &skipSpace{r: bufio.NewReader(r)})
	}
	return r
}

// skipSpace drops the line breaks base64 bodies carry.
type skipSpace struct{ r *bufio.Reader }

func (s *skipSpace) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c, err := s.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if c == '\r' || c == '\n' || c == ' ' || c == '\t' {
			continue
		}
		p[n] = c
		n++
	}
	return n, nil
}

// MailReport is what a reported message did.
type MailReport struct {
	Tokens  int // drill tokens found
	Counted int // reports counted (the forwarder is the person the token names)
	Others  int // tokens of someone else's message, not counted
}

// ReportMail counts a drill message forwarded to the report address:
// envelopeFrom is the SMTP sender, raw the message. A token counts as a
// report by its recipient when the envelope sender or the From header is
// that person's address; a colleague forwarding someone else's drill
// message does not report for them. Tampered and unknown tokens are
// ignored, as on every tracked address.
func (s *Service) ReportMail(ctx context.Context, envelopeFrom string, raw []byte, ip string) (*MailReport, error) {
	rm, err := ParseReport(raw)
	if err != nil {
		return nil, err
	}
	res := &MailReport{Tokens: len(rm.Tokens)}
	from := map[string]bool{strings.ToLower(strings.TrimSpace(envelopeFrom)): true, rm.From: true}
	delete(from, "")
	for _, tok := range rm.Tokens {
		t, err := s.recipientOf(ctx, tok)
		if err != nil {
			return res, err
		}
		if t == nil {
			continue
		}
		var email string
		if err := s.DB.QueryRow(ctx, `SELECT email FROM training_people WHERE id = ?`, t.person).Scan(&email); err != nil {
			return res, fmt.Errorf("phishing: report: %w", err)
		}
		if !from[strings.ToLower(email)] {
			res.Others++
			continue
		}
		if _, err := s.Track(ctx, tok, Hit{Kind: "report", Method: "SMTP", IP: ip, UserAgent: "report mailbox (forwarded e-mail)"}); err != nil && err != ErrUnknown {
			return res, err
		}
		res.Counted++
	}
	return res, nil
}
