#!/usr/bin/env bash
# Awareness training (issue 14) at the issue's scale, on SQLite: queueing a
# campaign to 30,000 employees (target < 5 s) and the IT Center's dashboard
# over 30,000 people in 90 units (target < 200 ms at p95): what the page
# computes (BenchmarkDashboard, internal/training) and the page itself over
# HTTP with a drill to everyone (BenchmarkTrainingPage, internal/web).
# Prints benchstat lines; both report their p95 as p95-ms.
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL_BENCH_TRAINING=full \
	go test -run '^$' -bench '^Benchmark(QueueCampaign|Dashboard)$' -benchtime "${BENCHTIME:-20x}" -count "${COUNT:-1}" -timeout 60m ./internal/training/
VIGIL_BENCH_TRAINING=full \
	go test -run '^$' -bench '^BenchmarkTrainingPage$' -benchtime "${PAGE_BENCHTIME:-200x}" -count "${COUNT:-1}" -timeout 60m ./internal/web/
