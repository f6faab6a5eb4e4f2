//go:build !linux && !windows

package agent

import (
	"context"
	"errors"

	"vigil/internal/asset"
)

// collectOS on other systems reports what the portable standard library
// sees (hostname, interfaces) and says the rest is not collected.
func (c *Collector) collectOS(ctx context.Context, r *run) {
	r.warn("this agent has no collectors for this OS; only hostname and interfaces are reported")
}

// Connections is not implemented on this OS.
func Connections() ([]Connection, error) {
	return nil, errors.ErrUnsupported
}

// Processes is not implemented on this OS.
func Processes(cache *HashCache) []asset.Process { return nil }
