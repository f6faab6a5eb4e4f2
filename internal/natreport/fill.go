package natreport

import (
	"fmt"
	"net/mail"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"vigil/internal/i18n"
)

// Filling a form from a case and the unit's profile, and checking it.

func vnTime(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(i18n.Location).Format(layout)
}

func lines(vs []string) string { return strings.Join(vs, "\n") }

// fillCommon writes the reporter, contact, system and signature blocks.
func fillCommon(v map[string]string, c *Case, pr *Profile) {
	v["org_name"] = pr.OrgName
	v["org_address"] = pr.Address
	v["org_phone"] = pr.Phone
	v["org_email"] = pr.Email
	v["contact_name"] = pr.ContactName
	v["contact_position"] = pr.ContactPosition
	v["contact_phone"] = pr.ContactPhone
	v["contact_email"] = pr.ContactEmail
	v["signer_name"] = pr.SignerName
	v["signer_title"] = pr.SignerTitle
	if c == nil {
		return
	}
	v["operator_unit"] = c.UnitName
	v["owner_body"] = pr.OwnerBody
	sys := c.SystemName
	var extra []string
	extra = append(extra, c.Domains...)
	extra = append(extra, c.PublicIPs...)
	if len(extra) > 0 {
		if sys != "" {
			sys += "\n"
		}
		sys += strings.Join(extra, ", ")
	}
	v["system_name"] = sys
	if c.SecurityLevel >= 1 && c.SecurityLevel <= 5 {
		v["security_level"] = strconv.Itoa(c.SecurityLevel)
	}
	v["security_provider"] = pr.SecurityProvider
	v["isp"] = pr.ISP
}

// fillInitial fills Mẫu 03.
func fillInitial(c *Case, pr *Profile, now time.Time) map[string]string {
	v := map[string]string{}
	fillCommon(v, c, pr)
	desc := strings.TrimSpace(c.Title)
	if c.Description != "" {
		desc += "\n" + strings.TrimSpace(c.Description)
	}
	if len(c.Hosts) > 0 {
		desc += "\nMáy bị ảnh hưởng: " + strings.Join(c.Hosts, ", ")
	}
	if c.PersonalData {
		desc += "\nSự cố có liên quan đến dữ liệu cá nhân."
	}
	if c.Serious {
		desc += "\nSự cố nghiêm trọng / vượt quá khả năng xử lý của đơn vị."
	}
	v["description"] = strings.TrimSpace(desc)
	detected := c.DetectedAt
	if detected.IsZero() {
		detected = c.OpenedAt
	}
	v["detected_date"] = vnTime(detected, "02/01/06")
	v["detected_time"] = vnTime(detected, "15:04")
	switch c.Status {
	case "new":
		v["incident_status"] = "detected" // "Mới phát hiện, chưa xử lý"
	case "triage":
		v["incident_status"] = "handling"
	case "containment", "eradication":
		v["incident_status"] = "contained"
	case "recovery", "closed":
		v["incident_status"] = "resolved"
	}
	v["os"] = lines(c.OS)
	v["services"] = lines(c.Services)
	v["measures"] = c.SecurityMeasures
	v["public_ips"] = lines(c.PublicIPs)
	v["domains"] = lines(c.Domains)
	v["purpose"] = c.Purpose
	v["attachments"] = lines(c.Attachments)
	v["confidential"] = "yes"
	if c.VNCERTHelp {
		v["support_request"] = "Đề nghị Cơ quan điều phối quốc gia (VNCERT/CC) hỗ trợ xử lý sự cố."
	}
	v["reported_at"] = vnTime(now, "02/01/2006 15:04")
	return v
}

// fillFinal fills Mẫu 04; initial is the case's approved initial report (nil: none yet).
func fillFinal(c *Case, pr *Profile, initial *Report, now time.Time) map[string]string {
	v := map[string]string{}
	fillCommon(v, c, pr)
	if initial != nil {
		// The reporter block as the initial report gave it, where the
		// profile leaves a field empty.
		for _, k := range []string{"org_name", "org_address", "org_phone", "org_email", "contact_name", "contact_position", "contact_phone", "contact_email",
			"owner_body", "security_provider", "isp", "signer_name", "signer_title"} {
			if strings.TrimSpace(v[k]) == "" {
				v[k] = initial.Fields[k]
			}
		}
		v["initial_number"] = initial.Number
		v["initial_date"] = vnTime(initial.ApprovedAt, "02/01/2006")
	}
	detected := c.DetectedAt
	if detected.IsZero() {
		detected = c.OpenedAt
	}
	v["detected_date"] = vnTime(detected, "02/01/2006")
	v["detected_time"] = vnTime(detected, "15:04")
	what := strings.TrimSpace(c.Title)
	if c.Description != "" {
		what += "\n" + strings.TrimSpace(c.Description)
	}
	var tl []string
	for _, e := range c.Timeline {
		if e.Kind == "status" || e.Kind == "note" {
			tl = append(tl, vnTime(e.At, "02/01/2006 15:04")+" — "+strings.TrimSpace(e.Text))
		}
	}
	if len(tl) > 0 {
		if len(tl) > 40 {
			tl = append(tl[:20], append([]string{"…"}, tl[len(tl)-19:]...)...)
		}
		what += "\nDiễn biến:\n" + strings.Join(tl, "\n")
	}
	v["what_happened"] = strings.TrimSpace(what)
	v["resolution"] = strings.TrimSpace(c.Resolution)
	v["recommendations"] = strings.TrimSpace(c.Lessons)
	v["attachments"] = lines(c.Attachments)
	v["reported_at"] = vnTime(now, "02/01/2006 15:04")
	return v
}

// Row is one row of Mẫu 05's table.
type Row struct {
	Category string `json:"category"` // a category, or "total"
	Count    int    `json:"count"`
	Self     int    `json:"self"`
	Domestic int    `json:"domestic"`
	Foreign  int    `json:"foreign"`
	VNCERT   int    `json:"vncert"`
	Damage   int64  `json:"damage"`
}

// Tally counts cases into Mẫu 05's rows (every category, in order) and the
// total row last. A category outside the list counts as "other".
func Tally(cases []*Case) []Row {
	rows := make([]Row, len(Categories)+1)
	for i, c := range Categories {
		rows[i].Category = c
	}
	rows[len(Categories)].Category = "total"
	for _, c := range cases {
		i := slices.Index(Categories, c.Category)
		if i < 0 {
			i = slices.Index(Categories, "other")
		}
		for _, r := range []*Row{&rows[i], &rows[len(Categories)]} {
			r.Count++
			switch c.SupportFrom {
			case "domestic":
				r.Domestic++
			case "foreign":
				r.Foreign++
			default:
				r.Self++
			}
			if c.VNCERTHelp {
				r.VNCERT++
			}
			r.Damage += c.DamageVND
		}
	}
	return rows
}

// Period is a summary's span: months from and to (YYYY-MM), inclusive.
type Period struct {
	From, To string
}

// ParsePeriod reads a summary's months; an empty to is from's month.
func ParsePeriod(from, to string) (Period, time.Time, time.Time, error) {
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if to == "" {
		to = from
	}
	a, err := time.ParseInLocation("2006-01", from, i18n.Location)
	if err != nil {
		return Period{}, time.Time{}, time.Time{}, errPeriod("from", from)
	}
	b, err := time.ParseInLocation("2006-01", to, i18n.Location)
	if err != nil {
		return Period{}, time.Time{}, time.Time{}, errPeriod("to", to)
	}
	if b.Before(a) {
		return Period{}, time.Time{}, time.Time{}, errPeriodOrder()
	}
	return Period{From: from, To: to}, a, b.AddDate(0, 1, 0), nil
}

// Text is the period as the form writes it: "6 tháng đầu năm 2026",
// "năm 2026", or "từ tháng 01/2026 đến tháng 03/2026".
func (p Period) Text() string {
	if len(p.From) != 7 || len(p.To) != 7 {
		return p.From + " – " + p.To
	}
	y1, m1, y2, m2 := p.From[:4], p.From[5:], p.To[:4], p.To[5:]
	switch {
	case y1 == y2 && m1 == "01" && m2 == "06":
		return "6 tháng đầu năm " + y1
	case y1 == y2 && m1 == "07" && m2 == "12":
		return "6 tháng cuối năm " + y1
	case y1 == y2 && m1 == "01" && m2 == "12":
		return "năm " + y1
	case p.From == p.To:
		return "tháng " + m1 + "/" + y1
	}
	return fmt.Sprintf("từ tháng %s/%s đến tháng %s/%s", m1, y1, m2, y2)
}

// fillSummary fills Mẫu 05's header.
func fillSummary(pr *Profile, per Period, now time.Time) map[string]string {
	return map[string]string{"period": per.Text(), "org_name": pr.OrgName, "org_address": pr.Address, "member_code": pr.MemberCode,
		"signer_name": pr.SignerName, "signer_title": pr.SignerTitle, "reported_at": vnTime(now, "02/01/2006 15:04")}
}

// Problem is a field of a report that keeps it from review: missing or
// not in the form's format. Code is "required", "format" or "option".
type Problem struct {
	Field  string `json:"field"`
	Code   string `json:"code"`
	Reason string `json:"reason"`
}

// Check lists a filled form's problems, in the form's order.
func Check(form Form, v map[string]string, opts map[string][]Option) []Problem {
	var out []Problem
	for _, s := range schemas[form] {
		for _, fl := range s.Fields {
			val := strings.TrimSpace(v[fl.Key])
			if val == "" {
				if fl.Mandatory {
					out = append(out, Problem{Field: fl.Key, Code: "required", Reason: "is required"})
				}
				continue
			}
			if p := checkValue(fl, val, opts); p != nil {
				out = append(out, *p)
			}
		}
	}
	return out
}

func checkValue(fl Field, val string, opts map[string][]Option) *Problem {
	bad := func(reason string) *Problem { return &Problem{Field: fl.Key, Code: "format", Reason: reason} }
	switch fl.Kind {
	case KindDate:
		if _, err := time.Parse("02/01/2006", val); err != nil {
			return bad("must be a date written dd/mm/yyyy")
		}
	case KindShortDate:
		if _, err := time.Parse("02/01/06", val); err != nil {
			return bad("must be a date written dd/mm/yy")
		}
	case KindTime:
		if _, err := time.Parse("15:04", val); err != nil {
			return bad("must be a time written hh:mm")
		}
	case KindDateTime:
		if _, err := time.Parse("02/01/2006 15:04", val); err != nil {
			return bad("must be written dd/mm/yyyy hh:mm")
		}
	case KindLevel:
		if n, err := strconv.Atoi(val); err != nil || n < 1 || n > 5 {
			return bad("must be a level from 1 to 5")
		}
	case KindYesNo:
		if val != "yes" && val != "no" {
			return bad("must be yes or no")
		}
	case KindEmail:
		if a, err := mail.ParseAddress(val); err != nil || a.Address != val {
			return bad("must be an e-mail address")
		}
	case KindLong:
		if fl.Key == "public_ips" {
			for _, a := range strings.FieldsFunc(val, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' }) {
				if !isAddress(a) {
					return bad("must list IP addresses, one a line")
				}
				if IsInternal(a) {
					return bad("lists an internal address: the form takes public addresses only")
				}
			}
		}
	case KindChoice, KindMulti:
		codes := splitCodes(val)
		if fl.Kind == KindChoice && len(codes) != 1 {
			return &Problem{Field: fl.Key, Code: "option", Reason: "choose one option of the list"}
		}
		for _, c := range codes {
			if !slices.ContainsFunc(opts[fl.Options], func(o Option) bool { return o.Code == c }) {
				return &Problem{Field: fl.Key, Code: "option", Reason: "choose options of the list"}
			}
		}
	}
	return nil
}

func splitCodes(s string) []string {
	var out []string
	for _, c := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == ';' }) {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

func isAddress(v string) bool {
	if _, err := netip.ParsePrefix(v); err == nil {
		return true
	}
	_, err := netip.ParseAddr(v)
	return err == nil
}

// IsInternal tells an address (or a network) the national forms must not
// list: private, loopback, link-local, unspecified, multicast or carrier-
// grade NAT; anything not an address counts as internal. The case's own
// "public addresses" field uses the same rule.
func IsInternal(ip string) bool {
	if pfx, err := netip.ParsePrefix(ip); err == nil {
		ip = pfx.Addr().String()
	}
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return true
	}
	return a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || a.IsMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}
