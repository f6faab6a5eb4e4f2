package agent

import "golang.org/x/sys/windows"

// trimWorkingSet empties the process's working set (what EmptyWorkingSet
// does): the pages the idle loop uses come back as soft faults, the rest of
// the binary's start-up pages leave the agent's footprint.
func trimWorkingSet() {
	h := windows.CurrentProcess()
	_ = windows.SetProcessWorkingSetSizeEx(h, ^uintptr(0), ^uintptr(0), 0)
}
