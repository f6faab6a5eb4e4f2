package asset

import (
	"fmt"
	"slices"
	"strings"
)

// Kinds of Change, as stored in a host's inventory history.
const (
	ChangeHostname          = "hostname_changed"
	ChangeOS                = "os_changed"
	ChangeKernel            = "kernel_changed"
	ChangeSoftwareAdded     = "software_added"
	ChangeSoftwareRemoved   = "software_removed"
	ChangeSoftwareUpgraded  = "software_upgraded"
	ChangeSoftwareDowngrade = "software_downgraded"
	ChangeHotfixAdded       = "hotfix_added"
	ChangeHotfixRemoved     = "hotfix_removed"
	ChangePortOpened        = "port_opened"
	ChangePortClosed        = "port_closed"
	ChangeAccountAdded      = "account_added"
	ChangeAccountRemoved    = "account_removed"
	ChangeAccountEnabled    = "account_enabled"
	ChangeAccountDisabled   = "account_disabled"
	ChangeAdminAdded        = "admin_added"
	ChangeAdminRemoved      = "admin_removed"
	ChangeControlAdded      = "control_added"
	ChangeControlRemoved    = "control_removed"
	ChangeControlEnabled    = "control_enabled"
	ChangeControlDisabled   = "control_disabled"
	ChangeAddressAdded      = "address_added"
	ChangeAddressRemoved    = "address_removed"
)

// Change is one difference between two inventories of a host that a person
// cares about. Subject names the thing ("dpkg:openssl", "tcp/0.0.0.0:22",
// "antivirus:ClamAV"); Old and New are short values ("3.0.11", "sshd").
type Change struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Old     string `json:"old,omitempty"`
	New     string `json:"new,omitempty"`
}

func (c Change) String() string {
	switch {
	case c.Old != "" && c.New != "":
		return fmt.Sprintf("%s %s: %s -> %s", c.Kind, c.Subject, c.Old, c.New)
	case c.New != "":
		return fmt.Sprintf("%s %s: %s", c.Kind, c.Subject, c.New)
	case c.Old != "":
		return fmt.Sprintf("%s %s: was %s", c.Kind, c.Subject, c.Old)
	}
	return c.Kind + " " + c.Subject
}

// Diff lists what changed from old to new: software added, removed,
// upgraded or downgraded; hotfixes; listening ports opened and closed;
// accounts added, removed, enabled, disabled, made or no longer admin;
// security controls; addresses; OS and kernel. Processes and logged-on
// users change all the time and are not reported. old may be nil (first
// inventory): everything in new is then "added" except the OS.
func Diff(old, new *Inventory) []Change {
	if old == nil {
		old = &Inventory{Hostname: new.Hostname, OS: new.OS}
	}
	var out []Change
	add := func(kind, subject, o, n string) {
		out = append(out, Change{Kind: kind, Subject: subject, Old: o, New: n})
	}
	if !strings.EqualFold(old.Hostname, new.Hostname) {
		add(ChangeHostname, "hostname", old.Hostname, new.Hostname)
	}
	ov := strings.TrimSpace(old.OS.Name + " " + old.OS.Version + " " + old.OS.Build)
	nv := strings.TrimSpace(new.OS.Name + " " + new.OS.Version + " " + new.OS.Build)
	if ov != nv {
		add(ChangeOS, "os", ov, nv)
	}
	if old.OS.Kernel != new.OS.Kernel && old.OS.Kernel != "" {
		add(ChangeKernel, "kernel", old.OS.Kernel, new.OS.Kernel)
	}

	// Software: match by source, name and arch; a version change is an
	// upgrade or downgrade. Several versions of one package (kernels) are
	// compared as sets.
	type pkgKey struct{ source, name, arch string }
	oldPkgs := map[pkgKey][]string{}
	for _, s := range old.Software {
		k := pkgKey{s.Source, s.Name, s.Arch}
		oldPkgs[k] = append(oldPkgs[k], s.Version)
	}
	newPkgs := map[pkgKey][]string{}
	var order []pkgKey
	for _, s := range new.Software {
		k := pkgKey{s.Source, s.Name, s.Arch}
		if _, ok := newPkgs[k]; !ok {
			order = append(order, k)
		}
		newPkgs[k] = append(newPkgs[k], s.Version)
	}
	subject := func(k pkgKey) string {
		s := k.source + ":" + k.name
		if k.arch != "" {
			s += ":" + k.arch
		}
		return s
	}
	for _, k := range order {
		nvs, ovs := newPkgs[k], oldPkgs[k]
		if len(ovs) == 0 {
			add(ChangeSoftwareAdded, subject(k), "", strings.Join(nvs, ", "))
			continue
		}
		slices.Sort(nvs)
		slices.Sort(ovs)
		if slices.Equal(nvs, ovs) {
			continue
		}
		o, n := ovs[len(ovs)-1], nvs[len(nvs)-1]
		if len(ovs) > 1 || len(nvs) > 1 {
			o, n = strings.Join(ovs, ", "), strings.Join(nvs, ", ")
		}
		kind := ChangeSoftwareUpgraded
		if CompareVersions(ovs[len(ovs)-1], nvs[len(nvs)-1]) > 0 {
			kind = ChangeSoftwareDowngrade
		}
		add(kind, subject(k), o, n)
	}
	for _, s := range old.Software {
		k := pkgKey{s.Source, s.Name, s.Arch}
		if _, ok := newPkgs[k]; !ok {
			add(ChangeSoftwareRemoved, subject(k), s.Version, "")
			newPkgs[k] = nil // report once per package
		}
	}

	oldFix := map[string]bool{}
	for _, h := range old.Hotfixes {
		oldFix[h.ID] = true
	}
	newFix := map[string]bool{}
	for _, h := range new.Hotfixes {
		newFix[h.ID] = true
		if !oldFix[h.ID] {
			add(ChangeHotfixAdded, h.ID, "", "")
		}
	}
	for _, h := range old.Hotfixes {
		if !newFix[h.ID] {
			add(ChangeHotfixRemoved, h.ID, "", "")
			newFix[h.ID] = true
		}
	}

	oldL := map[string]Listener{}
	for _, l := range old.Listening {
		oldL[ListenerKey(&l)] = l
	}
	newL := map[string]bool{}
	for _, l := range new.Listening {
		k := ListenerKey(&l)
		if newL[k] {
			continue
		}
		newL[k] = true
		if _, ok := oldL[k]; !ok {
			add(ChangePortOpened, k, "", l.Process)
		}
	}
	for _, l := range old.Listening {
		if k := ListenerKey(&l); !newL[k] {
			add(ChangePortClosed, k, l.Process, "")
			newL[k] = true
		}
	}

	oldA := map[string]Account{}
	for _, a := range old.Accounts {
		oldA[a.Name] = a
	}
	newA := map[string]bool{}
	for _, a := range new.Accounts {
		newA[a.Name] = true
		o, ok := oldA[a.Name]
		switch {
		case !ok:
			add(ChangeAccountAdded, a.Name, "", "")
			if a.Admin {
				add(ChangeAdminAdded, a.Name, "", "")
			}
		default:
			if a.Admin && !o.Admin {
				add(ChangeAdminAdded, a.Name, "", "")
			}
			if !a.Admin && o.Admin {
				add(ChangeAdminRemoved, a.Name, "", "")
			}
			if a.Enabled && !o.Enabled {
				add(ChangeAccountEnabled, a.Name, "", "")
			}
			if !a.Enabled && o.Enabled {
				add(ChangeAccountDisabled, a.Name, "", "")
			}
		}
	}
	for _, a := range old.Accounts {
		if !newA[a.Name] {
			add(ChangeAccountRemoved, a.Name, "", "")
			if a.Admin {
				add(ChangeAdminRemoved, a.Name, "", "")
			}
			newA[a.Name] = true
		}
	}

	ctlKey := func(c *Control) string { return c.Kind + ":" + c.Product }
	oldC := map[string]Control{}
	for _, c := range old.Controls {
		oldC[ctlKey(&c)] = c
	}
	newC := map[string]bool{}
	for _, c := range new.Controls {
		k := ctlKey(&c)
		newC[k] = true
		o, ok := oldC[k]
		switch {
		case !ok:
			add(ChangeControlAdded, k, "", onOff(c.Enabled))
		case o.Enabled && !c.Enabled:
			add(ChangeControlDisabled, k, "", "")
		case !o.Enabled && c.Enabled:
			add(ChangeControlEnabled, k, "", "")
		}
	}
	for _, c := range old.Controls {
		if k := ctlKey(&c); !newC[k] {
			add(ChangeControlRemoved, k, "", "")
			newC[k] = true
		}
	}

	oldAddr := map[string]bool{}
	for _, a := range old.Addresses() {
		oldAddr[a] = true
	}
	newAddr := map[string]bool{}
	for _, a := range new.Addresses() {
		newAddr[a] = true
		if !oldAddr[a] {
			add(ChangeAddressAdded, a, "", "")
		}
	}
	for _, a := range old.Addresses() {
		if !newAddr[a] {
			add(ChangeAddressRemoved, a, "", "")
		}
	}
	return out
}

func onOff(b bool) string {
	if b {
		return "enabled"
	}
	return "disabled"
}

// CompareVersions orders two version strings well enough to tell an
// upgrade from a downgrade: runs of digits compare as numbers, other runs
// as text, an epoch "N:" counts first, and '~' sorts before anything (as in
// Debian, "1.0~rc1" < "1.0"). It returns -1, 0 or +1.
func CompareVersions(a, b string) int {
	ea, ra := splitEpoch(a)
	eb, rb := splitEpoch(b)
	if c := compareDigits(ea, eb); c != 0 {
		return c
	}
	a, b = ra, rb
	for a != "" || b != "" {
		// Non-digit part.
		na, nb := nonDigits(a), nonDigits(b)
		if c := compareText(a[:na], b[:nb]); c != 0 {
			return c
		}
		a, b = a[na:], b[nb:]
		da, db := digits(a), digits(b)
		if c := compareDigits(a[:da], b[:db]); c != 0 {
			return c
		}
		a, b = a[da:], b[db:]
	}
	return 0
}

func splitEpoch(v string) (string, string) {
	if i := strings.IndexByte(v, ':'); i > 0 && digits(v) == i {
		return v[:i], v[i+1:]
	}
	return "0", v
}

func digits(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

func nonDigits(s string) int {
	i := 0
	for i < len(s) && !(s[i] >= '0' && s[i] <= '9') {
		i++
	}
	return i
}

func compareDigits(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// compareText orders like dpkg: '~' first, then end of string, then letters,
// then other characters.
func compareText(a, b string) int {
	order := func(s string, i int) int {
		if i >= len(s) {
			return 0
		}
		c := s[i]
		switch {
		case c == '~':
			return -1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			return int(c)
		}
		return int(c) + 256
	}
	for i := 0; i < len(a) || i < len(b); i++ {
		oa, ob := order(a, i), order(b, i)
		if oa != ob {
			if oa < ob {
				return -1
			}
			return 1
		}
	}
	return 0
}
