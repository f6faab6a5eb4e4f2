package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"vigil/internal/i18n"
)

// Delivery is what a delivery line of the timeline says, as data: the
// outbox's purpose ("incident_initial"), channel, target, status and the
// last error, so a reader sees them in words in their language.
type Delivery struct {
	Purpose string `json:"purpose"`
	Channel string `json:"channel"`
	Target  string `json:"target"`
	Status  string `json:"status"`
	Error   string `json:"error,omitempty"`
	// An attempt's line: its number (from 1), result (delivered, retry,
	// failed) and what the recipient answered. Zero on the delivery's
	// own line.
	Attempt int    `json:"attempt,omitempty"`
	Result  string `json:"result,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// Actors that are no person: the outbox's deliveries.
const WhoOutbox = "outbox"

// observableKinds are the kinds an observable may have (intel.kind.*).
var observableKinds = []string{"ip", "domain", "url", "sha256", "sha1", "md5", "account", "hostname", "email"}

// Describe is the entry's text in lang ("vi" or "en"): status names,
// indicator kinds, report forms and delivery states in words, never their
// codes. What a person wrote (notes, titles, values) is kept as written.
func (e Entry) Describe(lang string) string {
	switch e.Kind {
	case "status":
		head, note, hasNote := strings.Cut(e.Text, "\n")
		from, to, moved := strings.Cut(head, " → ")
		var s string
		switch {
		case moved && isStatus(from) && isStatus(to):
			s = statusWord(lang, from) + " → " + statusWord(lang, to)
		case !moved && isStatus(head):
			s = statusWord(lang, head)
		default:
			return e.Text
		}
		if hasNote {
			s += "\n" + note
		}
		return s
	case "observable", "watchlist":
		kind, rest, ok := strings.Cut(e.Text, ": ")
		if ok && slices.Contains(observableKinds, kind) {
			return i18n.T(lang, "intel.kind."+kind) + ": " + rest
		}
	case "task":
		// "title — owner — 23:59 01/01/2020": the due time as lang writes it.
		if i := strings.LastIndex(e.Text, " — "); i >= 0 {
			if t, err := time.ParseInLocation("15:04 02/01/2006", e.Text[i+len(" — "):], i18n.Location); err == nil {
				return e.Text[:i] + " — " + i18n.FormatTime(t, lang)
			}
		}
	case "report":
		switch e.Text {
		case FormInitial, FormFinal, FormPersonalData:
			return i18n.T(lang, "inc.form."+e.Text)
		}
	case "delivery":
		if d := e.Delivery; d != nil {
			purpose := d.Purpose
			if m, ok := i18n.Lookup(lang, "outbox.purpose."+d.Purpose); ok {
				purpose = m
			}
			if d.Attempt > 0 {
				s := fmt.Sprintf(i18n.T(lang, "inc.delivery_attempt"), d.Attempt) + ": " + purpose + " → " + d.Target + " (" + i18n.T(lang, "outbox.channel."+d.Channel) + "): " +
					i18n.T(lang, "outbox.result."+d.Result)
				if d.Detail != "" {
					s += " — " + d.Detail
				}
				return s
			}
			s := purpose + " → " + d.Target + " (" + i18n.T(lang, "outbox.channel."+d.Channel) + "): " + i18n.T(lang, "outbox.status."+d.Status)
			if d.Error != "" {
				s += " — " + d.Error
			}
			return s
		}
	}
	return e.Text
}

// WhoIn names the entry's actor in lang: a person's address as it is, the
// system's parts in words.
func (e Entry) WhoIn(lang string) string {
	switch e.Who {
	case WhoOutbox:
		return i18n.T(lang, "inc.who.outbox")
	case "system", "":
		return i18n.T(lang, "inc.who.system")
	}
	return e.Who
}

func isStatus(s string) bool { return statusIndex(s) >= 0 }

func statusWord(lang, s string) string { return i18n.T(lang, "inc.status."+s) }
