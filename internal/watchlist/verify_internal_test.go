package watchlist

import (
	"encoding/json"
	"testing"
)

// goneFrom: every kind of object a verification by inventory reads, seen
// still there and gone.
func TestGoneFrom(t *testing.T) {
	inv := func(s string) *hostInventory {
		var i hostInventory
		if err := json.Unmarshal([]byte(s), &i); err != nil {
			t.Fatal(err)
		}
		return &i
	}
	const base = `{"fqdn":"pc-01.hanoi.example.vn","interfaces":[{"addresses":["10.1.2.3/24","fe80::1/64"]}],
		"processes":[{"name":"updater.exe","sha256":"AABB"}],
		"accounts":[{"name":"ketoan","enabled":true},{"name":"Guest","enabled":false}],
		"logged_on":[{"user":"BHXH\\canbo01"}]}`
	for _, c := range []struct {
		name      string
		inv       string
		o         pendingObject
		addresses string
		hostname  string
		fqdn      string
		gone      bool
	}{
		{"account enabled", base, pendingObject{object: ObjectAccount, kind: "account", value: "ketoan"}, "", "PC-01", "", false},
		{"account with its domain, enabled", base, pendingObject{object: ObjectAccount, kind: "account", value: `HANOI\ketoan`}, "", "PC-01", "", false},
		{"account disabled", base, pendingObject{object: ObjectAccount, kind: "account", value: "guest"}, "", "PC-01", "", true},
		{"account disabled later", `{"accounts":[{"name":"ketoan","enabled":false}]}`, pendingObject{object: ObjectAccount, kind: "account", value: "ketoan"}, "", "PC-01", "", true},
		{"account removed", `{"accounts":[]}`, pendingObject{object: ObjectAccount, kind: "account", value: "ketoan"}, "", "PC-01", "", true},
		{"account logged on", base, pendingObject{object: ObjectAccount, kind: "account", value: "canbo01@bhxh.vn"}, "", "PC-01", "", false},
		{"account disabled but logged on", `{"accounts":[{"name":"canbo01","enabled":false}],"logged_on":[{"user":"canbo01"}]}`, pendingObject{object: ObjectAccount, kind: "account", value: "canbo01"}, "", "PC-01", "", false},
		{"hash running", base, pendingObject{object: ObjectFileHash, kind: "sha256", value: "aabb"}, "", "PC-01", "", false},
		{"hash gone", `{"processes":[{"name":"x.exe","sha256":"ccdd"}]}`, pendingObject{object: ObjectFileHash, kind: "sha256", value: "aabb"}, "", "PC-01", "", true},
		{"address on an interface", base, pendingObject{object: ObjectHostAddress, kind: "ip", value: "10.1.2.3"}, "", "PC-01", "", false},
		{"address of the host row", `{}`, pendingObject{object: ObjectHostAddress, kind: "ip", value: "10.1.2.3"}, "10.1.2.3", "PC-01", "", false},
		{"network still holding an address", base, pendingObject{object: ObjectHostAddress, kind: "ip", value: "10.1.0.0/16"}, "", "PC-01", "", false},
		{"address gone", `{"interfaces":[{"addresses":["10.1.9.9/24"]}]}`, pendingObject{object: ObjectHostAddress, kind: "ip", value: "10.1.2.3"}, "10.1.9.9", "PC-01", "", true},
		{"unreadable listed address", base, pendingObject{object: ObjectHostAddress, kind: "ip", value: "not an address"}, "", "PC-01", "", false},
		{"host name", base, pendingObject{object: ObjectHostname, kind: "hostname", value: "pc-01"}, "", "PC-01", "", false},
		{"FQDN under a listed domain", base, pendingObject{object: ObjectHostname, kind: "domain", value: "hanoi.example.vn"}, "", "PC-01", "", false},
		{"host renamed", `{"fqdn":"pc-99.hanoi.example.vn"}`, pendingObject{object: ObjectHostname, kind: "hostname", value: "pc-01"}, "", "PC-99", "pc-99.hanoi.example.vn", true},
		{"an alert's contact: a clean scan only", `{}`, pendingObject{object: ObjectAlert, kind: "domain", value: "evil.example"}, "", "PC-01", "", false},
	} {
		if got := goneFrom(inv(c.inv), c.o, c.addresses, c.hostname, c.fqdn); got != c.gone {
			t.Errorf("%s: gone %v, want %v", c.name, got, c.gone)
		}
	}
}
