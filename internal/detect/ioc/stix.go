package ioc

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"vigil/internal/datafile"
)

type stixObject struct {
	Type         string                     `json:"type"`
	ID           string                     `json:"id"`
	Name         string                     `json:"name"`
	Pattern      string                     `json:"pattern"`
	PatternType  string                     `json:"pattern_type"`
	Value        string                     `json:"value"`
	Hashes       map[string]string          `json:"hashes"`
	UserID       string                     `json:"user_id"`
	AccountLogin string                     `json:"account_login"`
	Objects      map[string]json.RawMessage `json:"objects"` // observed-data in STIX 2.0
}

// AddSTIX reads a STIX 2.0 or 2.1 bundle (or a single object): indicators
// with STIX patterns, observed-data and cyber-observable objects. Pattern
// comparisons of kinds this package holds become indicators whether joined
// by OR or AND (an AND only narrows, so matching any part errs towards
// alerting); other comparisons are counted as skipped.
func (b *Builder) AddSTIX(r io.Reader, name string) (LoadStats, error) {
	var st LoadStats
	data, err := io.ReadAll(io.LimitReader(r, 1<<31))
	if err != nil {
		return st, fmt.Errorf("ioc: %s: %w", name, err)
	}
	var top struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return st, fmt.Errorf("ioc: %s: not a STIX bundle: %w", name, err)
	}
	objs := top.Objects
	if top.Type != "bundle" {
		objs = []json.RawMessage{data}
	}
	for i, raw := range objs {
		var o stixObject
		if err := json.Unmarshal(raw, &o); err != nil {
			st.bad(&datafile.Error{File: name, Record: fmt.Sprintf("object %d", i+1), Err: err})
			continue
		}
		obj := fmt.Sprintf("object %d", i+1)
		if o.ID != "" {
			obj += " (" + truncate(o.ID, 80) + ")"
		}
		where := func(field string) *datafile.Error {
			return &datafile.Error{File: name, Record: obj, Field: field}
		}
		switch o.Type {
		case "indicator":
			if o.PatternType != "" && o.PatternType != "stix" {
				st.Skipped++
				continue
			}
			b.addPattern(o.Pattern, o.Name, &st, where)
		case "observed-data":
			for key, raw := range o.Objects {
				var sco stixObject
				if err := json.Unmarshal(raw, &sco); err != nil {
					e := where("objects." + key)
					e.Err = err
					st.bad(e)
					continue
				}
				b.addSCO(&sco, o.Name, &st, where)
			}
		default:
			b.addSCO(&o, o.Name, &st, where)
		}
	}
	return st, nil
}

// comparisonRE finds "object-path = 'value'" comparisons in a STIX pattern.
var comparisonRE = regexp.MustCompile(`([a-z0-9-]+):([A-Za-z0-9_.'\-\[\]*]+)\s*(=|IN)\s*('(?:[^'\\]|\\.)*'|\((?:[^)'\\]|'(?:[^'\\]|\\.)*')*\))`)
var quotedRE = regexp.MustCompile(`'((?:[^'\\]|\\.)*)'`)

func (b *Builder) addPattern(pattern, comment string, st *LoadStats, where func(string) *datafile.Error) {
	ms := comparisonRE.FindAllStringSubmatch(pattern, -1)
	if len(ms) == 0 && strings.Contains(pattern, "[") {
		// LIKE, MATCHES, ISSUBSET, ...: valid STIX this set cannot hold.
		st.Skipped++
		return
	}
	if len(ms) == 0 {
		e := where("pattern")
		e.Err = fmt.Errorf("no comparison in %q", truncate(pattern, 80))
		st.bad(e)
		return
	}
	for _, m := range ms {
		k, ok := patternKind(m[1], m[2])
		if !ok {
			st.Skipped++
			continue
		}
		for _, q := range quotedRE.FindAllStringSubmatch(m[4], -1) {
			v := strings.NewReplacer(`\'`, `'`, `\\`, `\`).Replace(q[1])
			if err := b.Add(k, v, comment); err != nil {
				e := where("pattern")
				e.Err = fmt.Errorf("%s:%s: %w", m[1], m[2], err)
				st.bad(e)
				continue
			}
			st.Added++
		}
	}
}

func patternKind(obj, path string) (Kind, bool) {
	path = strings.ToLower(strings.ReplaceAll(path, "'", ""))
	switch obj {
	case "ipv4-addr", "ipv6-addr":
		return KindIP, path == "value"
	case "domain-name":
		return KindDomain, path == "value"
	case "url":
		return KindURL, path == "value"
	case "email-addr":
		return KindEmail, path == "value"
	case "email-message":
		return KindEmail, strings.HasSuffix(path, ".value") && (strings.HasPrefix(path, "from_ref") || strings.HasPrefix(path, "sender_ref"))
	case "user-account":
		return KindAccount, path == "user_id" || path == "account_login"
	case "network-traffic":
		return KindIP, path == "dst_ref.value" || path == "src_ref.value"
	case "file", "artifact":
		if h, ok := strings.CutPrefix(path, "hashes."); ok {
			return hashKind(h)
		}
	}
	return 0, false
}

func hashKind(name string) (Kind, bool) {
	switch strings.ToLower(strings.ReplaceAll(name, "-", "")) {
	case "md5":
		return KindMD5, true
	case "sha1":
		return KindSHA1, true
	case "sha256":
		return KindSHA256, true
	}
	return 0, false
}

func (b *Builder) addSCO(o *stixObject, comment string, st *LoadStats, where func(string) *datafile.Error) {
	add := func(k Kind, v, field string) {
		if v == "" {
			return
		}
		if err := b.Add(k, v, comment); err != nil {
			e := where(field)
			e.Err = err
			st.bad(e)
			return
		}
		st.Added++
	}
	switch o.Type {
	case "ipv4-addr", "ipv6-addr":
		add(KindIP, o.Value, "value")
	case "domain-name":
		add(KindDomain, o.Value, "value")
	case "url":
		add(KindURL, o.Value, "value")
	case "email-addr":
		add(KindEmail, o.Value, "value")
	case "user-account":
		add(KindAccount, o.UserID, "user_id")
		if o.AccountLogin != o.UserID {
			add(KindAccount, o.AccountLogin, "account_login")
		}
	case "file", "artifact":
		for h, v := range o.Hashes {
			if k, ok := hashKind(h); ok {
				add(k, v, "hashes."+h)
			}
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
