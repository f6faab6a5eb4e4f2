#!/usr/bin/env bash
# Rule loading beside a peer: Vigil loading and compiling SigmaHQ's
# rules folder (BenchmarkLoadSigmaHQ) and Python + libyaml merely parsing
# the same files (scripts/sigma_yaml_parse.py), both on one core
# (taskset), alternated so both see the same machine load. Prints the
# benchstat lines of both and
#   BenchmarkSigmaLoadVsPython 1 <vigil ns> ns/op <x> wall-speedup <y> cpu-speedup
# where a speedup above 1 means Vigil's full load is faster than Python's
# bare parse. Skips (exit 0, message on stderr) without python3-yaml
# (apt-get install python3-yaml) or the shared rules.
set -euo pipefail
cd "$(dirname "$0")/.."
rules="../shared/data/sigma/rules"
if [ ! -d "$rules" ]; then
	echo "bench-sigma-load: $rules not found; skipped" >&2
	exit 0
fi
if ! python3 -c 'from yaml import CSafeLoader' 2>/dev/null; then
	echo "bench-sigma-load: python3-yaml with libyaml not installed (apt-get install python3-yaml); skipped" >&2
	exit 0
fi
pin=()
if command -v taskset >/dev/null; then
	pin=(taskset -c 0)
fi
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
go test -c -o "$bin/sigma.test" ./internal/detect/sigma
# Warm the page cache, then alternate, keeping each side's best run.
find "$rules" -name "*.yml" -exec cat {} + >/dev/null 2>&1 || true
best_go="" best_go_cpu="" best_py="" best_py_cpu=""
for _ in 1 2 3; do
	line=$( (cd internal/detect/sigma && "${pin[@]}" "$bin/sigma.test" -test.run '^$' -test.bench '^BenchmarkLoadSigmaHQ$' -test.benchtime 3x -test.cpu 1) | grep '^BenchmarkLoadSigmaHQ' | tail -1)
	echo "$line"
	ns=$(awk '{ for (i = 1; i <= NF; i++) if ($(i+1) == "ns/op") print $i }' <<<"$line" | head -1)
	cpu=$(awk '{ for (i = 1; i <= NF; i++) if ($(i+1) == "cpu-ns/op") print $i }' <<<"$line")
	py=$(ROUNDS=1 "${pin[@]}" python3 scripts/sigma_yaml_parse.py "$rules")
	echo "$py"
	pns=$(awk '{ print $3 }' <<<"$py")
	pcpu=$(awk '{ print $5 }' <<<"$py")
	if [ -z "$best_go" ] || awk -v a="$ns" -v b="$best_go" 'BEGIN { exit !(a < b) }'; then best_go=$ns; fi
	if [ -z "$best_go_cpu" ] || awk -v a="$cpu" -v b="$best_go_cpu" 'BEGIN { exit !(a < b) }'; then best_go_cpu=$cpu; fi
	if [ -z "$best_py" ] || [ "$pns" -lt "$best_py" ]; then best_py=$pns; fi
	if [ -z "$best_py_cpu" ] || [ "$pcpu" -lt "$best_py_cpu" ]; then best_py_cpu=$pcpu; fi
done
awk -v g="$best_go" -v gc="$best_go_cpu" -v p="$best_py" -v pc="$best_py_cpu" \
	'BEGIN { printf "BenchmarkSigmaLoadVsPython 1 %.0f ns/op %.2f wall-speedup %.2f cpu-speedup\n", g, p / g, pc / gc }'
