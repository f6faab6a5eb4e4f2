#!/usr/bin/env bash
# Scanner import's outside reference (issue 11): Python's
# xml.etree.ElementTree.iterparse counting the ReportItems that carry a
# <cve> in the same generated 64 MiB .nessus the Go benchmark
# (BenchmarkImportNessus in internal/scanimport) reads, so its MB/s can
# be read as a ratio. Prints benchstat-style lines.
set -euo pipefail
cd "$(dirname "$0")/.."
file="${TMPDIR:-/tmp}/vigil-bench-64m.nessus"
if [ ! -s "$file" ]; then
	VIGIL_BENCH_NESSUS="$file" go test -count=1 -run '^TestWriteBenchNessus$' ./internal/scanimport >/dev/null
fi
if ! command -v python3 >/dev/null; then
	echo "# bench-scans: python3 not found; no Python reference"
	exit 0
fi
python3 - "$file" <<'PY'
import os, sys, time
import xml.etree.ElementTree as ET
path = sys.argv[1]
size = os.path.getsize(path)
for run in range(3):
    t = time.perf_counter()
    items = with_cve = 0
    for ev, el in ET.iterparse(path, events=("end",)):
        if el.tag == "ReportItem":
            items += 1
            if el.find("cve") is not None:
                with_cve += 1
            el.clear()
        elif el.tag == "ReportHost":
            el.clear()
    dt = time.perf_counter() - t
    print(f"BenchmarkReferencePythonIterparseNessus/64MB \t1\t{int(dt*1e9)} ns/op\t{size/dt/1e6:.2f} MB/s\t# {items} ReportItems, {with_cve} with a CVE")
PY
