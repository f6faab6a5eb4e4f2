#!/usr/bin/env bash
# make bench: every benchmark the issues name, written to bench/results.txt
# in benchstat format (run with -count so medians can be quoted).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench
COUNT="${COUNT:-5}"
out=bench/results.txt
: > "$out"
go test -p 1 -run='^$' -bench=. -benchmem -count="$COUNT" -timeout 120m ./... | tee -a "$out"
for extra in scripts/bench-*.sh; do
	[ -x "$extra" ] && "$extra" | tee -a "$out"
done
echo "results in $out"
