package hub

import (
	"context"
	"errors"
	"sync"

	"vigil/internal/bus"
	"vigil/internal/pipeline"
)

// startPipeline runs detection in this process: the rules (directory,
// UI, indicators) kept current by the rules service, and the consumer of
// the bus's detect group handing matches to the alerts.
func (h *Hub) startPipeline(ctx context.Context, cfg Config, b bus.Bus) (stop func(), err error) {
	m := pipeline.NewMetrics(h.Server.Registry())
	rules := h.Rules
	rules.Engine = pipeline.NewEngine()
	rules.Dirs = cfg.Watch.Rules
	rules.Metrics = m
	rules.Logger = h.logger
	// The published warning lists come with a version of their own, so
	// the pipeline reloads them only when they change; the agents' other
	// indicator sources (after the lists, see services) are read as before.
	rules.Indicators = []pipeline.IndicatorProvider{h.Intel}
	if others := h.Hosts.IndicatorSources[min(1, len(h.Hosts.IndicatorSources)):]; len(others) > 0 {
		rules.Indicators = append(rules.Indicators, pipeline.IndicatorFuncs{Sources: &others})
	}
	if len(cfg.Watch.Indicators) > 0 {
		rules.Indicators = append(rules.Indicators, pipeline.IndicatorFiles{Paths: cfg.Watch.Indicators, Logger: h.logger})
	}
	stopRules := rules.Start(ctx)
	p := &pipeline.Pipeline{Engine: rules.Engine, Alerts: h.Alerts, Logger: h.logger, Metrics: m}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := p.Run(ctx, b); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
			h.logger.Error("detection pipeline stopped", "err", err)
		}
	}()
	h.logger.Info("detection pipeline running", "rules_dirs", cfg.Watch.Rules)
	return func() {
		cancel()
		wg.Wait()
		stopRules()
	}, nil
}
