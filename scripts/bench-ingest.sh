#!/usr/bin/env bash
# The watch's load benchmark (issue 10), run by make bench:
#
#  1. a hub on SQLite with 1,000 Sigma rules (SigmaHQ's, from
#     ../shared/data, plus the two rules of `vigil loadgen rules`) and
#     1,000,000 indicators, syslog over TCP on 127.0.0.1;
#  2. `vigil loadgen syslog` sends INGEST_COUNT lines (1,000,000) at full
#     speed with a marker every INGEST_MARKER_EVERY lines, then prints the
#     events/s the detection pipeline consumed (the hub's own counter,
#     vigil_bus_consumed_records_total); at full speed the markers queue
#     behind the backlog, so their latency says little;
#  3. then INGEST_RATE lines/s (50,000, the issue's target) for
#     INGEST_PACED_SECONDS (20) with a marker every 1,000 lines: the p99 from
#     sending a marker to its alert being visible in GET /api/v1/alerts;
#  4. kill -9: `vigil loadgen events` posts events over HTTP, the hub is
#     killed with SIGKILL once INGEST_KILL_AFTER are acknowledged (202), and
#     restarted; each event makes an alert of its own (a host of its own,
#     matched by a rule of `vigil loadgen rules`), so the alerts counted
#     after the restart must be at least the acknowledged events;
#  5. Debian's rsyslog (imtcp → omfile, the raw lines) receives the same
#     stream; Vigil's events/s is printed as a ratio of rsyslog's.
#
# Prints benchstat lines on stdout (bench.sh appends them to
# bench/results.txt), progress on stderr. Skips, saying why, when the shared
# rules are absent or the hub lacks the watch's flags. Everything it starts
# it stops, by process id.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT="${INGEST_COUNT:-1000000}"
MARKER_EVERY="${INGEST_MARKER_EVERY:-2000}"
KILL_COUNT="${INGEST_KILL_COUNT:-60000}"
KILL_AFTER="${INGEST_KILL_AFTER:-20000}"
RULES_N="${INGEST_RULES:-1000}"
IOCS_N="${INGEST_INDICATORS:-1000000}"
CONNS="${INGEST_CONNS:-4}"
RATE="${INGEST_RATE:-50000}"
PACED_SECONDS="${INGEST_PACED_SECONDS:-20}"
# INGEST_BUS=nats://HOST:PORT runs the hub over JetStream instead of the
# journal (the stream VIGIL_EVENTS on that server is used).
BUS="${INGEST_BUS:-}"
rules_src="../shared/data/sigma/rules"

say() { echo "bench-ingest: $*" >&2; }

if [ ! -d "$rules_src" ]; then
	say "$rules_src not found; skipped"
	exit 0
fi

work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/vigil" ./cmd/vigil
vigil="$work/vigil"
# (grep on a variable: with pipefail, grep -q closing the pipe early would
# fail the pipeline.)
serve_help=$("$vigil" serve --help 2>&1 || true)
if ! grep -q -- "--syslog-tcp" <<<"$serve_help"; then
	say "this hub has no --syslog-tcp yet; skipped"
	exit 0
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Rules: SigmaHQ's Linux, network and web rules first (they apply to syslog),
# then Windows and the rest, to RULES_N with the marker rule.
mkdir -p "$work/rules"
"$vigil" loadgen rules "$work/rules"
n=2
while IFS= read -r f; do
	n=$((n + 1))
	cp "$f" "$work/rules/$(printf '%04d' "$n")-$(basename "$f")"
done < <( (find "$rules_src/linux" "$rules_src/network" "$rules_src/web" -name '*.yml' | sort
	find "$rules_src" -name '*.yml' -not -path '*/linux/*' -not -path '*/network/*' -not -path '*/web/*' | sort) | head -n $((RULES_N - 2)))
say "$n rules in $work/rules"

# Indicators: addresses, domains and SHA-256 digests that the load never
# contains (no alert storm), as a feed would hold.
"$vigil" loadgen indicators "$IOCS_N" >"$work/indicators.csv"
say "$IOCS_N indicators in $work/indicators.csv"

http_port=$(free_port)
syslog_port=$(free_port)
hub_url="http://127.0.0.1:$http_port"
password="bench-password-$(date +%s)"
ioc_flag=()
if grep -q -- "--ioc" <<<"$serve_help"; then
	ioc_flag=(--ioc "$work/indicators.csv")
else
	say "this hub has no --ioc: running without the indicators"
fi

hub_pid=""
start_hub() {
	"$vigil" serve --listen "127.0.0.1:$http_port" --data-dir "$work/data" --admin-password "$password" \
		--syslog-tcp "127.0.0.1:$syslog_port" --rules "$work/rules" "${ioc_flag[@]}" ${BUS:+--bus "$BUS"} --log-level warn \
		>>"$work/hub.log" 2>&1 &
	hub_pid=$!
	pids+=("$hub_pid")
	for _ in $(seq 1 600); do
		if curl -fsS "$hub_url/readyz" >/dev/null 2>&1; then
			return 0
		fi
		if ! kill -0 "$hub_pid" 2>/dev/null; then
			say "the hub stopped:"
			tail -20 "$work/hub.log" >&2
			exit 1
		fi
		sleep 0.2
	done
	say "the hub never became ready"
	exit 1
}

# Waits until the pipeline has loaded the rules and the indicators
# (vigil_pipeline_* gauges when present), up to a minute.
wait_loaded() {
	for _ in $(seq 1 300); do
		m=$(curl -fsS "$hub_url/metrics" 2>/dev/null || true)
		rules=$(awk '/^vigil_pipeline_rules[ {]/ { s += $NF } END { print s + 0 }' <<<"$m")
		iocs=$(awk '/^vigil_pipeline_indicators[ {]/ { s += $NF } END { print s + 0 }' <<<"$m")
		if [ "${rules%.*}" -ge $((RULES_N / 2)) ] && { [ ${#ioc_flag[@]} -eq 0 ] || [ "${iocs%.*}" -ge "$IOCS_N" ]; }; then
			say "pipeline loaded $rules rules, $iocs indicators"
			return 0
		fi
		sleep 0.2
	done
	say "pipeline reports $rules rules and $iocs indicators after a minute; going on"
}

kv() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print $2 }'; }

start_hub
wait_loaded
eval "$("$vigil" loadgen setup --hub "$hub_url" --password "$password" | sed 's/^/export /; s/ source_token=/; export source_token=/')"

say "warm-up: 50,000 lines"
"$vigil" loadgen syslog --to "127.0.0.1:$syslog_port" --count 50000 --conns "$CONNS" --hub "$hub_url" --token "$token" --timeout 120s >/dev/null

say "Vigil: $COUNT lines over TCP, a marker every $MARKER_EVERY"
vres=$("$vigil" loadgen syslog --to "127.0.0.1:$syslog_port" --count "$COUNT" --conns "$CONNS" --marker-every "$MARKER_EVERY" --run "r$$" \
	--hub "$hub_url" --token "$token" --timeout 600s)
say "Vigil: $vres"
vrate=$(kv events_per_s "$vres")
fp99=$(kv p99_ms "$vres")

say "Vigil: $RATE lines/s for $PACED_SECONDS s, a marker every 1000"
pres=$("$vigil" loadgen syslog --to "127.0.0.1:$syslog_port" --count $((RATE * PACED_SECONDS)) --rate "$RATE" --conns "$CONNS" --marker-every 1000 --run "p$$" \
	--hub "$hub_url" --token "$token" --timeout 600s)
say "Vigil paced: $pres"
prate=$(kv events_per_s "$pres")
p99=$(kv p99_ms "$pres")
p50=$(kv p50_ms "$pres")
pmax=$(kv max_ms "$pres")
missing=$(kv missing "$pres")

say "kill -9: posting $KILL_COUNT events over HTTP, SIGKILL after $KILL_AFTER acknowledged"
: >"$work/acked"
"$vigil" loadgen events --hub "$hub_url" --source-token "$source_token" --count "$KILL_COUNT" --run "k$$" --acked "$work/acked" >"$work/events.out" 2>&1 &
gen_pid=$!
pids+=("$gen_pid")
for _ in $(seq 1 1200); do
	a=$(cat "$work/acked" 2>/dev/null || echo 0)
	if [ "${a:-0}" -ge "$KILL_AFTER" ] || ! kill -0 "$gen_pid" 2>/dev/null; then
		break
	fi
	sleep 0.05
done
kill -9 "$hub_pid"
wait "$hub_pid" 2>/dev/null || true
wait "$gen_pid" || true
eres=$(cat "$work/events.out")
acked=$(kv acked "$eres")
say "events: $eres"
start_hub
wait_loaded
ares=$("$vigil" loadgen alerts --hub "$hub_url" --token "$token" --want "$acked" --settle 10s --timeout 300s)
found=$(kv alerts "$ares")
lost=$((acked > found ? acked - found : 0))
say "after restart: $found of $acked acknowledged events made their alert (lost $lost)"
grep -i "torn\|journal" "$work/hub.log" | tail -3 >&2 || true
kill "$hub_pid" 2>/dev/null || true
wait "$hub_pid" 2>/dev/null || true

# rsyslog, the same stream to a file.
rrate=""
if ! command -v rsyslogd >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	say "installing rsyslog"
	DEBIAN_FRONTEND=noninteractive apt-get install -y rsyslog >/dev/null 2>&1 || true
fi
if command -v rsyslogd >/dev/null; then
	rport=$(free_port)
	mkdir -p "$work/rsyslog"
	cat >"$work/rsyslog/rsyslog.conf" <<-EOF
		global(workDirectory="$work/rsyslog")
		module(load="imtcp")
		template(name="raw" type="string" string="%rawmsg%\n")
		ruleset(name="bench") { action(type="omfile" file="$work/rsyslog/out.log" template="raw") }
		input(type="imtcp" port="$rport" address="127.0.0.1" ruleset="bench")
	EOF
	rsyslogd -n -f "$work/rsyslog/rsyslog.conf" -i "$work/rsyslog/pid" >"$work/rsyslog/log" 2>&1 &
	rs_pid=$!
	pids+=("$rs_pid")
	for _ in $(seq 1 100); do
		(echo >/dev/tcp/127.0.0.1/"$rport") 2>/dev/null && break
		sleep 0.1
	done
	say "rsyslog: $COUNT lines over TCP to a file"
	rres=$("$vigil" loadgen syslog --to "127.0.0.1:$rport" --count "$COUNT" --conns "$CONNS" --marker-every "$MARKER_EVERY" --run "s$$" \
		--wait-file "$work/rsyslog/out.log" --timeout 600s)
	say "rsyslog: $rres"
	rrate=$(kv events_per_s "$rres")
	kill "$rs_pid" 2>/dev/null || true
	wait "$rs_pid" 2>/dev/null || true
else
	say "rsyslogd not installed (apt-get install rsyslog); no ratio"
fi

ns=$(awk -v r="$vrate" 'BEGIN { printf "%.0f", 1e9 / r }')
busname=journal
if [ -n "$BUS" ]; then busname=jetstream; fi
line="BenchmarkIngestSyslogTCP/bus=$busname/rules=$n/indicators=$IOCS_N 1 $ns ns/op $vrate events/s $fp99 backlog-p99-ms"
if [ -n "$rrate" ]; then
	ratio=$(awk -v v="$vrate" -v r="$rrate" 'BEGIN { printf "%.3f", v / r }')
	line="$line $ratio x-rsyslog"
	echo "BenchmarkIngestRsyslogTCP 1 $(awk -v r="$rrate" 'BEGIN { printf "%.0f", 1e9 / r }') ns/op $rrate events/s"
fi
echo "$line"
echo "BenchmarkIngestAlertLatency/rate=$RATE 1 $(awk -v r="$prate" 'BEGIN { printf "%.0f", 1e9 / r }') ns/op $prate events/s $p50 p50-ms $p99 p99-ms $pmax max-ms ${missing:-0} markers-missing"
echo "BenchmarkIngestKill9 1 $acked acked $found found $lost lost"
