package sigma

import "testing"

// FuzzRule feeds arbitrary YAML to the loader and runs whatever compiles
// over an event: nothing may panic.
func FuzzRule(f *testing.F) {
	f.Add([]byte(header + "  sel:\n    Image|endswith: '\\cmd.exe'\n  condition: sel\n"))
	f.Add([]byte(header + "  sel:\n    CommandLine|windash|contains|all: ['-a', '/b']\n  kw: ['x*y?']\n  condition: 1 of sel* or not kw\n"))
	f.Add([]byte(header + "  sel:\n    CommandLine|wide|base64offset|contains: 'ping'\n    User|expand: '%x%'\n    IP|cidr: 10.0.0.0/8\n  condition: all of them\n"))
	f.Add([]byte(header + "  sel:\n    CommandLine|re|i: '(a|b)c.{3,}'\n    ProcessId|gte: 4\n    ParentImage|fieldref: Image\n  condition: sel\n"))
	f.Add([]byte("title: x\nlogsource: {product: linux, service: auditd}\ndetection: {sel: {a: null}, condition: sel}\n---\n- [\n"))
	f.Add([]byte(corrRules))
	ev := sysmon1("Image", `C:\Windows\cmd.exe`, "CommandLine", "ping -n 1 10.1.2.3 Ä", "User", "x", "IP", "10.1.1.1", "ProcessId", "12", "ParentImage", "a")
	f.Fuzz(func(t *testing.T, data []byte) {
		rules, _ := Parse(data, "fuzz.yml")
		rs, _ := Compile(rules, Options{})
		m := rs.NewMatcher()
		rs.NewCorrelator().Observe(ev, m.Match(ev))
		for _, c := range rs.Rules() {
			m.Explain(c, ev)
		}
	})
}
