# Shared by the benchmark scripts (sourced, not run): a release build on a
# fresh database of its own, the server started on a free port of
# 127.0.0.1, and the seed — one account and owner signed in through the
# panel, 50 integrations made through its form, 1,000 contacts. Everything
# started is stopped and the database dropped on exit, Ctrl-C included.
#
# DATABASE_URL names the PostgreSQL server to use, default
# postgres://postgres@127.0.0.1:5432; only its host, port and user are used.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET_DIR/release/private-integrations"
SERVER_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432}"
# The server part of the URL: scheme, user and host, without a database name.
SERVER_URL="$(printf '%s' "$SERVER_URL" | sed -E 's#^(postgres(ql)?://[^/]+).*#\1#')"
DB_NAME="pi_bench_$$_$(date +%s)"
DB_URL="$SERVER_URL/$DB_NAME"
ADMIN_URL="$SERVER_URL/postgres"
CONNECTIONS=64
EMAIL="bench@example.test"
PASSWORD="benchmark password $(date +%s%N)"
LIST="/settings/private-integrations"
WORK="$(mktemp -d)"
JAR="$WORK/cookies"
# Processes to stop on exit.
PIDS=()

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
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
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
csrf_of() { sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n 1; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# The release binary, and wrk (from the Debian package) if it is missing.
bench_build() {
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
}

# Starts an instance on the database, with any extra VAR=value given;
# sets STARTED_PID and STARTED_BASE once it answers.
bench_serve() {
    local port log
    port="$(free_port)"
    log="$WORK/server-$port.log"
    env DATABASE_URL="$DB_URL" LISTEN_ADDR="127.0.0.1:$port" RUST_LOG=warn \
        API_RATE_LIMIT_BURST=100000000 "$@" "$BIN" serve >"$log" 2>&1 &
    STARTED_PID=$!
    PIDS+=("$STARTED_PID")
    STARTED_BASE="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
        curl -fs "$STARTED_BASE/healthz" >/dev/null 2>&1 && return 0
        kill -0 "$STARTED_PID" 2>/dev/null || { cat "$log" >&2; exit 1; }
        sleep 0.1
    done
    say "the server on $STARTED_BASE did not answer"
    exit 1
}

# The database, migrated, and the server on it: sets SERVER_PID, BASE and
# SERVER_LOG.
bench_start() {
    say "creating database $DB_NAME"
    psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -qAtc "CREATE DATABASE \"$DB_NAME\"" >/dev/null
    DATABASE_URL="$DB_URL" "$BIN" migrate >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; exit 1; }
    bench_serve
    SERVER_PID=$STARTED_PID
    BASE=$STARTED_BASE
    SERVER_LOG="$WORK/server-${BASE##*:}.log"
    say "the server is on $BASE"
    curl -fs "$BASE/readyz" >/dev/null
}

# Creates an integration through the panel's form with the given scopes;
# prints the reveal page's address.
create_integration() { # name scope...
    local name=$1 csrf reveal
    shift
    local fields=()
    for scope in "$@"; do fields+=(--data-urlencode "scopes=$scope"); done
    csrf="$(curl -fs -c "$JAR" -b "$JAR" "$BASE$LIST/new" | csrf_of)"
    reveal="$(curl -fs -o /dev/null -w '%{redirect_url}' -c "$JAR" -b "$JAR" \
        --data-urlencode "csrf_token=$csrf" --data-urlencode "name=$name" \
        --data-urlencode "description=Seeded for the benchmark" \
        --data-urlencode "lifetime_days=" "${fields[@]}" "$BASE$LIST")"
    [[ "$reveal" == *"/token" ]] || { say "creating integration $name failed"; exit 1; }
    printf '%s\n' "$reveal"
}

# The owner signed in (SESSION), 50 integrations through the panel, the
# last one's token read off its reveal page (TOKEN, with the scopes in
# API_SCOPES, default contacts.readonly), 1,000 contacts (ACCOUNT, CONTACT
# one of them).
bench_seed() {
    local reveal
    say "seeding: 1 account and owner, 50 integrations, 1,000 contacts"
    printf '%s\n' "$PASSWORD" | DATABASE_URL="$DB_URL" "$BIN" create-admin \
        --account "Benchmark" --email "$EMAIL" >/dev/null
    csrf="$(curl -fs -c "$JAR" -b "$JAR" "$BASE/login" | csrf_of)"
    curl -fs -o /dev/null -c "$JAR" -b "$JAR" \
        --data-urlencode "csrf_token=$csrf" --data-urlencode "email=$EMAIL" \
        --data-urlencode "password=$PASSWORD" "$BASE/login"
    SESSION="$(awk '$6 == "pi_session" { print $7 }' "$JAR")"
    [[ -n "$SESSION" ]] || { say "sign-in failed"; exit 1; }

    for i in $(seq 1 49); do
        create_integration "Integration $i" contacts.readonly >/dev/null
    done
    reveal="$(create_integration "Integration 50" "${API_SCOPES[@]:-contacts.readonly}")"
    TOKEN="$(curl -fs -c "$JAR" -b "$JAR" "$reveal" \
        | sed -n 's/.*<code id="access-token">[[:space:]]*\([^<[:space:]]*\).*/\1/p' | head -n 1)"
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
    local status
    status="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$BASE/v2/contacts/$CONTACT")"
    [[ "$status" == 200 ]] || { say "GET /v2/contacts/{id} answered $status"; exit 1; }
}
