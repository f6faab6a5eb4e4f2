package web

import (
	"net/http"
	"net/url"

	"vigil/internal/audit"
	"vigil/internal/errs"
	"vigil/internal/i18n"
)

// auditItem is an audit row as the API returns it: the recorded fields for
// machines (summary is the recorded before/after JSON, as ever) and the
// row in words for people, in the language asked for.
type auditItem struct {
	audit.Record
	SummaryText string `json:"summary_text"` // "Nguyễn Văn A đã tạo người dùng Trần Thị B"
	ActorName   string `json:"actor_name"`
	ActorKind   string `json:"actor_kind"` // person, system, agent, anonymous
	ObjectName  string `json:"object_name"`
	UnitName    string `json:"unit_name,omitempty"`
}

func auditItems(views []audit.View) []auditItem {
	out := make([]auditItem, len(views))
	for i, v := range views {
		out[i] = auditItem{Record: v.Record, SummaryText: v.Sentence, ActorName: v.ActorName, ActorKind: v.ActorKind, ObjectName: v.ObjectName, UnitName: v.UnitName}
	}
	return out
}

// apiLang is the language of an API answer's words: ?lang=vi|en, else the
// language cookie, else Vietnamese.
func apiLang(r *http.Request) (string, error) {
	switch l := r.URL.Query().Get("lang"); l {
	case "":
		return langOf(r), nil
	case "vi", "en":
		return l, nil
	default:
		return "", errs.Invalid("lang", "must be vi or en")
	}
}

// auditActorKind reads ?actor_kind=person|system ("" or "all": both).
func auditActorKind(q url.Values) (string, error) {
	switch k := q.Get("actor_kind"); k {
	case "", "all":
		return "", nil
	case audit.ActorPerson, audit.ActorSystem:
		return k, nil
	default:
		return "", errs.Invalid("actor_kind", "must be person, system or all")
	}
}

// auditActionChoice is one entry of the audit page's action filter.
type auditActionChoice struct {
	Value, Label string
}

// auditActionValues are the actions and groups of actions the audit page
// offers to filter by (a value ending in "." is a group).
var auditActionValues = []string{
	"unit.", "unit.create", "unit.update", "unit.delete",
	"user.", "user.create", "user.update", "user.password_reset",
	"auth.", "auth.login", "auth.login_failed",
	"contact.", "token.", "enrollment_token.", "agent.enroll",
	"host.", "host.scan_requested", "finding.",
	"escalation_policy.", "notification_channel.",
	"roster.", "shift.",
	"outbox.",
}

// recentChanges is what the dashboard lists: the latest changes people
// made, without the system's rows and without sign-ins.
var recentChanges = audit.Filter{Limit: 8, ActorKind: audit.ActorPerson, ChangesOnly: true, NoCount: true}

// auditActions is the action filter's choices in lang, with current among
// them when a link asked for an action the list does not offer.
func auditActions(lang, current string) []auditActionChoice {
	out := []auditActionChoice{{"", i18n.T(lang, "audit.action_any")}}
	found := current == ""
	for _, v := range auditActionValues {
		out = append(out, auditActionChoice{v, i18n.T(lang, "audit.a."+v)})
		found = found || v == current
	}
	if !found {
		label := current
		if i18n.Has("audit.a." + current) {
			label = i18n.T(lang, "audit.a."+current)
		}
		out = append(out, auditActionChoice{current, label})
	}
	return out
}
