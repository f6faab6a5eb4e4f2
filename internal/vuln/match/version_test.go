package match

import "testing"

func TestCompareDpkg(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0},
		{"1.0", "1.1", -1},
		{"1.0-1", "1.0-2", -1},
		{"1:1.0", "2.0", 1}, // epoch wins
		{"0:1.0", "1.0", 0},
		{"1.0~rc1", "1.0", -1}, // tilde before the release
		{"1.0~rc1-1", "1.0~rc2-1", -1},
		{"1.0", "1.0+b1", -1},
		{"1.0a", "1.0", 1},
		{"1.0.10", "1.0.9", 1},
		{"3.0.11-1~deb12u2", "3.0.11-1", -1},
		{"3.0.13-1~deb12u1", "3.0.11-1~deb12u2", 1},
		{"1:8.9p1-3ubuntu0.6", "1:8.9p1-3ubuntu0.10", -1},
		{"2.36-9+deb12u4", "2.36-9+deb12u3", 1},
		{"007", "7", 0},
		{"1.2.3-0ubuntu1", "1.2.3-0ubuntu1.1", -1},
		{"1.18.0-6ubuntu14.4", "1.18.0-6ubuntu14.10", -1},
	} {
		if got := CompareDpkg(c.a, c.b); got != c.want {
			t.Errorf("CompareDpkg(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareDpkg(c.b, c.a); got != -c.want {
			t.Errorf("CompareDpkg(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

func TestCompareRPM(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.0-1.el8", "1.0-1.el8", 0},
		{"1.1.1k-7.el8_6", "1.1.1k-9.el8_7", -1},
		{"1:1.1.1k-7.el8_6", "3.0.7-1.el9", 1},
		{"1.0", "1.0a", -1},   // rpm: letters after the end
		{"1.0a", "1.0.1", -1}, // numeric newer than alpha
		{"2.0", "2.0.1", -1},
		{"1.0~rc1", "1.0", -1},
		{"1.0^git1", "1.0", 1},
		{"1.0^git1", "1.0.1", -1},
		{"5.14.0-362.8.1.el9_3", "5.14.0-362.13.1.el9_3", -1},
		{"2.9.13", "2.9.13-2.el9", 0}, // a missing release matches any
		{"1.010", "1.10", 0},
	} {
		if got := CompareRPM(c.a, c.b); got != c.want {
			t.Errorf("CompareRPM(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareRPM(c.b, c.a); got != -c.want {
			t.Errorf("CompareRPM(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

func TestCompareVersion(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"1.2", "1.2.0", 0},
		{"1.2", "1.10", -1},
		{"1.1.1w", "1.1.1t", 1},
		{"1.1.1", "1.1.1a", -1},
		{"8.9p1", "8.9", 1},
		{"9.3p2", "9.6", -1},
		{"2.0rc1", "2.0", -1},
		{"2.0-beta", "2.0", -1},
		{"120.0.6099.225", "120.0.6099.71", 1},
		{"23.01", "22.01", 1},
		{"3.0.11", "3.0.11", 0},
		{"10.0.17763.5206", "10.0.17763.5329", -1},
		{"6.0.25.33020", "6.0.25", 1},
		{"", "1.0", -1},
		{"1.24.0", "1.25.3", -1},
	} {
		if got := CompareVersion(c.a, c.b); got != c.want {
			t.Errorf("CompareVersion(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareVersion(c.b, c.a); got != -c.want {
			t.Errorf("CompareVersion(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

func TestUpstream(t *testing.T) {
	for _, c := range []struct{ v, source, want string }{
		{"1:8.9p1-3ubuntu0.6", "dpkg", "8.9p1"},
		{"3.0.11-1~deb12u2", "dpkg", "3.0.11"},
		{"0.103.11+dfsg-0ubuntu0.22.04.1", "dpkg", "0.103.11"},
		{"1.1.1k-7.el8_6", "rpm", "1.1.1k"},
		{"1:1.1.1k-7.el8_6", "rpm", "1.1.1k"},
		{"2.4.57", "dpkg", "2.4.57"},
		{"120.0.6099.225", "registry", "120.0.6099.225"},
	} {
		if got := Upstream(c.v, c.source); got != c.want {
			t.Errorf("Upstream(%q, %q) = %q, want %q", c.v, c.source, got, c.want)
		}
	}
}

func FuzzCompareVersions(f *testing.F) {
	for _, s := range []string{"1.0", "1:2.3-4", "1.0~rc1", "1.0^git", "8.9p1", "", "~~", "0:0-0"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, cmp := range []func(string, string) int{CompareDpkg, CompareRPM, CompareVersion} {
			x, y := cmp(a, b), cmp(b, a)
			if x != -y {
				t.Fatalf("not antisymmetric: %q %q: %d %d", a, b, x, y)
			}
			if cmp(a, a) != 0 {
				t.Fatalf("%q != itself", a)
			}
		}
	})
}
