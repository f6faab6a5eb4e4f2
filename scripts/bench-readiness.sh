#!/usr/bin/env bash
# Readiness (issue 15): the scoreboard of 90 units over 50,000 hosts,
# 1,000,000 findings and 30,000 employees, read over HTTP by the IT
# Center while the campaign is refreshed beside it, on SQLite; target
# p95 < 500 ms. Seeding takes a minute or two. Prints benchstat lines
# (ms/p50, ms/p95, refresh-ms: one refresh from every provider).
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL_BENCH_READINESS=full go test -run '^$' -bench '^BenchmarkReadinessScoreboard$' -benchtime 1000x -count "${COUNT:-3}" -timeout 60m ./internal/hub/
