package watchlist

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzParseFlat checks the retro-hunt's reader of kept alert events
// against encoding/json: on an object json accepts, every string field
// json reads is read with the same value; on anything else it never
// panics.
func FuzzParseFlat(f *testing.F) {
	for _, s := range []string{
		`{"_host":"PC-01","Image":"C:\\Windows\\x.exe","DestinationIp":"10.0.0.1"}`,
		`{"a":"\u00e9\ud83d\ude00","n":3,"o":{"x":["y",{"z":"}"}]},"b":"\"q\""}`,
		`{"a":"x"`, `{"a":`, `[]`, `{"a":"\u12"}`, ``, `{"":""}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := parseFlat(b, nil)
		var want map[string]any
		if !utf8.Valid(b) || json.Unmarshal(b, &want) != nil {
			// json replaces invalid UTF-8; events are stored valid.
			return
		}
		strs := map[string]string{}
		for _, fl := range got {
			if _, dup := strs[fl.Name]; !dup {
				strs[fl.Name] = fl.Value
			}
		}
		for k, v := range want {
			s, ok := v.(string)
			if !ok {
				continue
			}
			// json keeps the last of repeated names, the reader every one.
			found := false
			for _, fl := range got {
				if fl.Name == k && fl.Value == s {
					found = true
				}
			}
			if !found {
				t.Errorf("field %q = %q not read (got %v) from %q", k, s, strs, b)
			}
		}
	})
}
