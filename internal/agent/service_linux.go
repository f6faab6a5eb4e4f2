package agent

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"strings"
)

// unitPath is where install writes the unit.
var unitPath = "/etc/systemd/system/" + ServiceName + ".service"

// Install writes the systemd unit and enables and starts the service
// (unless start is false).
func Install(ctx context.Context, c ServiceConfig, start bool) error {
	if err := os.MkdirAll(c.StateDir, 0o700); err != nil {
		return fmt.Errorf("agent: install: %w", err)
	}
	if err := os.WriteFile(unitPath, []byte(SystemdUnit(c)), 0o644); err != nil {
		return fmt.Errorf("agent: install: %w", err)
	}
	if err := systemctl(ctx, "daemon-reload"); err != nil {
		return err
	}
	if !start {
		return systemctl(ctx, "enable", ServiceName)
	}
	return systemctl(ctx, "enable", "--now", ServiceName)
}

// Uninstall stops and disables the service and removes the unit. The
// state directory stays unless purge.
func Uninstall(ctx context.Context, stateDir string, purge bool) error {
	if _, err := os.Stat(unitPath); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("agent: uninstall: %s not found; the service is not installed", unitPath)
	}
	_ = systemctl(ctx, "disable", "--now", ServiceName)
	if err := os.Remove(unitPath); err != nil {
		return fmt.Errorf("agent: uninstall: %w", err)
	}
	if err := systemctl(ctx, "daemon-reload"); err != nil {
		return err
	}
	if purge {
		return os.RemoveAll(stateDir)
	}
	return nil
}

func systemctl(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "systemctl", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("agent: systemctl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// RunService runs the agent loop; on Linux systemd manages the process
// directly.
func RunService(ctx context.Context, run func(context.Context) error) error { return run(ctx) }
