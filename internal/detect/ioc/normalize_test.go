package ioc

import (
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		k        Kind
		in, want string
		bad      bool
	}{
		{KindIP, " 203.0.113.5 ", "203.0.113.5", false},
		{KindIP, "::ffff:198.51.100.1", "198.51.100.1", false},
		{KindIP, "10.1.2.3/8", "10.0.0.0/8", false},
		{KindIP, "::ffff:10.0.0.0/104", "10.0.0.0/8", false},
		{KindIP, "2001:DB8::1", "2001:db8::1", false},
		{KindIP, "fe80::1%eth0", "fe80::1", false},
		{KindIP, "10.0.0.1:8080", "10.0.0.1", false},
		{KindIP, "not-an-ip", "", true},
		{KindIP, "10.0.0.0/99", "", true},
		{KindMD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e", false},
		{KindSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd8070", "", true},
		{KindSHA256, "zz" + "0000000000000000000000000000000000000000000000000000000000000" + "0", "", true},
		{KindDomain, "*.Evil.Example.", "evil.example", false},
		{KindDomain, "evil example", "", true},
		{KindHostname, "KALI-BOX", "kali-box", false},
		{KindURL, "HTTP://Evil.Example/Path?q=1#frag", "http://evil.example/Path?q=1", false},
		{KindURL, "http://evil.example/", "http://evil.example", false},
		{KindURL, "", "", true},
		{KindEmail, "<Bad@Evil.Example>", "bad@evil.example", false},
		{KindEmail, "nobody", "", true},
		{KindAccount, `CORP\Svc_Backdoor`, `corp\svc_backdoor`, false},
		{Kind(0), "x", "", true},
	} {
		got, err := Normalize(c.k, c.in)
		if c.bad {
			if err == nil || !(errors.Is(err, ErrBadValue) || errors.Is(err, ErrBadType)) {
				t.Errorf("Normalize(%v, %q) = %q, %v; want a bad-value error", c.k, c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("Normalize(%v, %q) = %q, %v; want %q", c.k, c.in, got, err, c.want)
			continue
		}
		// Normal form is a fixed point, and Add accepts exactly it and finds it.
		if again, err := Normalize(c.k, got); err != nil || again != got {
			t.Errorf("Normalize(%v, %q) again = %q, %v", c.k, got, again, err)
		}
		b := NewBuilder()
		if err := b.Add(c.k, c.in, "c"); err != nil {
			t.Errorf("Add(%v, %q): %v while Normalize accepts it", c.k, c.in, err)
		}
	}
}
