package advisory

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"html"
	"io"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"vigil/internal/auth"
	"vigil/internal/errs"
	"vigil/internal/findings"
	"vigil/internal/i18n"
	"vigil/internal/store"
)

// Advisory channels publish RSS 2.0 or Atom 1.0. ReadFeed parses one
// document with encoding/xml, refusing any DOCTYPE or ENTITY declaration
// (so no entity is ever expanded), within MaxFeedBytes and MaxFeedItems;
// ImportFeed files each item not seen before as a draft.

// Bounds on one feed document.
const (
	MaxFeedBytes = 4 << 20
	MaxFeedItems = 1000
)

// FeedItem is one item (RSS) or entry (Atom) of a channel.
type FeedItem struct {
	Key       string    // the guid (RSS) or id (Atom); the link when there is none
	Title     string    // text, HTML stripped
	Summary   string    // text, HTML stripped
	Link      string    // an http or https address, "" when the item has none
	Published time.Time // zero when the item gives no date
	CVEs      []string  // CVE ids named in the title or summary, normalised
	Severity  string    // guessed from the words of the title and summary
	Line      int       // where the item starts in the document
}

// Feed is a channel's document.
type Feed struct {
	Format string // "rss" or "atom"
	Title  string
	Items  []FeedItem
}

// feedError is a malformed document: the channel, the line and what is
// wrong.
func feedError(channel string, line int, what *errs.Error) error {
	if line > 0 {
		return errs.Invalid("document", "channel %s, line %d: %v", channel, line, what)
	}
	return errs.Invalid("document", "channel %s: %v", channel, what)
}

// countingReader fails once more than max bytes are read.
type countingReader struct {
	r   io.Reader
	n   int64
	max int64
}

var errTooBig = errors.New("feed document too large")

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, errTooBig
	}
	return n, err
}

// strictTokens hands the raw tokens of d to a second decoder (which
// checks nesting and resolves namespaces), refusing declarations.
type strictTokens struct {
	d *xml.Decoder
}

var errDeclaration = errors.New("declaration")

func (s strictTokens) Token() (xml.Token, error) {
	t, err := s.d.RawToken()
	if err != nil {
		return nil, err
	}
	if dir, ok := t.(xml.Directive); ok {
		_ = dir
		return nil, errDeclaration
	}
	return t, nil
}

// text is an element's text, whatever its markup: character data that
// may hold escaped HTML (RSS, Atom's type="html"), plain text
// (type="text") or child elements (Atom's type="xhtml").
type text struct {
	Type  string
	Chars string // character data, child elements' included
	Elems bool   // the element had child elements
}

// UnmarshalXML reads the element's character data, its children's
// included, with a line break at each block element.
func (t *text) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for _, a := range start.Attr {
		if a.Name.Local == "type" {
			t.Type = a.Value
		}
	}
	var b strings.Builder
	for depth := 1; depth > 0; {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch x := tok.(type) {
		case xml.CharData:
			if b.Len() < 4*maxText {
				b.Write(x)
			}
		case xml.StartElement:
			depth++
			t.Elems = true
			if blockTags[strings.ToLower(x.Name.Local)] {
				b.WriteByte('\n')
			}
		case xml.EndElement:
			depth--
			if depth > 0 && blockTags[strings.ToLower(x.Name.Local)] {
				b.WriteByte('\n')
			}
		}
	}
	t.Chars = b.String()
	return nil
}

// blockTags start a line of their own when HTML becomes text.
var blockTags = map[string]bool{"br": true, "p": true, "div": true, "li": true, "tr": true, "h1": true, "h2": true, "h3": true, "h4": true,
	"ul": true, "ol": true, "table": true}

func (t text) String() string {
	if t.Type == "text" || t.Elems {
		return collapse(t.Chars)
	}
	return stripHTML(t.Chars)
}

type rssItem struct {
	Title       text   `xml:"title"`
	Link        string `xml:"link"`
	GUID        string `xml:"guid"`
	Description text   `xml:"description"`
	Encoded     text   `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
	PubDate     string `xml:"pubDate"`
	DCDate      string `xml:"http://purl.org/dc/elements/1.1/ date"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     text       `xml:"title"`
	Links     []atomLink `xml:"link"`
	Summary   text       `xml:"summary"`
	Content   text       `xml:"content"`
	Published string     `xml:"published"`
	Updated   string     `xml:"updated"`
}

// ReadFeed parses an RSS 2.0 or Atom 1.0 document of the channel named
// channel (for messages). A malformed document is an error naming the
// channel, the line and the field.
func ReadFeed(channel string, r io.Reader) (*Feed, error) {
	cr := &countingReader{r: r, max: MaxFeedBytes}
	raw := xml.NewDecoder(cr)
	raw.Strict = true
	raw.Entity = nil // the five predefined entities only
	d := xml.NewTokenDecoder(strictTokens{raw})
	line := func() int { l, _ := raw.InputPos(); return l }
	fail := func(err error) error {
		switch {
		case errors.Is(err, errTooBig):
			return feedError(channel, 0, errs.Invalid("", "the document is larger than %d bytes", MaxFeedBytes))
		case errors.Is(err, errDeclaration):
			return feedError(channel, line(), errs.Invalid("", "the document declares a DOCTYPE or ENTITY; such documents are refused"))
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			if cr.n == 0 {
				return feedError(channel, 0, errs.Invalid("", "the document is empty"))
			}
			return feedError(channel, line(), errs.Invalid("", "the document ends too early"))
		}
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			if se.Msg == "unexpected EOF" {
				return feedError(channel, line(), errs.Invalid("", "the document ends too early"))
			}
			return feedError(channel, line(), errs.Invalid("", "malformed XML: %s", se.Msg))
		}
		return feedError(channel, line(), errs.Invalid("", "malformed XML: %s", err.Error()))
	}
	f := &Feed{}
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF && depth == 0 && f.Format != "" {
			break
		}
		if err != nil {
			return nil, fail(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				switch {
				case t.Name.Local == "rss", t.Name.Local == "RDF":
					f.Format = "rss"
				case t.Name.Local == "feed":
					f.Format = "atom"
				default:
					return nil, feedError(channel, line(), errs.Invalid("", "the document is neither RSS 2.0 nor Atom 1.0 (its root element is %s)", t.Name.Local))
				}
				continue
			}
			if len(f.Items) >= MaxFeedItems && (t.Name.Local == "item" || t.Name.Local == "entry") {
				return nil, feedError(channel, line(), errs.Invalid("", "more than %d items in one document", MaxFeedItems))
			}
			at := line()
			switch {
			case t.Name.Local == "title" && f.Title == "" && ((f.Format == "atom" && depth == 2) || (f.Format == "rss" && depth == 3)):
				var x text
				if err := d.DecodeElement(&x, &t); err != nil {
					return nil, fail(err)
				}
				depth--
				f.Title = x.String()
			case f.Format == "rss" && t.Name.Local == "item":
				var x rssItem
				if err := d.DecodeElement(&x, &t); err != nil {
					return nil, fail(err)
				}
				depth--
				it := FeedItem{Key: strings.TrimSpace(x.GUID), Title: x.Title.String(), Link: strings.TrimSpace(x.Link), Line: at}
				it.Summary = x.Description.String()
				if it.Summary == "" {
					it.Summary = x.Encoded.String()
				}
				field, date := "pubDate", x.PubDate
				if strings.TrimSpace(date) == "" {
					field, date = "dc:date", x.DCDate
				}
				if it.Published, err = parseFeedDate(date); err != nil {
					return nil, feedError(channel, at, errs.Invalid("", "%s %q is not a date (RFC 822 or RFC 3339)", field, strings.TrimSpace(date)))
				}
				if err := finishItem(channel, &it); err != nil {
					return nil, err
				}
				f.Items = append(f.Items, it)
			case f.Format == "atom" && t.Name.Local == "entry":
				var x atomEntry
				if err := d.DecodeElement(&x, &t); err != nil {
					return nil, fail(err)
				}
				depth--
				it := FeedItem{Key: strings.TrimSpace(x.ID), Title: x.Title.String(), Line: at}
				for _, l := range x.Links {
					if l.Rel == "" || l.Rel == "alternate" {
						it.Link = strings.TrimSpace(l.Href)
						break
					}
				}
				it.Summary = x.Summary.String()
				if it.Summary == "" {
					it.Summary = x.Content.String()
				}
				field, date := "published", x.Published
				if strings.TrimSpace(date) == "" {
					field, date = "updated", x.Updated
				}
				if it.Published, err = parseFeedDate(date); err != nil {
					return nil, feedError(channel, at, errs.Invalid("", "%s %q is not a date (RFC 822 or RFC 3339)", field, strings.TrimSpace(date)))
				}
				if err := finishItem(channel, &it); err != nil {
					return nil, err
				}
				f.Items = append(f.Items, it)
			}
		case xml.EndElement:
			depth--
		}
	}
	return f, nil
}

// finishItem checks an item and derives its CVEs and severity.
func finishItem(channel string, it *FeedItem) error {
	if it.Link != "" {
		if u, err := url.Parse(it.Link); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return feedError(channel, it.Line, errs.Invalid("", "link %q is not an http or https address", i18n.Shorten(it.Link, 100)))
		}
	}
	if it.Key == "" {
		it.Key = it.Link
	}
	if it.Key == "" {
		return feedError(channel, it.Line, errs.Invalid("", "the item has neither a guid (id) nor a link"))
	}
	if len(it.Key) > maxLink {
		return feedError(channel, it.Line, errs.Invalid("", "the item's guid is longer than %d bytes", maxLink))
	}
	if it.Title == "" {
		it.Title = i18n.Shorten(it.Summary, 120)
	}
	if it.Title == "" {
		return feedError(channel, it.Line, errs.Invalid("", "the item has neither a title nor a summary"))
	}
	it.Title = clipRunes(it.Title, maxTitle)
	it.Summary = clipRunes(it.Summary, maxText)
	it.CVEs = findCVEs(it.Title + "\n" + it.Summary)
	it.Severity = GuessSeverity(it.Title + "\n" + it.Summary)
	return nil
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

var cveRE = regexp.MustCompile(`(?i)\bCVE-\d{4}-\d{4,}\b`)

// findCVEs returns the CVE ids named in s, normalised, in order, at most
// maxCVEs.
func findCVEs(s string) []string {
	var out []string
	for _, m := range cveRE.FindAllString(s, -1) {
		c, err := findings.ParseCVE(m)
		if err == nil && !slices.Contains(out, c) && len(out) < maxCVEs {
			out = append(out, c)
		}
	}
	return out
}

// Words that tell an item's severity, in English and Vietnamese (the
// text is lowered and its letters folded to ASCII first).
var severityWords = []struct {
	severity string
	re       *regexp.Regexp
}{
	{SeverityCritical, regexp.MustCompile(`\b(critical|nghiem trong|dac biet nghiem trong|khan cap|zero-day|0-day|actively exploited|dang bi khai thac)\b`)},
	{SeverityHigh, regexp.MustCompile(`\b(high|important|muc cao|muc do cao|nguy co cao|nguy hiem)\b`)},
	{SeverityLow, regexp.MustCompile(`\b(low|muc thap|muc do thap)\b`)},
}

// GuessSeverity guesses an item's severity from its words: critical,
// high or low when a word says so, medium otherwise.
func GuessSeverity(s string) string {
	folded := i18n.Fold(s)
	for _, w := range severityWords {
		if w.re.MatchString(folded) {
			return w.severity
		}
	}
	return SeverityMedium
}

// Date layouts feeds use: RFC 822/1123 and their variants, RFC 3339 and
// its variants.
var feedDateLayouts = []string{
	time.RFC1123Z, time.RFC1123, time.RFC822Z, time.RFC822,
	"Mon, 2 Jan 2006 15:04:05 -0700", "Mon, 2 Jan 2006 15:04:05 MST", "Mon, 02 Jan 2006 15:04 -0700", "Mon, 2 Jan 2006 15:04 MST",
	"Mon, 02 Jan 2006 15:04 MST", "02 Jan 2006 15:04:05 -0700", "2 Jan 2006 15:04:05 -0700", "02 Jan 2006 15:04:05 MST", "2 Jan 2006 15:04:05 MST",
	"Mon, 02 Jan 06 15:04:05 -0700", "Mon, 02 Jan 06 15:04:05 MST", "Mon, 2 Jan 06 15:04:05 MST", "Monday, 02-Jan-06 15:04:05 MST",
	"Mon, 02 Jan 2006 15:04:05", "Mon, 2 Jan 2006 15:04:05",
	time.RFC3339Nano, time.RFC3339, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05", "2006-01-02",
}

// parseFeedDate reads a feed's date; "" is no date. A date with no zone
// is taken as UTC.
func parseFeedDate(s string) (time.Time, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return time.Time{}, nil
	}
	// Some feeds write "GMT+7" or "+07:00" where RFC 822 wants -0700.
	for _, layout := range feedDateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if t, err := time.Parse(time.RFC1123Z, strings.Replace(s, "+07:00", "+0700", 1)); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, fmt.Errorf("not a date")
}

// stripHTML turns an HTML fragment into text: tags dropped (script and
// style with their content), entities decoded, blocks on lines of their
// own, spaces collapsed.
func stripHTML(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return collapse(s)
	}
	var b strings.Builder
	skip := "" // inside <script> or <style>
	for len(s) > 0 {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			if skip == "" {
				b.WriteString(s)
			}
			break
		}
		if skip == "" {
			b.WriteString(s[:i])
		}
		s = s[i:]
		if strings.HasPrefix(s, "<!--") {
			end := strings.Index(s, "-->")
			if end < 0 {
				break
			}
			s = s[end+3:]
			continue
		}
		end := strings.IndexByte(s, '>')
		if end < 0 {
			break // a cut tag: the rest is markup
		}
		tag := strings.ToLower(strings.TrimLeft(s[1:end], "/ "))
		if k := strings.IndexAny(tag, " \t\n/"); k >= 0 {
			tag = tag[:k]
		}
		closing := strings.HasPrefix(s, "</")
		s = s[end+1:]
		switch {
		case skip != "":
			if closing && tag == skip {
				skip = ""
			}
		case !closing && (tag == "script" || tag == "style"):
			skip = tag
		case blockTags[tag]:
			b.WriteByte('\n')
		default:
			b.WriteByte(' ')
		}
	}
	return collapse(html.UnescapeString(b.String()))
}

// collapse folds runs of spaces and drops blank lines.
func collapse(s string) string {
	var lines []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r", ""), "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			continue
		}
		lines = append(lines, l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

// ImportFeed reads an RSS 2.0 or Atom 1.0 document from an advisory
// channel (feed names the channel) and files each item not seen before as
// a draft advisory; it returns how many were new. The TAXII/feeds poller
// calls it for feeds of kind "rss". The whole document is read and
// checked before anything is written, and its drafts are filed in one
// transaction: a malformed document files nothing.
func (s *Service) ImportFeed(ctx context.Context, feed string, r io.Reader) (int, error) {
	feed = strings.TrimSpace(feed)
	if feed == "" {
		return 0, errs.Invalid("channel", "name the channel the document comes from (?channel=VNCERT)")
	}
	if utf8.RuneCountInString(feed) > maxIssuer {
		return 0, errs.Invalid("channel", "must be at most %d characters", maxIssuer)
	}
	if auth.FromContext(ctx) == nil {
		ctx = auth.WithPrincipal(ctx, auth.System) // the feeds poller
	} else if _, err := s.requireITCenter(ctx); err != nil {
		return 0, err
	}
	f, err := ReadFeed(feed, r)
	if err != nil {
		return 0, err
	}
	// Oldest first, so reference numbers follow publication.
	items := slices.Clone(f.Items)
	sort.SliceStable(items, func(i, j int) bool { return items[i].Published.Before(items[j].Published) })
	n := 0
	err = s.inTxNumbering(ctx, func(tx *store.Tx) error {
		n = 0
		now := store.Micros(s.now())
		for _, it := range items {
			res, err := tx.Exec(ctx, `INSERT INTO advisory_feed_items (channel, item_key, seen_at) VALUES (?, ?, ?) ON CONFLICT (channel, item_key) DO NOTHING`,
				feed, it.Key, now)
			if err != nil {
				return fmt.Errorf("advisory: feed item: %w", err)
			}
			if k, _ := res.RowsAffected(); k == 0 {
				continue
			}
			id, err := s.create(ctx, tx, Input{Title: it.Title, Severity: it.Severity, Summary: it.Summary, CVEs: it.CVEs, Issuer: feed,
				Link: it.Link, Channel: feed, Published: it.Published})
			if err != nil {
				if e, ok := errs.As(err); ok && e.Code == errs.EINVALID {
					return feedError(feed, it.Line, e)
				}
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE advisory_feed_items SET advisory_id = ? WHERE channel = ? AND item_key = ?`, id, feed, it.Key); err != nil {
				return fmt.Errorf("advisory: feed item: %w", err)
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
