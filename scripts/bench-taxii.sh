#!/usr/bin/env bash
# The TAXII paging target of issue 12: a collection of 1,000,000 objects
# pages at p95 < 100 ms per page. Seeds a published list of
# VIGIL_BENCH_TAXII_OBJECTS (default 1,000,000) indicators on SQLite and
# on PostgreSQL, walks the collection through the hub's HTTP handler with
# limit=1000 and next, timing every page, and prints one benchstat-style
# line per engine:
#   BenchmarkTAXIIWalk/<engine>-<n> <pages> <ns/op> ns/op <p50> p50-ms <p95> p95-ms <p99> p99-ms <max> max-ms <n> objects
# (BenchmarkTAXIIPage in internal/taxii, run by `make bench` with every
# other Go benchmark, times pages polled from random places.)
set -euo pipefail
cd "$(dirname "$0")/.."
VIGIL_BENCH_TAXII=1 go test -count=1 -timeout 60m -run '^TestTAXIIPagingWalk$' -v ./internal/taxii/ 2>&1 |
	grep -E '^BenchmarkTAXIIWalk|FAIL|seeded' | sed 's/^ *//'
