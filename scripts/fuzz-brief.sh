#!/usr/bin/env bash
# Runs every Go fuzz target in the module briefly (FUZZTIME, default 10s each),
# so CI exercises the parsers of outside data with generated input.
set -euo pipefail
FUZZTIME="${FUZZTIME:-5s}"
cd "$(dirname "$0")/.."
status=0
while IFS= read -r pkg; do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
		echo "fuzz $pkg $target ($FUZZTIME)"
		if ! go test -run='^$' -fuzz="^${target}\$" -fuzztime="$FUZZTIME" "$pkg" >/tmp/fuzz-$$.log 2>&1; then
			cat /tmp/fuzz-$$.log
			status=1
		fi
	done
done < <(go list ./...)
exit $status
