#!/usr/bin/env bash
# Peer comparison for the EVTX reader: times libyal's evtxexport over the
# same shared samples BenchmarkEVTXRead reads, on one core (taskset), and
# prints a benchstat line
#   BenchmarkEvtxexportPeer 1 <ns/op> ns/op <MB/s> MB/s <x> vigil-speedup
# where vigil-speedup is Vigil's MB/s (BenchmarkEVTXRead, -cpu 1) divided
# by evtxexport's. Skips (exit 0, message on stderr) when evtxexport or the
# samples are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="../shared/data"
if ! command -v evtxexport >/dev/null; then
	echo "bench-evtx: evtxexport not installed (apt-get install libevtx-utils); skipped" >&2
	exit 0
fi
if [ ! -d "$shared/evtx/sbousseaden" ] || [ ! -d "$shared/sigma/regression_data" ]; then
	echo "bench-evtx: $shared not found; skipped" >&2
	exit 0
fi
pin=()
if command -v taskset >/dev/null; then
	pin=(taskset -c 0)
fi
list=$(mktemp)
trap 'rm -f "$list"' EXIT
find "$shared/evtx/sbousseaden" "$shared/sigma/regression_data" -name '*.evtx' -print0 >"$list"
bytes=$(xargs -0 cat <"$list" | wc -c)

# evtxexport takes one file per run, so its start-up is part of its cost
# as it is for anyone using it.
# Warm the page cache, then take the best of three runs (as benchmarks
# report steady state, not the first read from disk).
xargs -0 -n 1 "${pin[@]}" evtxexport -f xml <"$list" >/dev/null 2>&1 || true
best=""
for _ in 1 2 3; do
	start=$(date +%s%N)
	xargs -0 -n 1 "${pin[@]}" evtxexport -f xml <"$list" >/dev/null 2>&1 || true
	end=$(date +%s%N)
	ns=$((end - start))
	if [ -z "$best" ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
done
peer_mbs=$(awk -v b="$bytes" -v ns="$best" 'BEGIN { printf "%.2f", b / (ns / 1e9) / 1e6 }')

ours=$(go test -run '^$' -bench '^BenchmarkEVTXRead$' -benchtime 5x -cpu 1 ./internal/detect/evtx 2>/dev/null |
	awk '/^BenchmarkEVTXRead/ { for (i = 1; i <= NF; i++) if ($(i+1) == "MB/s") print $i }' | tail -1)
speedup=$(awk -v a="${ours:-0}" -v b="$peer_mbs" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print 0 }')
echo "BenchmarkEvtxexportPeer 1 $best ns/op $peer_mbs MB/s $speedup vigil-speedup"
