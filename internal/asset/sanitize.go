package asset

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// fieldLimits are the string limits by JSON name; other strings get
// maxName.
var fieldLimits = map[string]int{
	"hostname": maxHostname, "fqdn": maxHostname, "domain": maxHostname,
	"version": maxVersion, "build": maxVersion, "kernel": maxVersion,
	"path": maxPath, "mount": maxPath, "device": maxPath, "detail": maxDetail,
	"warnings": maxDetail, "agent_version": 64, "machine_id": 128, "uid": 256,
	"id": 64, "source": 32, "arch": 32, "family": 32, "fs_type": 64, "sha256": 64,
}

// Sanitize makes an inventory read from a possibly hostile host valid, so
// a process named with control characters cannot keep the host's
// inventory from reaching the hub: control characters become U+FFFD,
// invalid UTF-8 is replaced, over-long strings are cut at a character
// boundary, over-long lists are cut to their limit, an invalid hostname
// has its bad characters replaced by '-', and list items that still fail
// validation are dropped. Each change is noted in Warnings. It returns the
// number of changes.
func (inv *Inventory) Sanitize() int {
	n := sanitizeValue(reflect.ValueOf(inv).Elem(), "")
	if err := CheckHostname(inv.Hostname); err != nil && inv.Hostname != "" {
		inv.Hostname = hostnameSafe(inv.Hostname)
		n++
	}
	if inv.FQDN != "" && CheckHostname(inv.FQDN) != nil {
		inv.FQDN = ""
		n++
	}
	// Enumerations this package sets itself: an unknown value is dropped.
	switch inv.Source {
	case "", SourceAgent, SourceCSV, SourceOsquery:
	default:
		inv.Source = ""
		n++
	}
	switch inv.Role {
	case "", RoleServer, RoleWorkstation:
	default:
		inv.Role = ""
		n++
	}
	switch inv.DomainKind {
	case "", "ad", "workgroup", "dns":
	default:
		inv.DomainKind = ""
		n++
	}
	err := inv.Validate()
	ve, ok := err.(*ValidationError)
	if !ok {
		if n > 0 {
			inv.Warnings = append(inv.Warnings, fmt.Sprintf("sanitized %d values that were not valid", n))
		}
		return n
	}
	// Drop the items that still fail, highest index first per list.
	drop := map[string][]int{}
	for _, f := range ve.Fields {
		list, idx, ok := itemOf(f.Path)
		if !ok {
			continue
		}
		drop[list] = append(drop[list], idx)
	}
	v := reflect.ValueOf(inv).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		idxs := drop[name]
		if len(idxs) == 0 || v.Field(i).Kind() != reflect.Slice {
			continue
		}
		sort.Sort(sort.Reverse(sort.IntSlice(idxs)))
		s := v.Field(i)
		last := -1
		for _, j := range idxs {
			if j == last || j >= s.Len() {
				continue
			}
			last = j
			reflect.Copy(s.Slice(j, s.Len()), s.Slice(j+1, s.Len()))
			s.SetLen(s.Len() - 1)
			n++
		}
		inv.Warnings = append(inv.Warnings, fmt.Sprintf("dropped %d invalid %s entries", len(idxs), name))
	}
	if n > 0 {
		inv.Warnings = append(inv.Warnings, fmt.Sprintf("sanitized %d values that were not valid", n))
	}
	return n
}

// itemOf splits "software[12].version" into ("software", 12).
func itemOf(path string) (string, int, bool) {
	open := strings.IndexByte(path, '[')
	close := strings.IndexByte(path, ']')
	if open <= 0 || close < open {
		return "", 0, false
	}
	i, err := strconv.Atoi(path[open+1 : close])
	if err != nil {
		return "", 0, false
	}
	return path[:open], i, true
}

func sanitizeValue(v reflect.Value, name string) int {
	n := 0
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			n += sanitizeValue(v.Elem(), name)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			if !t.Field(i).IsExported() {
				continue
			}
			fn, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			n += sanitizeValue(v.Field(i), fn)
		}
	case reflect.Slice:
		if max, ok := maxItems[name]; ok && v.Len() > max {
			v.SetLen(max)
			n++
		}
		for i := 0; i < v.Len(); i++ {
			n += sanitizeValue(v.Index(i), name)
		}
	case reflect.String:
		s := v.String()
		limit, ok := fieldLimits[name]
		if !ok {
			limit = maxName
		}
		if c := cleanString(s, limit); c != s {
			v.SetString(c)
			n++
		}
	}
	return n
}

// cleanString replaces control characters and invalid UTF-8 with U+FFFD
// and cuts s to at most limit bytes on a character boundary.
func cleanString(s string, limit int) string {
	if len(s) <= limit && plainText(s) {
		return s
	}
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		if r < 0x20 && r != '\t' || r == 0x7f {
			r = utf8.RuneError
		}
		if b.Len()+utf8.RuneLen(r) > limit {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

func hostnameSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '-'
		}
	}
	if len(b) > maxHostname {
		b = b[:maxHostname]
	}
	return string(b)
}
