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

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/private-integrations"
SERVER_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432}"
# The server part of the URL: scheme, user and host, without a database name.
SERVER_URL="$(printf '%s' "$SERVER_URL" | sed -E 's#^(postgres(ql)?://[^/]+).*#\1#')"
DB_NAME="pi_bench_$$_$(date +%s)"
DB_URL="$SERVER_URL/$DB_NAME"
ADMIN_URL="$SERVER_URL/postgres"
DURATION="${BENCH_DURATION:-10s}"
CONNECTIONS=64
EMAIL="bench@example.test"
PASSWORD="benchmark password $(date +%s%N)"
WORK="$(mktemp -d)"
SERVER_PID=""
QUIET_PID=""

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "$SERVER_PID" "$QUIET_PID"; do
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    psql "$ADMIN_URL" -qAtc "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() { printf '==> %s\n' "$*" >&2; }
sql() { psql "$DB_URL" -v ON_ERROR_STOP=1 -qAtc "$1"; }

# ---------------------------------------------------------------- build, wrk
say "building the release binary"
(cd "$ROOT" && cargo build --release --quiet)

if ! command -v wrk >/dev/null; then
    say "installing wrk"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get install -y -q wrk >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q wrk >/dev/null; }
    else
        sudo apt-get install -y -q wrk >/dev/null || { sudo apt-get update -q >/dev/null && sudo apt-get install -y -q wrk >/dev/null; }
    fi
fi

# ------------------------------------------------------------------ server
say "creating database $DB_NAME"
psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -qAtc "CREATE DATABASE \"$DB_NAME\"" >/dev/null
DATABASE_URL="$DB_URL" "$BIN" migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; exit 1; }

PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
say "starting the server on $BASE"
DATABASE_URL="$DB_URL" LISTEN_ADDR="127.0.0.1:$PORT" RUST_LOG=warn \
    API_RATE_LIMIT_BURST=100000000 "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done
curl -fs "$BASE/readyz" >/dev/null

# -------------------------------------------------------------------- seed
say "seeding: 1 account and owner, 50 integrations, 1,000 contacts"
printf '%s\n' "$PASSWORD" | DATABASE_URL="$DB_URL" "$BIN" create-admin \
    --account "Benchmark" --email "$EMAIL" >/dev/null

JAR="$WORK/cookies"
csrf_of() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1; }
urlencode() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

csrf="$(curl -fs -c "$JAR" -b "$JAR" "$BASE/login" | csrf_of)"
curl -fs -o /dev/null -c "$JAR" -b "$JAR" \
    --data-urlencode "csrf_token=$csrf" --data-urlencode "email=$EMAIL" \
    --data-urlencode "password=$PASSWORD" "$BASE/login"
SESSION="$(awk '$6 == "pi_session" { print $7 }' "$JAR")"
[[ -n "$SESSION" ]] || { say "sign-in failed"; exit 1; }

LIST="/settings/private-integrations"
# Every integration through the panel, as a person would create it; the last
# one's token, read off the reveal page, is the one the API is measured with.
TOKEN=""
for i in $(seq 1 50); do
    csrf="$(curl -fs -c "$JAR" -b "$JAR" "$BASE$LIST/new" | csrf_of)"
    reveal="$(curl -fs -o /dev/null -w '%{redirect_url}' -c "$JAR" -b "$JAR" \
        --data-urlencode "csrf_token=$csrf" --data-urlencode "name=Integration $i" \
        --data-urlencode "description=Seeded for the benchmark" \
        --data-urlencode "lifetime_days=" \
        --data-urlencode "scopes=contacts.readonly" \
        "$BASE$LIST")"
    [[ "$reveal" == *"/token" ]] || { say "creating integration $i failed"; exit 1; }
    if [[ $i -eq 50 ]]; then
        TOKEN="$(curl -fs -c "$JAR" -b "$JAR" "$reveal" \
            | sed -n 's/.*<code id="access-token">[[:space:]]*\([^<[:space:]]*\).*/\1/p' | head -n 1)"
    fi
done
[[ "$TOKEN" == pit_* ]] || { say "no token on the reveal page"; exit 1; }

ACCOUNT="$(sql "SELECT id FROM accounts LIMIT 1")"
sql "INSERT INTO contacts (account_id, first_name, name, email)
     SELECT '$ACCOUNT', 'Contact ' || n, 'Contact ' || n, 'contact' || n || '@example.com'
     FROM generate_series(1, 1000) AS n" >/dev/null
# Statistics as autovacuum would have gathered them by now on a running
# server: without them the planner takes the freshly filled contacts table
# for empty and looks a contact up by account, reading half the table.
sql "ANALYZE" >/dev/null
CONTACT="$(sql "SELECT id FROM contacts WHERE account_id = '$ACCOUNT' ORDER BY id OFFSET 500 LIMIT 1")"
status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/v2/contacts/$CONTACT")"
[[ "$status" == 200 ]] || { say "GET /v2/contacts/{id} answered $status"; exit 1; }
USAGE_BEFORE="$(sql "SELECT count(*) FROM api_requests")"

# --------------------------------------------------------------------- run
# wrk's latency with its unit → milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

declare -A RPS P50 P99 NON2XX SOCKERR TOTAL
measure() { # key path [header]
    local key=$1 path=$2 header=${3:-}
    local out="$WORK/wrk-$key.txt"
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
RSS_KB="$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")"

# What recording usage costs: the same call on a second instance of the same
# database with USAGE_RECORDING=false (for benchmarks only).
QUIET_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
say "starting a second instance without usage recording on port $QUIET_PORT"
DATABASE_URL="$DB_URL" LISTEN_ADDR="127.0.0.1:$QUIET_PORT" RUST_LOG=warn USAGE_RECORDING=false \
    API_RATE_LIMIT_BURST=100000000 "$BIN" serve >"$WORK/quiet.log" 2>&1 &
QUIET_PID=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$QUIET_PORT/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
# The first server stays up but idle; only the quiet one is measured now.
MAIN_BASE="$BASE"
BASE="http://127.0.0.1:$QUIET_PORT"
measure quiet "/v2/contacts/$CONTACT" "$AUTH"
BASE="$MAIN_BASE"
kill "$QUIET_PID" 2>/dev/null || true
wait "$QUIET_PID" 2>/dev/null || true
QUIET_PID=""
ANSWERED=$((TOTAL[token] + TOTAL[contact]))
# The writer flushes every 250 ms; wait until the count stops moving.
rows=-1
for _ in $(seq 1 60); do
    now="$(sql "SELECT count(*) FROM api_requests")"
    [[ "$now" == "$rows" ]] && break
    rows=$now
    sleep 0.5
done
WRITTEN=$((rows - USAGE_BEFORE))

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
if [[ -s "$WORK/server.log" ]]; then
    echo
    echo "Server log, warnings and errors only (last 10 lines):"
    tail -n 10 "$WORK/server.log"
fi
