#!/usr/bin/env bash
# Benchmark: a release build on its own fresh database, seeded with one
# account, 50 integrations and 1,000 contacts, measured with wrk at 64
# connections, 10 s per endpoint, all in one run. Reports figures and the
# goals of SPEC §10 beside them; a missed goal is reported, not an error.
#
# Usage: bench/run.sh   (DATABASE_URL names the PostgreSQL server to use,
# default postgres://postgres@127.0.0.1:5432; only its host, port and user
# are used: the benchmark creates and drops a database of its own.)
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION="${BENCH_DURATION:-10s}"

bench_build
bench_start
bench_seed
USAGE_BEFORE="$(sql "SELECT count(*) FROM api_requests")"

# --------------------------------------------------------------------- run
# wrk's latency with its unit → milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

# Waits until the usage writer has written what the last run left queued
# (the count of rows stops moving), so each run has the machine to itself.
settle() {
    local rows=-1 now
    for _ in $(seq 1 60); do
        now="$(sql "SELECT count(*) FROM api_requests")"
        [[ "$now" == "$rows" ]] && return 0
        rows=$now
        sleep 0.5
    done
}

declare -A RPS P50 P99 NON2XX SOCKERR TOTAL
measure() { # key path [header]
    local key=$1 path=$2 header=${3:-}
    local out="$WORK/wrk-$key.txt"
    settle
    say "wrk $path"
    if [[ -n "$header" ]]; then
        wrk -t2 -c$CONNECTIONS -d"$DURATION" --latency -H "$header" "$BASE$path" >"$out"
    else
        wrk -t2 -c$CONNECTIONS -d"$DURATION" --latency "$BASE$path" >"$out"
    fi
    RPS[$key]="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")"
    P50[$key]="$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")"
    P99[$key]="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
    NON2XX[$key]="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")"
    NON2XX[$key]="${NON2XX[$key]:-0}"
    SOCKERR[$key]="$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")"
    SOCKERR[$key]="${SOCKERR[$key]:-0}"
    TOTAL[$key]="$(awk '/requests in/ { print $1 }' "$out")"
}

AUTH="Authorization: Bearer $TOKEN"
measure healthz /healthz
measure readyz /readyz
measure token /v2/token "$AUTH"
measure contact "/v2/contacts/$CONTACT" "$AUTH"
measure list "$LIST" "Cookie: pi_session=$SESSION"

# --------------------------------------------------------------- usage, RSS
RSS_KB="$(rss_kb "$SERVER_PID")"

# What recording usage costs: the same call on a second instance of the same
# database with USAGE_RECORDING=false (for benchmarks only).
say "starting a second instance without usage recording"
bench_serve USAGE_RECORDING=false
QUIET_PID=$STARTED_PID
# The first server stays up but idle; only the quiet one is measured now.
MAIN_BASE="$BASE"
BASE=$STARTED_BASE
measure quiet "/v2/contacts/$CONTACT" "$AUTH"
BASE="$MAIN_BASE"
kill "$QUIET_PID" 2>/dev/null || true
wait "$QUIET_PID" 2>/dev/null || true
QUIET_PID=""
ANSWERED=$((TOTAL[token] + TOTAL[contact]))
# The writer flushes every 250 ms; wait until the count stops moving.
settle
WRITTEN=$(($(sql "SELECT count(*) FROM api_requests") - USAGE_BEFORE))

# ------------------------------------------------------------------ report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }'; }
goal() { if [[ "$1" == 1 ]]; then echo "met"; else echo "NOT MET"; fi; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? 1 : 0 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? 1 : 0 }'; }

R_TOKEN="$(ratio "${RPS[token]}" "${RPS[healthz]}")"
R_CONTACT="$(ratio "${RPS[contact]}" "${RPS[readyz]}")"
R_LIST="$(ratio "${RPS[list]}" "${RPS[readyz]}")"
# How much slower the call is with usage recorded than without, in percent.
R_RECORDING="$(awk -v on="${RPS[contact]}" -v off="${RPS[quiet]}" 'BEGIN { printf "%.0f", (off > 0 ? 100 * (off - on) / off : 0) }')"
ERRORS=0
for k in healthz readyz token contact list quiet; do
    ERRORS=$((ERRORS + NON2XX[$k] + SOCKERR[$k]))
done
RSS_MB=$((RSS_KB / 1024))
# wrk stops counting with up to one request per connection still in
# flight, which the server may have answered (and recorded) all the same.
IN_FLIGHT=$((2 * CONNECTIONS))
USAGE_OK=$(((WRITTEN >= ANSWERED && WRITTEN - ANSWERED <= IN_FLIGHT) ? 1 : 0))

echo
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1); wrk -t2 -c$CONNECTIONS -d$DURATION"
echo
echo "| endpoint | req/s | p50 ms | p99 ms | non-2xx | socket errors |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for k in healthz readyz token contact list quiet; do
    case $k in
        healthz) name='`GET /healthz`' ;;
        readyz) name='`GET /readyz`' ;;
        token) name='`GET /v2/token`' ;;
        contact) name='`GET /v2/contacts/{id}`' ;;
        list) name='integrations list (signed in)' ;;
        quiet) name='`GET /v2/contacts/{id}`, usage recording off' ;;
    esac
    echo "| $name | ${RPS[$k]} | ${P50[$k]} | ${P99[$k]} | ${NON2XX[$k]} | ${SOCKERR[$k]} |"
done
echo
echo "| goal | figure | |"
echo "| --- | --- | --- |"
echo "| \`/v2/token\` ≥ 70 % of \`/healthz\` | ${R_TOKEN} % | $(goal "$(ge "$R_TOKEN" 70)") |"
echo "| \`/v2/token\` p99 < 10 ms | ${P99[token]} ms | $(goal "$(lt "${P99[token]}" 10)") |"
echo "| \`/v2/contacts/{id}\` ≥ 70 % of \`/readyz\` | ${R_CONTACT} % | $(goal "$(ge "$R_CONTACT" 70)") |"
echo "| list page ≥ 40 % of \`/readyz\` | ${R_LIST} % | $(goal "$(ge "$R_LIST" 40)") |"
echo "| recording usage costs \`/v2/contacts/{id}\` < 10 % | ${R_RECORDING} % | $(goal "$(lt "$R_RECORDING" 10)") |"
echo "| zero non-2xx, zero socket errors | $ERRORS | $(goal "$((ERRORS == 0 ? 1 : 0))") |"
echo "| usage rows written = API requests answered | $WRITTEN written, $ANSWERED counted by wrk | $(goal "$USAGE_OK") |"
echo "| server RSS after the run < 150 MB | $RSS_MB MB | $(goal "$(lt "$RSS_MB" 150)") |"
if [[ -s "$SERVER_LOG" ]]; then
    echo
    echo "Server log, warnings and errors only (last 10 lines):"
    tail -n 10 "$SERVER_LOG"
fi
