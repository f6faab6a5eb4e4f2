#!/usr/bin/env bash
# Scan throughput of `vigil agent scan` against coreutils sha256sum on one
# core over the same page-cached tree, and `vigil agent collect` wall time
# (against osqueryi when Debian packages it). Prints benchstat-format lines;
# run by `make bench` (scripts/bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT="${COUNT:-5}"
work="$(mktemp -d "${TMPDIR:-/tmp}/vigil-bench-scan.XXXXXX")"
trap 'rm -rf "$work"' EXIT
go build -o "$work/vigil" ./cmd/vigil

# A tree shaped like a system directory: many small files, some medium,
# a few large; 300 MB in all. Content is pseudo-random so nothing dedups.
tree="$work/tree"
python3 - "$tree" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(42)
plan = [(6000, 4 << 10), (2000, 64 << 10), (150, 1 << 20), (8, 8 << 20)]
n = 0
for count, size in plan:
    for i in range(count):
        d = os.path.join(root, "d%02d" % (n % 50), "s%d" % (n % 7))
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "f%06d.bin" % n), "wb") as f:
            f.write(rnd.randbytes(size))
        n += 1
PY
bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
# Warm the page cache.
find "$tree" -type f -print0 | xargs -0 cat > /dev/null

now() { date +%s%N; }
line() { # name ns
	awk -v n="$1" -v ns="$2" -v b="$bytes" 'BEGIN { printf "%s 1 %d ns/op %.2f MB/s\n", n, ns, b / (ns / 1e9) / 1e6 }'
}
best_peer=0
best_vigil=0
for i in $(seq "$COUNT"); do
	t0=$(now)
	(cd "$tree" && find . -type f -print0 | taskset -c 0 xargs -0 sha256sum > /dev/null)
	t1=$(now)
	GOMAXPROCS=1 taskset -c 0 "$work/vigil" agent scan --paths "$tree" --max-size 0 --no-live 2> /dev/null
	t2=$(now)
	peer=$((t1 - t0)); vigil=$((t2 - t1))
	line BenchmarkScanPeerSha256sum "$peer"
	line BenchmarkScanVigil "$vigil"
	if [ "$best_peer" -eq 0 ] || [ "$peer" -lt "$best_peer" ]; then best_peer=$peer; fi
	if [ "$best_vigil" -eq 0 ] || [ "$vigil" -lt "$best_vigil" ]; then best_vigil=$vigil; fi
done
awk -v p="$best_peer" -v v="$best_vigil" -v b="$bytes" 'BEGIN {
	printf "# scan tree %.0f MB, one core: sha256sum %.0f MB/s, vigil %.0f MB/s, ratio %.2fx (best of runs; target >= 3x)\n",
		b/1e6, b/(p/1e9)/1e6, b/(v/1e9)/1e6, p/v }'

# A real system tree: the Go installation (~15,000 files, most small, as
# on a real disk). Same run, same core, page cache warm; wall time and the
# CPU time each side used (user + system, children included), which a busy
# machine disturbs less.
goroot="$(go env GOROOT)"
groot_bytes=$(find "$goroot" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
groot_files=$(find "$goroot" -type f | wc -l)
find "$goroot" -type f -print0 | xargs -0 cat > /dev/null
cpu_of() { # command... ; prints "wall_ns cpu_ns" (CPU from getrusage, to the microsecond: time(1) rounds to 10 ms)
	python3 - "$@" <<'PY'
import resource, subprocess, sys, time
def cpu():  # every descendant waited for: find, xargs, each sha256sum
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
c, t = cpu(), time.monotonic_ns()  # a process can start with children's time on it (a shell that exec'd it)
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(time.monotonic_ns() - t, int((cpu() - c) * 1e9))
PY
}
gline() { # name wall_ns cpu_ns
	awk -v n="$1" -v ns="$2" -v cpu="$3" -v b="$groot_bytes" -v f="$groot_files" 'BEGIN {
		printf "%s 1 %d ns/op %.2f MB/s %.0f files/s %d cpu-ns/op %.2f cpu-MB/s\n", n, ns, b / (ns / 1e9) / 1e6, f / (ns / 1e9), cpu, b / (cpu / 1e9) / 1e6 }'
}
bp=0; bv=0; cp=0; cv=0; rlo=0; rhi=0
for i in $(seq "$COUNT"); do
	read -r pw pc < <(cpu_of sh -c "cd '$goroot' && find . -type f -print0 | taskset -c 0 xargs -0 sha256sum")
	read -r vw vc < <(cpu_of env GOMAXPROCS=1 taskset -c 0 "$work/vigil" agent scan --paths "$goroot" --max-size 0 --no-live)
	gline BenchmarkScanGOROOTPeerSha256sum "$pw" "$pc"
	gline BenchmarkScanGOROOTVigil "$vw" "$vc"
	if [ "$bp" -eq 0 ] || [ "$pw" -lt "$bp" ]; then bp=$pw; fi
	if [ "$bv" -eq 0 ] || [ "$vw" -lt "$bv" ]; then bv=$vw; fi
	if [ "$cp" -eq 0 ] || [ "$pc" -lt "$cp" ]; then cp=$pc; fi
	if [ "$cv" -eq 0 ] || [ "$vc" -lt "$cv" ]; then cv=$vc; fi
	# The CPU ratio of this run's pair, side by side in time.
	r=$((pc * 1000 / vc))
	if [ "$rlo" -eq 0 ] || [ "$r" -lt "$rlo" ]; then rlo=$r; fi
	if [ "$r" -gt "$rhi" ]; then rhi=$r; fi
done
awk -v p="$bp" -v v="$bv" -v cp="$cp" -v cv="$cv" -v lo="$rlo" -v hi="$rhi" -v b="$groot_bytes" -v f="$groot_files" 'BEGIN {
	printf "# GOROOT %d files, %.0f MB, one core: sha256sum %.0f MB/s, vigil %.0f MB/s (%.0f files/s), ratio %.2fx wall, %.2fx CPU (best of runs); CPU ratio of each run %.2f-%.2fx (target >= 3x)\n",
		f, b/1e6, b/(p/1e9)/1e6, b/(v/1e9)/1e6, f/(v/1e9), p/v, cp/cv, lo/1000, hi/1000 }'

# Inventory collection wall time.
mkdir -p "$work/state"
"$work/vigil" agent collect --state-dir "$work/state" > /dev/null # fill the hash cache
for i in $(seq "$COUNT"); do
	t0=$(now)
	"$work/vigil" agent collect --state-dir "$work/state" > /dev/null
	t1=$(now)
	echo "BenchmarkCollectVigil 1 $((t1 - t0)) ns/op"
done
t0=$(now)
"$work/vigil" agent collect --state-dir "$work/empty-state" > /dev/null
t1=$(now)
echo "BenchmarkCollectVigilColdCache 1 $((t1 - t0)) ns/op"
if command -v osqueryi > /dev/null; then
	pack=internal/asset/testdata/osquery/queries.sql
	for i in $(seq "$COUNT"); do
		t0=$(now)
		while IFS= read -r q; do
			case "$q" in ''|--*) continue ;; esac
			osqueryi --json "$q" > /dev/null 2>&1 || true
		done < "$pack"
		t1=$(now)
		echo "BenchmarkCollectPeerOsqueryi 1 $((t1 - t0)) ns/op"
	done
else
	policy="$(apt-cache policy osquery 2> /dev/null | head -1)"
	echo "# osqueryi: not installed; Debian does not package osquery (apt-cache policy osquery: ${policy:-no such package}), so no comparison"
fi
