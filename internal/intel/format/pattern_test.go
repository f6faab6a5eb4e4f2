package format

import (
	"strings"
	"testing"
)

var patternCases = []struct {
	in   string
	want string // comparisons as object:path op values, "|" between; "" with bad
	bad  bool
}{
	{in: "[ipv4-addr:value = '203.0.113.7']", want: "ipv4-addr:value = 203.0.113.7"},
	{in: "[ipv4-addr:value == '1.2.3.4']", want: "ipv4-addr:value = 1.2.3.4"},
	{in: "[domain-name:value IN ('a.example', 'b.example')]", want: "domain-name:value IN a.example,b.example"},
	{in: `[file:name = 'o\'brien \\ x']`, want: `file:name = o'brien \ x`},
	{in: "[file:hashes.'SHA-256' = 'aa'] OR [file:hashes.MD5 = 'bb']", want: "file:hashes.SHA-256 = aa|file:hashes.MD5 = bb"},
	{in: "[network-traffic:dst_ref.value = '10.0.0.1' AND network-traffic:dst_port = 443]", want: "network-traffic:dst_ref.value = 10.0.0.1|network-traffic:dst_port = 443"},
	{in: "[url:value LIKE '%evil%'] AND [process:name MATCHES '^a.*'] FOLLOWEDBY [ipv4-addr:value ISSUBSET '10.0.0.0/8']",
		want: "url:value LIKE %evil%|process:name MATCHES ^a.*|ipv4-addr:value ISSUBSET 10.0.0.0/8"},
	{in: "[user-account:user_id NOT = 'root']", want: "user-account:user_id NOT = root"},
	{in: "[user-account:user_id != 'root']", want: "user-account:user_id != root"},
	{in: "([a:b = 1] AND [c:d > 2.5]) WITHIN 300 SECONDS REPEATS 5 TIMES", want: "a:b = 1|c:d > 2.5"},
	{in: "[a:b = 'x'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", want: "a:b = x"},
	{in: "[file:contents = h'4d5a'] AND [artifact:payload_bin = b'TVo=']", want: "file:contents = 4d5a|artifact:payload_bin = TVo="},
	{in: "[process:extensions.'windows-process-ext'.aslr_enabled = true]", want: "process:extensions.windows-process-ext.aslr_enabled = true"},
	{in: "[email-message:to_refs[*].value = 'a@b.example' OR (email-message:body_multipart[0].body LIKE 'x')]", want: "email-message:to_refs.*.value = a@b.example|email-message:body_multipart.0.body LIKE x"},
	{in: "[x-acme-thing:hostname = 'h1']", want: "x-acme-thing:hostname = h1"},
	{in: "[file:created > t'2020-01-01T00:00:00Z']", want: "file:created > 2020-01-01T00:00:00Z"},
	{in: "[EXISTS windows-registry-key:values]", want: "windows-registry-key:values EXISTS "},
	{in: "", bad: true},
	{in: "ipv4-addr:value = '1.2.3.4'", bad: true},
	{in: "[ipv4-addr:value = '1.2.3.4'", bad: true},
	{in: "[ipv4-addr:value = '1.2.3.4]", bad: true},
	{in: `[a:b = 'bad \n escape']`, bad: true},
	{in: "[ipv4-addr:value = ]", bad: true},
	{in: "[ipv4-addr = '1']", bad: true},
	{in: "[a:b IN ()]", bad: true},
	{in: "[a:b = h'abc']", bad: true},
	{in: "[a:b = t'yesterday']", bad: true},
	{in: "[a:b = 'x'] WITHIN SECONDS", bad: true},
	{in: "[a:b = 'x'] REPEATS 0 TIMES", bad: true},
	{in: "[a:b = 'x'] AND", bad: true},
	{in: "[a:b LIKE 5]", bad: true},
	{in: "[a:b > true]", bad: true},
	{in: "[a:b = 'x'] junk", bad: true},
	{in: strings.Repeat("(", 200) + "[a:b = 'x']" + strings.Repeat(")", 200), bad: true},
}

func TestParsePattern(t *testing.T) {
	for _, c := range patternCases {
		comps, err := ParsePattern(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("%q: no error, %+v", c.in, comps)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		var parts []string
		for _, cm := range comps {
			var vals []string
			for _, v := range cm.Values {
				vals = append(vals, v.Value)
			}
			op := cm.Op
			if cm.Not {
				op = "NOT " + op
			}
			parts = append(parts, cm.Object+":"+cm.PathString()+" "+op+" "+strings.Join(vals, ","))
		}
		if got := strings.Join(parts, "|"); got != c.want {
			t.Errorf("%q:\n got %s\nwant %s", c.in, got, c.want)
		}
	}
}
