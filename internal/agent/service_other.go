//go:build !linux && !windows

package agent

import (
	"context"
	"errors"
)

// Install is not implemented on this OS.
func Install(ctx context.Context, c ServiceConfig, start bool) error {
	return errors.New("agent: install: only Linux (systemd) and Windows services are supported")
}

// Uninstall is not implemented on this OS.
func Uninstall(ctx context.Context, stateDir string, purge bool) error {
	return errors.New("agent: uninstall: only Linux (systemd) and Windows services are supported")
}

// RunService runs the agent loop in the foreground.
func RunService(ctx context.Context, run func(context.Context) error) error { return run(ctx) }
