package agent

import (
	"os"
	"path/filepath"
	"runtime"
)

// DefaultStateDir is where the agent keeps its identity, queue and caches:
// /var/lib/vigil-agent on Unix, %ProgramData%\Vigil\Agent on Windows.
func DefaultStateDir() string {
	if runtime.GOOS == "windows" {
		pd := os.Getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return filepath.Join(pd, "Vigil", "Agent")
	}
	return "/var/lib/vigil-agent"
}
