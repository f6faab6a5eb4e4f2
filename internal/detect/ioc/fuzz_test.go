package ioc

import (
	"bytes"
	"net/netip"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the CSV and STIX loaders and looks up
// what loaded: nothing may panic.
func FuzzLoad(f *testing.F) {
	f.Add([]byte("type,value,comment\nip,10.0.0.0/8,x\ndomain,Evil.Example\nsha256,\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\",\"a,b\"\n"))
	f.Add([]byte(`{"type":"bundle","objects":[{"type":"indicator","pattern":"[ipv4-addr:value = '1.2.3.4'] OR [file:hashes.'SHA-256' = 'ab']"},{"type":"observed-data","objects":{"0":{"type":"domain-name","value":"x.example"}}}]}`))
	f.Add([]byte("cidr,::ffff:1.2.3.4/100\nurl,http://[::1]:80/\naccount,\nemail,@\n"))
	f.Add([]byte("uuid,value,type,comment\nx,\"10.0.0.1\",ip,\"a,b\"\ny,z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b := NewBuilder()
		st, _ := b.AddReader(bytes.NewReader(data), "fuzz")
		for _, e := range st.Errors {
			if e.File != "fuzz" || e.Err == nil {
				t.Fatalf("bad row error without its place: %+v", e)
			}
		}
		s := b.Build()
		s.LookupIP(netip.MustParseAddr("1.2.3.4"))
		s.LookupIPString(string(data))
		s.LookupDomain(string(data))
		s.LookupURL(string(data))
		s.LookupHash(string(data))
		s.LookupAccount(string(data))
		s.LookupEmail(string(data))
		s.LookupHostname(string(data))
	})
}

// FuzzNormalize: a value of any kind is refused or normalised to one that
// normalises to itself — the hub stores normalised values and matches
// them against values normalised again, so an unstable form never
// matches (session 6 found "000:// #").
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"000:// #", "http://Evil.Example/a#b", "HTTP://x/ ", "10.0.0.1/8", "::ffff:1.2.3.4", "Evil.Example.", "*.evil.example",
		"AB12", "<Nguyen.A@Example.VN>", "CORP\\User", "fe80::1%eth0", " http://x/ #y", "< <a@b> >", ".."} {
		for k := KindIP; k < numKinds; k++ {
			f.Add(uint8(k), s)
		}
	}
	f.Fuzz(func(t *testing.T, kind uint8, value string) {
		k := Kind(kind%uint8(numKinds-1) + 1)
		v, err := Normalize(k, value)
		if err != nil {
			return
		}
		v2, err := Normalize(k, v)
		if err != nil || v2 != v {
			t.Fatalf("%s %q → %q → %q (%v): not stable", k, value, v, v2, err)
		}
	})
}
