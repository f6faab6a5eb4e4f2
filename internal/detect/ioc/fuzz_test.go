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
