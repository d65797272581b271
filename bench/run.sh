#!/usr/bin/env bash
# Benchmark: a release build on its own fresh database, seeded with one
# account, 50 integrations and 1,000 contacts, measured with wrk at 64
# connections, 10 s per endpoint, all in one run: the endpoints take turns
# over several rounds; each figure is the median of its rounds and each
# ratio the median of the rounds' own ratios, so a machine whose speed
# drifts during the run moves both sides of a ratio alike.
# Reports figures and the goals of SPEC §10 beside them; a missed goal is
# reported, not an error.
#
# Usage: bench/run.sh   (DATABASE_URL names the PostgreSQL server to use,
# default postgres://postgres@127.0.0.1:5432; only its host, port and user
# are used: the benchmark creates and drops a database of its own.
# BENCH_DURATION=10s is each wrk run, BENCH_ROUNDS=5 the rounds.)
set -euo pipefail

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
DURATION="${BENCH_DURATION:-10s}"
ROUNDS="${BENCH_ROUNDS:-5}"
KEYS=(healthz readyz token contact quiet list)

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

# Per endpoint and round ("token 2"): req/s, latencies, errors, requests.
declare -A RPS P50 P99 NON2XX SOCKERR TOTAL
measure() { # key round base path [header]
    local key=$1 round=$2 base=$3 path=$4 header=${5:-}
    local out="$WORK/wrk-$key-$round.txt" at="$1 $2"
    settle
    say "round $round: wrk $path"
    if [[ -n "$header" ]]; then
        wrk -t2 -c$CONNECTIONS -d"$DURATION" --latency -H "$header" "$base$path" >"$out"
    else
        wrk -t2 -c$CONNECTIONS -d"$DURATION" --latency "$base$path" >"$out"
    fi
    RPS[$at]="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")"
    P50[$at]="$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")"
    P99[$at]="$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")"
    NON2XX[$at]="$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")"
    NON2XX[$at]="${NON2XX[$at]:-0}"
    SOCKERR[$at]="$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")"
    SOCKERR[$at]="${SOCKERR[$at]:-0}"
    TOTAL[$at]="$(awk '/requests in/ { print $1 }' "$out")"
}

# What recording usage costs: the same call on a second instance of the same
# database with USAGE_RECORDING=false (for benchmarks only). It idles while
# the first is measured, and the other way round.
say "starting a second instance without usage recording"
bench_serve USAGE_RECORDING=false
QUIET_PID=$STARTED_PID
QUIET_BASE=$STARTED_BASE

AUTH="Authorization: Bearer $TOKEN"
for round in $(seq 1 "$ROUNDS"); do
    measure healthz "$round" "$BASE" /healthz
    measure readyz "$round" "$BASE" /readyz
    measure token "$round" "$BASE" /v2/token "$AUTH"
    measure contact "$round" "$BASE" "/v2/contacts/$CONTACT" "$AUTH"
    measure quiet "$round" "$QUIET_BASE" "/v2/contacts/$CONTACT" "$AUTH"
    measure list "$round" "$BASE" "$LIST" "Cookie: pi_session=$SESSION"
done

# --------------------------------------------------------------- usage, RSS
RSS_KB="$(rss_kb "$SERVER_PID")"
kill "$QUIET_PID" 2>/dev/null || true
wait "$QUIET_PID" 2>/dev/null || true
ANSWERED=0
for round in $(seq 1 "$ROUNDS"); do
    ANSWERED=$((ANSWERED + ${TOTAL[token $round]} + ${TOTAL[contact $round]}))
done
# The writer flushes every 250 ms; wait until the count stops moving.
settle
WRITTEN=$(($(sql "SELECT count(*) FROM api_requests") - USAGE_BEFORE))

# ------------------------------------------------------------------ report
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }'; }
goal() { if [[ "$1" == 1 ]]; then echo "met"; else echo "NOT MET"; fi; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? 1 : 0 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? 1 : 0 }'; }
# The median of the numbers given.
median() { # format number...
    local format=$1
    shift
    printf '%s\n' "$@" | sort -g | awk -v f="$format" '{ v[NR] = $1 }
        END { printf f, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# One figure of an endpoint over the rounds: `rounds RPS token`.
rounds() {
    local -n figures=$1
    local key=$2 round values=()
    for round in $(seq 1 "$ROUNDS"); do values+=("${figures[$key $round]}"); done
    printf '%s\n' "${values[@]}"
}
declare -A M_RPS M_P50 M_P99 ERR
for k in "${KEYS[@]}"; do
    # shellcheck disable=SC2046
    M_RPS[$k]="$(median %.0f $(rounds RPS "$k"))"
    # shellcheck disable=SC2046
    M_P50[$k]="$(median %.2f $(rounds P50 "$k"))"
    # shellcheck disable=SC2046
    M_P99[$k]="$(median %.2f $(rounds P99 "$k"))"
    ERR[$k]=0
    for round in $(seq 1 "$ROUNDS"); do
        ERR[$k]=$((${ERR[$k]} + ${NON2XX[$k $round]} + ${SOCKERR[$k $round]}))
    done
done

# A ratio is taken within each round, between runs minutes apart, and the
# median of the rounds' ratios reported: `paired ratio token healthz`.
paired() {
    local how=$1 a=$2 b=$3 round values=()
    for round in $(seq 1 "$ROUNDS"); do
        values+=("$("$how" "${RPS[$a $round]}" "${RPS[$b $round]}")")
    done
    median %.0f "${values[@]}"
}
# How much slower the call is with usage recorded than without, in percent.
slower() { awk -v on="$1" -v off="$2" 'BEGIN { printf "%.0f", (off > 0 ? 100 * (off - on) / off : 0) }'; }
R_TOKEN="$(paired ratio token healthz)"
R_CONTACT="$(paired ratio contact readyz)"
R_LIST="$(paired ratio list readyz)"
R_RECORDING="$(paired slower contact quiet)"
ERRORS=0
for k in "${KEYS[@]}"; do
    ERRORS=$((ERRORS + ${ERR[$k]}))
done
RSS_MB=$((RSS_KB / 1024))
# wrk stops counting with up to one request per connection still in
# flight, which the server may have answered (and recorded) all the same:
# two recorded endpoints a round.
IN_FLIGHT=$((2 * ROUNDS * CONNECTIONS))
USAGE_OK=$(((WRITTEN >= ANSWERED && WRITTEN - ANSWERED <= IN_FLIGHT) ? 1 : 0))

echo
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1); wrk -t2 -c$CONNECTIONS -d$DURATION; medians of $ROUNDS rounds"
echo
name_of() {
    case $1 in
        healthz) echo '`GET /healthz`' ;;
        readyz) echo '`GET /readyz`' ;;
        token) echo '`GET /v2/token`' ;;
        contact) echo '`GET /v2/contacts/{id}`' ;;
        list) echo 'integrations list (signed in)' ;;
        quiet) echo '`GET /v2/contacts/{id}`, usage recording off' ;;
    esac
}
echo "| endpoint | req/s | p50 ms | p99 ms | non-2xx + socket errors | req/s by round |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
for k in "${KEYS[@]}"; do
    echo "| $(name_of "$k") | ${M_RPS[$k]} | ${M_P50[$k]} | ${M_P99[$k]} | ${ERR[$k]} | $(rounds RPS "$k" | paste -sd' ') |"
done
echo
echo "| goal | figure | |"
echo "| --- | --- | --- |"
echo "| \`/v2/token\` ≥ 70 % of \`/healthz\` | ${R_TOKEN} % | $(goal "$(ge "$R_TOKEN" 70)") |"
echo "| \`/v2/token\` p99 < 10 ms | ${M_P99[token]} ms | $(goal "$(lt "${M_P99[token]}" 10)") |"
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
