#!/usr/bin/env bash
# Incidents (issue 13): the case page of a case with 10,000 timeline
# entries and 1,000 observables, rendered for an officer of its unit on
# SQLite; target < 200 ms at p95. BenchmarkCasePage (internal/web) reports
# the 95th percentile of the requests of each run as p95-ms. Prints
# benchstat lines; the figure quoted is the median of the runs.
set -euo pipefail
cd "$(dirname "$0")/.."
go test -run '^$' -bench '^BenchmarkCasePage$' -benchtime "${BENCHTIME:-200x}" -count "${COUNT:-3}" -timeout 30m ./internal/web/
