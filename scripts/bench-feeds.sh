#!/usr/bin/env bash
# The knowledge base's outside references (issue 11), timed on the same
# inputs as the Go benchmarks in internal/vuln so their MB/s read as
# ratios:
#  - Python's xml.etree.ElementTree.iterparse (expat, C) counting the
#    Vulnerability elements of the twelve MSRC 2023 documents
#    (BenchmarkParseMSRC2023 parses them into kb records);
#  - Python's json.load counting the records of the 20,000 generated NVD
#    records (BenchmarkParseNVDGenerated streams them; the standard
#    library has no streaming JSON reader, so Python holds the whole file).
# Prints benchstat-style lines.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v python3 >/dev/null; then
	echo "# bench-feeds: python3 not found; no Python reference"
	exit 0
fi
msrc="../shared/data/msrc"
if ! ls "$msrc"/cvrf-2023-*.xml >/dev/null 2>&1; then
	echo "# bench-feeds: no $msrc/cvrf-2023-*.xml; no MSRC reference"
else
python3 - "$msrc"/cvrf-2023-*.xml <<'PY'
import os, sys, time
import xml.etree.ElementTree as ET
files = sys.argv[1:]
size = sum(os.path.getsize(f) for f in files)
for run in range(3):
    t = time.perf_counter()
    vulns = 0
    for f in files:
        for ev, el in ET.iterparse(f, events=("end",)):
            tag = el.tag.rsplit("}", 1)[-1]
            if tag == "Vulnerability":
                vulns += 1
                el.clear()
    dt = time.perf_counter() - t
    print(f"BenchmarkReferencePythonIterparseMSRC2023 \t1\t{int(dt*1e9)} ns/op\t{size/dt/1e6:.2f} MB/s\t# {vulns} Vulnerability elements in {len(files)} files")
PY
fi
nvd="${TMPDIR:-/tmp}/vigil-bench-nvd.json"
if [ ! -s "$nvd" ]; then
	VIGIL_BENCH_NVD="$nvd" go test -count=1 -run '^TestWriteBenchNVD$' ./internal/vuln >/dev/null
fi
python3 - "$nvd" <<'PY'
import json, os, sys, time
path = sys.argv[1]
size = os.path.getsize(path)
for run in range(3):
    t = time.perf_counter()
    with open(path, "rb") as f:
        doc = json.load(f)
    n = len(doc["vulnerabilities"])
    matches = sum(len(m["cpeMatch"]) for v in doc["vulnerabilities"] for c in v["cve"].get("configurations", []) for m in c["nodes"])
    dt = time.perf_counter() - t
    print(f"BenchmarkReferencePythonJSONLoadNVDGenerated \t1\t{int(dt*1e9)} ns/op\t{size/dt/1e6:.2f} MB/s\t# {n} records, {matches} cpe matches")
PY
