package escalate

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vigil/internal/i18n"
)

// message is what a notification says, in one language.
type message struct {
	Subject string
	Body    string // e-mail body and Telegram text
	Payload []byte // webhook JSON
}

func severityWord(lang, s string) string {
	if w, ok := i18n.Lookup(lang, "severity."+s); ok {
		return w
	}
	if w, ok := i18n.Lookup(lang, "esc.sev."+s); ok {
		return w
	}
	return s
}

// alertLink is where a person acknowledges the alert.
func (s *Service) alertLink(id int64) string {
	base := strings.TrimRight(s.PublicURL, "/")
	return base + "/alerts/" + strconv.FormatInt(id, 10)
}

// WebhookAlert is the alert in a webhook's JSON body.
type WebhookAlert struct {
	ID        int64     `json:"id"`
	RuleID    string    `json:"rule_id"`
	Title     string    `json:"title"`
	Severity  string    `json:"severity"`
	Host      string    `json:"host"`
	Unit      string    `json:"unit"`
	UnitName  string    `json:"unit_name"`
	Count     int       `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	URL       string    `json:"url"`
}

// WebhookBody is the JSON a webhook receives (event alert.escalated, or
// channel.test with no alert).
type WebhookBody struct {
	Event  string        `json:"event"`
	Alert  *WebhookAlert `json:"alert,omitempty"`
	Policy string        `json:"policy,omitempty"`
	Step   int           `json:"step,omitempty"` // 1-based
	Steps  int           `json:"steps,omitempty"`
	Target string        `json:"target,omitempty"`
	// MinutesUnacknowledged is how long the alert has waited.
	MinutesUnacknowledged int    `json:"minutes_unacknowledged,omitempty"`
	Text                  string `json:"text"`
	Lang                  string `json:"lang"`
}

// escalationMessage composes what step (0-based) of pol says about a.
func (s *Service) escalationMessage(lang string, a *Alert, unit *unitRef, pol *Policy, step int, waited time.Duration) message {
	t := func(key string) string { return i18n.T(lang, key) }
	sev := severityWord(lang, a.Severity)
	where := unit.Code
	if a.Host != "" {
		where = a.Host + " (" + unit.Code + ")"
	}
	minutes := int(waited / s.minute())
	link := s.alertLink(a.ID)
	subject := fmt.Sprintf(t("esc.msg.subject"), strings.ToUpper(sev), a.Title, where)
	var b strings.Builder
	fmt.Fprintf(&b, t("esc.msg.intro")+"\n\n", a.ID, minutes)
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", t(label), v)
		}
	}
	line("esc.msg.alert", a.Title)
	line("esc.msg.severity", sev)
	line("esc.msg.unit", unit.Name+" ("+unit.Code+")")
	line("esc.msg.host", a.Host)
	if a.Count > 1 {
		line("esc.msg.count", i18n.Number(a.Count, lang))
	}
	line("esc.msg.first_seen", i18n.FormatTime(a.FirstSeen, lang))
	fmt.Fprintf(&b, t("esc.msg.step")+"\n\n", step+1, len(pol.stored), t("esc.target."+pol.stored[step].Target))
	fmt.Fprintf(&b, t("esc.msg.link")+"\n\n", link)
	b.WriteString(t("esc.msg.footer") + "\n")
	body := b.String()
	payload, _ := json.Marshal(WebhookBody{
		Event: "alert.escalated",
		Alert: &WebhookAlert{ID: a.ID, RuleID: a.RuleID, Title: a.Title, Severity: a.Severity, Host: a.Host, Unit: unit.Code, UnitName: unit.Name,
			Count: a.Count, FirstSeen: a.FirstSeen.UTC(), LastSeen: a.LastSeen.UTC(), URL: link},
		Policy: pol.Name, Step: step + 1, Steps: len(pol.stored), Target: pol.stored[step].Target, MinutesUnacknowledged: minutes,
		Text: subject + "\n\n" + body, Lang: lang,
	})
	return message{Subject: subject, Body: body, Payload: payload}
}

// testMessage is what "send a test" says on a channel.
func testMessage(lang string, c *Channel, who string, at time.Time) message {
	subject := fmt.Sprintf(i18n.T(lang, "esc.msg.test_subject"), c.Name)
	body := fmt.Sprintf(i18n.T(lang, "esc.msg.test_body"), c.Name, c.Unit, who, i18n.FormatTime(at, lang)) + "\n"
	payload, _ := json.Marshal(WebhookBody{Event: "channel.test", Text: subject + "\n\n" + body, Lang: lang})
	return message{Subject: subject, Body: body, Payload: payload}
}
