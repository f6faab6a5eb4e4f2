package ioc

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"vigil/internal/detect"
)

func loadTestdata(t *testing.T) (*Set, LoadStats) {
	t.Helper()
	b := NewBuilder()
	st, err := b.AddFile("testdata/indicators.csv")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"testdata/bundle21.json", "testdata/bundle20.json"} {
		s2, err := b.AddFile(f)
		if err != nil {
			t.Fatal(err)
		}
		st.Added += s2.Added
		st.Bad += s2.Bad
		st.Skipped += s2.Skipped
		st.Errors = append(st.Errors, s2.Errors...)
	}
	return b.Build(), st
}

func TestLookups(t *testing.T) {
	s, st := loadTestdata(t)
	if st.Bad != 5 {
		t.Errorf("bad rows = %d (%v), want 5", st.Bad, st.Errors)
	}
	tests := []struct {
		name string
		fn   func() (Hit, bool)
		want string
	}{
		{"ip exact", func() (Hit, bool) { return s.LookupIP(netip.MustParseAddr("198.51.100.7")) }, "198.51.100.7"},
		{"ip in cidr", func() (Hit, bool) { return s.LookupIPString("203.0.113.99") }, "203.0.113.0/24"},
		{"ip v6 in cidr", func() (Hit, bool) { return s.LookupIPString("2001:db8::1") }, "2001:db8::/32"},
		{"ip mapped", func() (Hit, bool) { return s.LookupIPString("::ffff:198.51.100.7") }, "198.51.100.7"},
		{"ip with port", func() (Hit, bool) { return s.LookupIPString("198.51.100.7:443") }, "198.51.100.7"},
		{"ip miss", func() (Hit, bool) { return s.LookupIPString("198.51.100.8") }, ""},
		{"domain exact", func() (Hit, bool) { return s.LookupDomain("evil.example") }, "evil.example"},
		{"domain sub", func() (Hit, bool) { return s.LookupDomain("A.B.EVIL.example.") }, "evil.example"},
		{"domain miss", func() (Hit, bool) { return s.LookupDomain("notevil.example") }, ""},
		{"url", func() (Hit, bool) { return s.LookupURL("http://EVIL.example/payload.exe#x") }, "http://evil.example/payload.exe"},
		{"url path case", func() (Hit, bool) { return s.LookupURL("http://evil.example/PAYLOAD.exe") }, ""},
		{"md5", func() (Hit, bool) { return s.LookupHash("D41D8CD98F00B204E9800998ECF8427E") }, "d41d8cd98f00b204e9800998ecf8427e"},
		{"sha1", func() (Hit, bool) { return s.LookupHash("da39a3ee5e6b4b0d3255bfef95601890afd80709") }, "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"sha256", func() (Hit, bool) {
			return s.LookupHash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
		}, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"account domain", func() (Hit, bool) { return s.LookupAccount(`CORP\SVC_Backdoor`) }, "svc_backdoor"},
		{"account upn", func() (Hit, bool) { return s.LookupAccount(`svc_backdoor@corp.example`) }, "svc_backdoor"},
		{"hostname", func() (Hit, bool) { return s.LookupHostname("kali-box") }, "kali-box"},
		{"hostname not domain", func() (Hit, bool) { return s.LookupHostname("x.kali-box") }, ""},
		{"email", func() (Hit, bool) { return s.LookupEmail("<Mallory@Evil.Example>") }, "mallory@evil.example"},
		{"stix ip", func() (Hit, bool) { return s.LookupIPString("192.0.2.10") }, "192.0.2.10"},
		{"stix domain", func() (Hit, bool) { return s.LookupDomain("c2.example.net") }, "c2.example.net"},
		{"stix md5", func() (Hit, bool) { return s.LookupHash("0cc175b9c0f1b6a831c399e269772661") }, "0cc175b9c0f1b6a831c399e269772661"},
		{"stix sco url", func() (Hit, bool) { return s.LookupURL("https://bad.example/a") }, "https://bad.example/a"},
		{"stix 2.0 observed ip", func() (Hit, bool) { return s.LookupIPString("198.18.0.1") }, "198.18.0.1"},
		{"stix 2.0 observed sha1", func() (Hit, bool) { return s.LookupHash("86f7e437faa5a7fce15d1ddcb9eaeaea377667b8") }, "86f7e437faa5a7fce15d1ddcb9eaeaea377667b8"},
		{"stix email-message", func() (Hit, bool) { return s.LookupEmail("boss@evil.example") }, "boss@evil.example"},
	}
	for _, tt := range tests {
		h, ok := tt.fn()
		if (tt.want != "") != ok || h.Indicator != tt.want {
			t.Errorf("%s: got %q %v, want %q", tt.name, h.Indicator, ok, tt.want)
		}
	}
	if h, _ := s.LookupHash("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"); h.Comment != "empty, again" {
		t.Errorf("quoted comment = %q", h.Comment)
	}
}

func TestBadRowsNamed(t *testing.T) {
	_, st := loadTestdata(t)
	var msgs []string
	for _, e := range st.Errors {
		msgs = append(msgs, e.Error())
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{`indicators.csv:14: field "value": bad indicator value: "999.1.1.1"`, `indicators.csv:15: field "value"`, `indicators.csv:16: field "type": unknown indicator type "frobnicate"`, `indicators.csv:17: field "value": missing value`, `bundle21.json: object 5 (indicator--4): field "pattern": ipv4-addr:value: bad indicator value`} {
		if !strings.Contains(all, want) {
			t.Errorf("no error %q in:\n%s", want, all)
		}
	}
}

func TestEventMatch(t *testing.T) {
	s, _ := loadTestdata(t)
	var live Live
	live.Replace(s)
	m := NewMatcher(&live)
	ev := &detect.Event{}
	ev.Add("DestinationIp", "203.0.113.5")
	ev.Add("QueryName", "www.evil.example")
	ev.Add("Hashes", "SHA1=0000000000000000000000000000000000000000,MD5=D41D8CD98F00B204E9800998ECF8427E")
	ev.Add("User", `CORP\svc_backdoor`)
	ev.Add("Computer", "KALI-BOX")
	ev.Add("CommandLine", "198.51.100.7") // not an address field
	got := m.Match(ev)
	fields := map[string]bool{}
	for _, h := range got {
		fields[h.Field] = true
	}
	for _, f := range []string{"DestinationIp", "QueryName", "Hashes", "User", "Computer"} {
		if !fields[f] {
			t.Errorf("no hit on %s (got %+v)", f, got)
		}
	}
	if fields["CommandLine"] {
		t.Errorf("hit on CommandLine")
	}
}

func TestLiveSwap(t *testing.T) {
	var live Live
	b := NewBuilder()
	b.Add(KindIP, "10.0.0.1", "old")
	live.Replace(b.Build())
	ev := &detect.Event{}
	ev.Add("SourceIp", "10.0.0.1")
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := NewMatcher(&live)
			for i := 0; i < 2000; i++ {
				for _, h := range m.Match(ev) {
					if h.Comment != "old" && h.Comment != "new" {
						t.Errorf("torn read: %q", h.Comment)
					}
				}
			}
		}()
	}
	for i := 0; i < 50; i++ {
		b := NewBuilder()
		b.Add(KindIP, "10.0.0.0/8", "new")
		live.Replace(b.Build())
	}
	wg.Wait()
}

func TestLookupAllocs(t *testing.T) {
	s, _ := loadTestdata(t)
	a := netip.MustParseAddr("192.0.2.99")
	n := testing.AllocsPerRun(100, func() {
		s.LookupIP(a)
		s.LookupDomain("Www.Not-Evil.Example")
		s.LookupHash("0123456789abcdef0123456789abcdef")
		s.LookupAccount(`CORP\Alice`)
	})
	if n != 0 {
		t.Errorf("misses allocate %v times", n)
	}
}

// BenchmarkMatchEvent checks a Sysmon-like event's fields against a set.
func BenchmarkMatchEvent(b *testing.B) {
	bl := NewBuilder()
	bl.AddCSV(newGenCSV(200_000), "gen.csv")
	var live Live
	live.Replace(bl.Build())
	m := NewMatcher(&live)
	ev := &detect.Event{}
	for _, kv := range [][2]string{{"Channel", "Microsoft-Windows-Sysmon/Operational"}, {"EventID", "3"}, {"Image", `C:\Windows\System32\svchost.exe`},
		{"User", `NT AUTHORITY\SYSTEM`}, {"SourceIp", "10.0.0.5"}, {"DestinationIp", "93.184.216.34"}, {"DestinationHostname", "www.example.org"},
		{"Hashes", "SHA1=DA39A3EE5E6B4B0D3255BFEF95601890AFD80709,MD5=D41D8CD98F00B204E9800998ECF8427E,IMPHASH=00000000000000000000000000000000"},
		{"Computer", "ws01.corp.example"}} {
		ev.Add(kv[0], kv[1])
	}
	b.ReportAllocs()
	for b.Loop() {
		m.Match(ev)
	}
}

// TestParallelLoad reads a file large enough to be split and checks it
// loads as if read alone: all rows, bad rows at their true line numbers,
// the header's column order in every section.
func TestParallelLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 40 MB file")
	}
	for _, layout := range []struct{ header, row, bad string }{
		{"type,value,comment", "domain,d%d.example,c%d", "ip,not-an-ip,x"},
		{"uuid,value,type,comment,to_ids", "u%d,d%d.example,domain,c%d,1", "u,not-an-ip,ip,x,1"},
	} {
		t.Run(layout.header, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "big.csv")
			var sb strings.Builder
			sb.WriteString(layout.header + "\n")
			n := 0
			for sb.Len() < parallelMin+(8<<20) {
				n++
				if n == 400000 {
					sb.WriteString(layout.bad + "\n")
					continue
				}
				if strings.HasPrefix(layout.row, "u") {
					fmt.Fprintf(&sb, layout.row+"\n", n, n, n%7)
				} else {
					fmt.Fprintf(&sb, layout.row+"\n", n, n%7)
				}
			}
			if err := os.WriteFile(path, []byte(sb.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(4))
			b := NewBuilder()
			st, err := b.AddFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s := b.Build()
			if st.Added != n-1 || s.Count(KindDomain) != n-1 || st.Bad != 1 || st.Errors[0].Line != 400001 {
				t.Fatalf("added %d of %d, domains %d, bad %d %v", st.Added, n-1, s.Count(KindDomain), st.Bad, st.Errors)
			}
			if h, ok := s.LookupDomain("d12345.example"); !ok || h.Comment != "c4" {
				t.Errorf("lookup = %+v %v", h, ok)
			}
		})
	}
}

// TestCSVHeader checks the header row: optional, any column order, other
// tools' names and extra columns, and a clear error when it lacks type or
// value.
func TestCSVHeader(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // kind:value=comment of what loaded
		bad      []string // errors of bad rows
		err      string   // error for the whole file
	}{
		{"no header", "ip,10.0.0.1,a, b\ndomain,x.example\n", []string{"ip:10.0.0.1=a, b", "domain:x.example="}, nil, ""},
		{"template header", "type,value,comment\nip,10.0.0.1,c\n", []string{"ip:10.0.0.1=c"}, nil, ""},
		{"BOM and case", "\ufeffType,Value\nip,10.0.0.1\n", []string{"ip:10.0.0.1="}, nil, ""},
		{"reordered", "value,comment,type\n10.0.0.1,c,ip\n\"a.example\",\"x, y\",domain\n", []string{"ip:10.0.0.1=c", "domain:a.example=x, y"}, nil, ""},
		{"misp export", "uuid,event_id,category,type,value,comment,to_ids,date\n5f,1,Network activity,ip-dst,203.0.113.9,C2 server,1,1700000000\n6a,1,Payload delivery,sha256," + strings.Repeat("ab", 32) + ",,1,1700000000\n",
			[]string{"ip:203.0.113.9=C2 server", "sha256:" + strings.Repeat("ab", 32) + "="}, nil, ""},
		{"aliases", "Indicator Type,Indicator,Description\ndomain,b.example,phishing\n", []string{"domain:b.example=phishing"}, nil, ""},
		{"a row ending in a column name is no header", "ip,10.0.0.1,note\n", []string{"ip:10.0.0.1=note"}, nil, ""},
		{"short row under a header", "value,type\n10.0.0.1\n", nil, []string{`t.csv:2: field "value": missing value`}, ""},
		{"header without value", "type,data\nip,10.0.0.1\n", nil, nil, `ioc: t.csv:1: missing required column "value"`},
		{"header with a column twice", "type,kind,value\n", nil, nil, `ioc: t.csv:1:2: column "kind" (another name for "type") appears twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBuilder()
			st, err := b.AddCSV(strings.NewReader(tt.in), "t.csv")
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var bad []string
			for _, e := range st.Errors {
				bad = append(bad, e.Error())
			}
			if len(bad) != len(tt.bad) || len(bad) > 0 && !strings.HasPrefix(bad[0], tt.bad[0]) {
				t.Errorf("bad rows %q, want %q", bad, tt.bad)
			}
			s := b.Build()
			if s.Len() != len(tt.want) {
				t.Errorf("loaded %d, want %d", s.Len(), len(tt.want))
			}
			for _, w := range tt.want {
				kv, comment, _ := strings.Cut(w, "=")
				k, v, _ := strings.Cut(kv, ":")
				var h Hit
				var ok bool
				switch k {
				case "ip":
					h, ok = s.LookupIPString(v)
				case "domain":
					h, ok = s.LookupDomain(v)
				case "sha256":
					h, ok = s.LookupHash(v)
				}
				if !ok || h.Comment != comment {
					t.Errorf("%s: %+v %v", w, h, ok)
				}
			}
		})
	}
}
