package asset

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	inv := sampleInventory()
	inv.Hostname = "ws 042"
	inv.Processes = []Process{
		{PID: 1, Name: "systemd"},
		{PID: 666, Name: "evil\x01\nname", Path: "/tmp/\xff\xfe/x"},
		{PID: 7, Name: "ok", SHA256: "NOT-A-DIGEST"},
	}
	inv.Software[0].Version = strings.Repeat("é", 200) // 400 bytes
	inv.Interfaces = append(inv.Interfaces, Interface{Name: "tap0", MAC: "zz", Addresses: []string{}})
	inv.Controls = make([]Control, 300)
	for i := range inv.Controls {
		inv.Controls[i] = Control{Kind: ControlEDR, Product: "x"}
	}
	if err := inv.Validate(); err == nil {
		t.Fatal("fixture should be invalid")
	}
	if n := inv.Sanitize(); n == 0 {
		t.Fatal("nothing sanitized")
	}
	if err := inv.Validate(); err != nil {
		t.Fatalf("still invalid: %v", err)
	}
	if inv.Hostname != "ws-042" {
		t.Errorf("hostname %q", inv.Hostname)
	}
	if len(inv.Processes) != 2 || inv.Processes[1].Name != "evil\uFFFD\uFFFDname" || !utf8.ValidString(inv.Processes[1].Path) {
		t.Errorf("processes %+v", inv.Processes)
	}
	if v := inv.Software[0].Version; len(v) > maxVersion || !utf8.ValidString(v) {
		t.Errorf("version cut badly: %d bytes", len(v))
	}
	if len(inv.Interfaces) != 1 || len(inv.Controls) != 256 {
		t.Errorf("%d interfaces, %d controls", len(inv.Interfaces), len(inv.Controls))
	}
	if len(inv.Warnings) == 0 {
		t.Error("no warning recorded")
	}
	// A valid inventory is left alone.
	clean := sampleInventory()
	if n := clean.Sanitize(); n != 0 || len(clean.Warnings) != 0 {
		t.Errorf("clean inventory changed: %d", n)
	}
}
