package asset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// section is one list of the inventory, identified by its JSON name, with
// the key that identifies an item within it.
type section struct {
	name      string
	normalize func(inv *Inventory)
	delta     func(old, new *Inventory) (ListDelta, bool)
	apply     func(inv *Inventory, d ListDelta) error
}

func listSection[T any](name string, list func(*Inventory) *[]T, key func(*T) string) section {
	return section{
		name: name,
		normalize: func(inv *Inventory) {
			l := list(inv)
			n := len(*l)
			if n == 0 {
				return
			}
			// Keys are computed once, not in every comparison.
			keys := make([]string, n)
			order := make([]int, n)
			sorted := true
			for i := range *l {
				keys[i] = key(&(*l)[i])
				order[i] = i
				if i > 0 && keys[i] <= keys[i-1] {
					sorted = false
				}
			}
			if sorted {
				return // already canonical: sorted and without duplicates
			}
			slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
			out := make([]T, 0, n)
			for k, i := range order {
				if k > 0 && keys[i] == keys[order[k-1]] {
					continue
				}
				out = append(out, (*l)[i])
			}
			*l = out
		},
		delta: func(old, new *Inventory) (ListDelta, bool) {
			var d ListDelta
			prev := map[string][]byte{}
			for i := range *list(old) {
				it := &(*list(old))[i]
				b, _ := json.Marshal(it)
				prev[key(it)] = b
			}
			seen := map[string]bool{}
			for i := range *list(new) {
				it := &(*list(new))[i]
				k := key(it)
				seen[k] = true
				b, _ := json.Marshal(it)
				if pb, ok := prev[k]; ok && bytes.Equal(pb, b) {
					continue
				}
				d.Put = append(d.Put, b)
			}
			for i := range *list(old) {
				if k := key(&(*list(old))[i]); !seen[k] {
					d.Remove = append(d.Remove, k)
				}
			}
			return d, len(d.Put) > 0 || len(d.Remove) > 0
		},
		apply: func(inv *Inventory, d ListDelta) error {
			l := list(inv)
			idx := map[string]int{}
			for i := range *l {
				idx[key(&(*l)[i])] = i
			}
			drop := map[int]bool{}
			for _, k := range d.Remove {
				i, ok := idx[k]
				if !ok {
					return fmt.Errorf("%s: remove %q: no such item", name, k)
				}
				drop[i] = true
				delete(idx, k)
			}
			var out []T
			for i, it := range *l {
				if !drop[i] {
					out = append(out, it)
				}
			}
			idx = map[string]int{}
			for i := range out {
				idx[key(&out[i])] = i
			}
			for n, raw := range d.Put {
				var it T
				if err := json.Unmarshal(raw, &it); err != nil {
					return fmt.Errorf("%s.put[%d]: %v", name, n, err)
				}
				if i, ok := idx[key(&it)]; ok {
					out[i] = it
				} else {
					idx[key(&it)] = len(out)
					out = append(out, it)
				}
			}
			*l = out
			return nil
		},
	}
}

// SoftwareKey identifies a package: source, name, architecture and version
// (rpm keeps several versions of a kernel installed at once).
func SoftwareKey(s *Software) string {
	return s.Source + "|" + s.Name + "|" + s.Arch + "|" + s.Version
}

// ListenerKey identifies a listening socket: "tcp/0.0.0.0:22".
func ListenerKey(l *Listener) string {
	return l.Proto + "/" + l.Address + ":" + itoa(l.Port)
}

var sections = []section{
	listSection("disks", func(i *Inventory) *[]Disk { return &i.Disks }, func(d *Disk) string { return d.Mount }),
	listSection("interfaces", func(i *Inventory) *[]Interface { return &i.Interfaces }, func(n *Interface) string { return n.Name }),
	listSection("listening", func(i *Inventory) *[]Listener { return &i.Listening }, ListenerKey),
	listSection("processes", func(i *Inventory) *[]Process { return &i.Processes }, func(p *Process) string { return fmt.Sprintf("%010d", p.PID) }),
	listSection("accounts", func(i *Inventory) *[]Account { return &i.Accounts }, func(a *Account) string { return a.Name }),
	listSection("logged_on", func(i *Inventory) *[]Session { return &i.LoggedOn }, func(s *Session) string {
		since := ""
		if s.Since != nil {
			since = s.Since.Format("20060102T150405")
		}
		return s.User + "|" + s.Terminal + "|" + s.From + "|" + since
	}),
	listSection("software", func(i *Inventory) *[]Software { return &i.Software }, SoftwareKey),
	listSection("hotfixes", func(i *Inventory) *[]Hotfix { return &i.Hotfixes }, func(h *Hotfix) string { return h.ID }),
	listSection("controls", func(i *Inventory) *[]Control { return &i.Controls }, func(c *Control) string { return c.Kind + "|" + c.Product }),
}

// ListDelta changes one list: items to insert or replace (matched by key)
// and keys to remove.
type ListDelta struct {
	Put    []json.RawMessage `json:"put,omitempty"`
	Remove []string          `json:"remove,omitempty"`
}

// Delta turns one inventory into another: top-level fields replaced whole
// (Set, by JSON name; null removes) and lists changed item by item (Lists).
// Base and Hash are the Hash of the inventory before and after, so the
// receiver can tell it applied the delta to the right base.
type Delta struct {
	Base  string                     `json:"base"`
	Hash  string                     `json:"hash"`
	Set   map[string]json.RawMessage `json:"set,omitempty"`
	Lists map[string]ListDelta       `json:"lists,omitempty"`
}

// ErrBaseMismatch is returned by Apply when the delta was made against
// another inventory than the one it is applied to, or the result differs.
var ErrBaseMismatch = errors.New("inventory delta does not match the stored inventory")

// MakeDelta returns the delta from old to new. Both are normalized first.
func MakeDelta(old, new *Inventory) *Delta {
	old.Normalize()
	new.Normalize()
	d := &Delta{Base: old.Hash(), Hash: new.Hash(), Set: map[string]json.RawMessage{}, Lists: map[string]ListDelta{}}
	isList := map[string]bool{}
	for _, s := range sections {
		isList[s.name] = true
		if ld, changed := s.delta(old, new); changed {
			d.Lists[s.name] = ld
		}
	}
	om, nm := topLevel(old), topLevel(new)
	for k, nv := range nm {
		if isList[k] {
			continue
		}
		if ov, ok := om[k]; !ok || !bytes.Equal(ov, nv) {
			d.Set[k] = nv
		}
	}
	for k := range om {
		if _, ok := nm[k]; !ok && !isList[k] {
			d.Set[k] = json.RawMessage("null")
		}
	}
	return d
}

func topLevel(inv *Inventory) map[string]json.RawMessage {
	b, _ := json.Marshal(inv)
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	return m
}

// Empty reports whether the delta changes nothing.
func (d *Delta) Empty() bool { return d.Base == d.Hash }

// Apply returns base changed by d. It fails with ErrBaseMismatch if base is
// not the inventory d was made from or the result is not the one d names;
// the agent then sends a full inventory.
func (d *Delta) Apply(base *Inventory) (*Inventory, error) {
	inv := base.Clone()
	inv.Normalize()
	if h := inv.Hash(); h != d.Base {
		return nil, fmt.Errorf("%w: base %.12s, stored %.12s", ErrBaseMismatch, d.Base, h)
	}
	if len(d.Set) > 0 {
		m := topLevel(inv)
		for k, v := range d.Set {
			if string(v) == "null" {
				delete(m, k)
			} else {
				m[k] = v
			}
		}
		b, _ := json.Marshal(m)
		var next Inventory
		if err := json.Unmarshal(b, &next); err != nil {
			return nil, jsonError(b, err, typeOfInventory)
		}
		// Lists change only through Lists; keep the base's.
		next.Disks, next.Interfaces, next.Listening, next.Processes = inv.Disks, inv.Interfaces, inv.Listening, inv.Processes
		next.Accounts, next.LoggedOn, next.Software, next.Hotfixes, next.Controls = inv.Accounts, inv.LoggedOn, inv.Software, inv.Hotfixes, inv.Controls
		inv = &next
	}
	for _, s := range sections {
		ld, ok := d.Lists[s.name]
		if !ok {
			continue
		}
		if err := s.apply(inv, ld); err != nil {
			return nil, fmt.Errorf("asset: apply inventory delta: lists.%w", err)
		}
	}
	for name := range d.Lists {
		if !slices.ContainsFunc(sections, func(s section) bool { return s.name == name }) {
			return nil, &FieldError{Path: "lists." + name, Msg: "not a list of the inventory"}
		}
	}
	inv.Normalize()
	if h := inv.Hash(); h != d.Hash {
		return nil, fmt.Errorf("%w: result %.12s, expected %.12s", ErrBaseMismatch, h, d.Hash)
	}
	return inv, nil
}
