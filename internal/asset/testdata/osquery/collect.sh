#!/bin/sh
# Runs the Vigil inventory query pack with osqueryi and writes one JSON
# object, {"<query name>": <osqueryi --json output>, ...}, to stdout:
#   sh collect.sh > "$(hostname).json"
# then: vigil import inventory "$(hostname).json" --unit CODE
# Needs osqueryi (osquery 5.x) and this directory's queries.sql.
set -eu
dir=$(dirname "$0")
printf '{'
sep=''
name=''
while IFS= read -r line; do
	case "$line" in
	'-- '*) name=${line#-- } ;;
	'') ;;
	*)
		out=$(osqueryi --json "$line" 2>/dev/null || echo '[]')
		[ -n "$out" ] || out='[]'
		printf '%s"%s":%s' "$sep" "$name" "$out"
		sep=','
		;;
	esac
done < "$dir/queries.sql"
printf '}\n'
