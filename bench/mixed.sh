#!/usr/bin/env bash
# Mixed load (SPEC §10, resilience): 60 s at 64 connections of API reads and
# writes (GET, POST and PUT on contacts), panel pages (the integrations list
# and integration pages) and rotations through the panel, all at once on a
# release build seeded as bench/run.sh seeds it (see bench/mixed.lua for
# the shares). Reports the answers by status — the goal is zero 5xx — and
# the server's RSS after a 10 s warm-up against after the run, which must
# stay within 20 %. A missed goal is reported, not an error.
#
# Usage: bench/mixed.sh   (DATABASE_URL as for bench/run.sh;
# MIXED_DURATION=60s and MIXED_WARMUP=10s change the two runs.)
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION="${MIXED_DURATION:-60s}"
WARMUP="${MIXED_WARMUP:-10s}"
API_SCOPES=(contacts.readonly contacts.write)

bench_build
bench_start
bench_seed

# What the script picks from: contacts, the integrations' pages, the ten
# integrations rotated (not the one whose token the API calls use).
API_INTEGRATION="$(sql "SELECT id FROM integrations WHERE name = 'Integration 50'")"
sql "SELECT id FROM contacts ORDER BY random() LIMIT 200" >"$WORK/contacts"
sql "SELECT id FROM integrations WHERE name <> 'Integration 50'" >"$WORK/integrations"
sql "SELECT id FROM integrations WHERE name IN ('Integration 1', 'Integration 2',
     'Integration 3', 'Integration 4', 'Integration 5', 'Integration 6', 'Integration 7',
     'Integration 8', 'Integration 9', 'Integration 10')" >"$WORK/rotated"
CSRF="$(curl -fs -b "$JAR" "$BASE$LIST/new" | csrf_of)"
[[ -n "$CSRF" ]] || { say "no CSRF token for the signed-in session"; exit 1; }

mix() { # duration output
    MIX_TOKEN="$TOKEN" MIX_SESSION="$SESSION" MIX_CSRF="$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$CSRF")" \
        MIX_ACCOUNT="$ACCOUNT" MIX_API_INTEGRATION="$API_INTEGRATION" \
        MIX_CONTACTS="$WORK/contacts" MIX_INTEGRATIONS="$WORK/integrations" MIX_ROTATED="$WORK/rotated" \
        wrk -t2 -c"$CONNECTIONS" -d"$1" --timeout 10s -s "$ROOT/bench/mixed.lua" "$BASE" >"$2"
}

say "warming up for $WARMUP"
mix "$WARMUP" "$WORK/warmup.txt"
RSS_START="$(rss_kb "$SERVER_PID")"
say "mixed load for $DURATION"
# RSS every 10 s while the load runs.
(
    while kill -0 "$SERVER_PID" 2>/dev/null; do
        sleep 10
        printf '%s ' "$(( $(rss_kb "$SERVER_PID") / 1024 ))"
    done
) >"$WORK/rss" 2>/dev/null &
SAMPLER=$!
PIDS+=("$SAMPLER")
mix "$DURATION" "$WORK/mixed.txt"
kill "$SAMPLER" 2>/dev/null || true
RSS_END="$(rss_kb "$SERVER_PID")"

# ------------------------------------------------------------------ report
total="$(awk '/requests in/ { print $1 }' "$WORK/mixed.txt")"
rps="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/mixed.txt")"
sockerr="$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$WORK/mixed.txt")"
sockerr="${sockerr:-0}"
by_class() { awk -v lo="$1" -v hi="$2" '$1 == "status" && $2 >= lo && $2 <= hi { n += $3 } END { print n + 0 }' "$WORK/mixed.txt"; }
s2="$(by_class 200 299)"
s3="$(by_class 300 399)"
s4="$(by_class 400 499)"
s5="$(by_class 500 599)"
drift="$(awk -v a="$RSS_START" -v b="$RSS_END" 'BEGIN { printf "%.0f", (a > 0 ? 100 * (b - a) / a : 0) }')"
flat="$(awk -v d="$drift" 'BEGIN { print (d <= 20 && d >= -20) ? 1 : 0 }')"
goal() { if [[ "$1" == 1 ]]; then echo "met"; else echo "NOT MET"; fi; }

echo
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1); wrk -t2 -c$CONNECTIONS -d$DURATION -s bench/mixed.lua"
echo
echo "| requests | req/s | p50 ms | p99 ms | 2xx | 3xx | 4xx | 5xx | socket errors |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
echo "| $total | $rps | $(awk '$1 == "p50" { print $2 }' "$WORK/mixed.txt") | $(awk '$1 == "p99" { print $2 }' "$WORK/mixed.txt") | $s2 | $s3 | $s4 | $s5 | $sockerr |"
echo
echo "Statuses: $(awk '$1 == "status" { printf "%s×%s ", $3, $2 }' "$WORK/mixed.txt")"
echo "Server RSS every 10 s (MB): $(cat "$WORK/rss")"
echo
echo "| goal | figure | |"
echo "| --- | --- | --- |"
echo "| zero 5xx | $s5 | $(goal "$((s5 == 0 ? 1 : 0))") |"
echo "| RSS flat within 20 % | $((RSS_START / 1024)) MB after the warm-up, $((RSS_END / 1024)) MB after the run ($drift %) | $(goal "$flat") |"
if [[ -s "$SERVER_LOG" ]]; then
    echo
    echo "Server log, warnings and errors only (last 10 lines):"
    tail -n 10 "$SERVER_LOG"
fi
