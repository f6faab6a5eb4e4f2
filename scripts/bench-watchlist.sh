#!/usr/bin/env bash
# Warning lists (issue 12): publishing a 1,000,000-indicator list and
# matching it against 50,000 hosts and 10,000,000 stored alert events on
# SQLite, target < 60 s. BenchmarkPublishMatch (internal/watchlist) at full
# scale; the database is generated once (a few minutes, ~3 GB) in
# $VIGIL_BENCH_WATCHLIST_DIR (default $TMPDIR/vigil-bench-watchlist) and
# reused. BenchmarkImportPublishMatch times the same from the import of
# the month's 1,000,000-line CSV (read, stored, published, matched).
# Prints benchstat lines; the figure quoted is the median.
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${VIGIL_BENCH_WATCHLIST_DIR:-${TMPDIR:-/tmp}/vigil-bench-watchlist}"
mkdir -p "$dir"
VIGIL_BENCH_WATCHLIST=full VIGIL_BENCH_WATCHLIST_DIR="$dir" \
	go test -run '^$' -bench '^Benchmark(Import)?PublishMatch$' -benchtime 1x -count "${COUNT:-3}" -timeout 120m ./internal/watchlist/
