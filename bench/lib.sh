# Shared helpers of the benchmark scripts (sourced, not run). They start the real stack with `dotnet run` of the
# AppHost, exactly as scripts/start.sh does, and wait for its "HaStack is ready" line.
set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BASE_IMAGE=$("$BENCH_ROOT/scripts/prepare.sh" trixie forky bookworm)
# The platform under test: HASTACK_PG=18 (default: PostgreSQL 18 / Patroni 4.1), 17 (PostgreSQL 17 / Patroni 4.0) or 15 (PostgreSQL 15 / Patroni 3.0).
HASTACK_PG=${HASTACK_PG:-18}
APPHOST_PID=""
APPHOST_LOG=""

# start_stack [AppHost args…]: starts the stack in the background; sets APPHOST_PID, APPHOST_LOG, START_NS.
start_stack() {
  APPHOST_LOG=$(mktemp /tmp/hastack-bench-apphost.XXXX.log)
  START_NS=$(date +%s%N)
  (cd "$BENCH_ROOT" && exec dotnet run --project AppHost --launch-profile http -- \
      --HaStack:BaseImage="$BASE_IMAGE" --HaStack:PostgresVersion="$HASTACK_PG" --HaStack:Grafana=false \
      --HaStack:Persistent=false "$@") >"$APPHOST_LOG" 2>&1 &
  APPHOST_PID=$!
  trap stop_stack EXIT
}

# wait_ready [timeout s]: prints seconds from start_stack until every resource is healthy.
wait_ready() {
  local deadline=$(( $(date +%s) + ${1:-900} ))
  until grep -q "HaStack is ready" "$APPHOST_LOG"; do
    if ! kill -0 "$APPHOST_PID" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then
      echo "the stack did not become ready; log: $APPHOST_LOG" >&2; tail -20 "$APPHOST_LOG" >&2; return 1
    fi
    sleep 0.2
  done
  echo "scale=1; ($(date +%s%N) - START_NS) / 1000000000" | sed "s/START_NS/$START_NS/" | bc
}

stop_stack() {
  [ -n "$APPHOST_PID" ] || return 0
  # The AppHost is `dotnet run`'s child: stop both, then wait until the containers are gone.
  pkill -TERM -P "$APPHOST_PID" 2>/dev/null || true
  kill -TERM "$APPHOST_PID" 2>/dev/null || true
  wait "$APPHOST_PID" 2>/dev/null || true
  for _ in $(seq 1 60); do
    [ -z "$(docker ps -aq --filter "name=hastack-" --filter "name=pgbouncer-" --filter "name=router-")" ] && break
    sleep 1
  done
  APPHOST_PID=""
}

# container <resource>: the Docker container of a resource of the running stack (pg-1, router, pgbouncer…).
container() {
  docker ps --format '{{.Names}}' | grep -E "^(hastack-[0-9a-f]{8}-$1|$1-[a-z]{8})$" | head -1
}

# rest CONTAINER PATH [curl args…]: GET Patroni's REST API inside a node's container (HTTPS, verified, unless
# HaStack:Tls=off).
rest() {
  local c=$1 path=$2; shift 2
  docker exec "$c" sh -c 'if [ -f /tmp/tls/ca.crt ]; then exec curl -s --cacert /tmp/tls/ca.crt "$@" "https://localhost:8008/$0"; else exec curl -s "$@" "http://localhost:8008/$0"; fi' "$path" "$@"
}

# tls: "TLS on|required|off", as the running stack's pg-1 has it.
tls() { echo "TLS $(docker exec "$(container pg-1)" printenv HASTACK_TLS 2>/dev/null || echo off)"; }

# leader: the name of the Patroni leader, asked of pg-1's REST API.
leader() {
  rest "$(container pg-1)" cluster | python3 -c \
    'import sys,json; print(next(m["name"] for m in json.load(sys.stdin)["members"] if m["role"] == "leader"))'
}


# pgbench_setup: sets leader_name, leader_c, client_c (a replica's container, where pgbench runs) and pw (the app
# password), defines bench() (pgbench as app in client_c) and initialises pgbench's tables at scale 10.
pgbench_setup() {
  leader_name=$(leader)
  leader_c=$(container "$leader_name")
  client_c=$(container "$(rest "$leader_c" cluster | python3 -c \
    'import sys,json; print(next(m["name"] for m in json.load(sys.stdin)["members"] if m["role"] != "leader"))')")
  pw=$(docker exec "$leader_c" printenv HASTACK_APP_PASSWORD)
  bench() { docker exec -e PGPASSWORD="$pw" "$client_c" pgbench -U app "$@"; }
  bench -h "$leader_name" -p 5432 -i -s 10 -q app >/dev/null 2>&1
}

# platform: what runs, as the running stack reports it (PostgreSQL and Patroni versions, effective timing).
platform() {
  local c; c=$(container pg-1)
  local pg patroni timing
  pg=$(docker exec "$c" psql -Atq -c "SHOW server_version" 2>/dev/null | cut -d' ' -f1)
  patroni=$(rest "$c" patroni | python3 -c 'import sys,json; print(json.load(sys.stdin)["patroni"]["version"])')
  timing=$(rest "$c" config | python3 -c \
    'import sys,json; c=json.load(sys.stdin); print("ttl %s / loop_wait %s / retry_timeout %s, synchronous_mode %s" % (c["ttl"], c["loop_wait"], c["retry_timeout"], c.get("synchronous_mode")))')
  echo "PostgreSQL $pg, Patroni $patroni, $timing, $(tls)"
}

machine() {
  echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), $(uname -r), Docker $(docker version --format '{{.Server.Version}}')"
}

# The sample (samples/, HaStack as a package), run outside the tree as a team would: sample_build DIR copies it into
# DIR/samples (no bin/obj) and builds it from its local feed, DIR/artifacts/packages (fill it first with
# scripts/pack.sh DIR/artifacts/packages); sets SAMPLE_DIR.
SAMPLE_DIR=""
SAMPLE_PID=""
sample_build() {
  rm -rf "$1/samples" && mkdir -p "$1/samples"
  (cd "$BENCH_ROOT/samples" && tar --exclude=bin --exclude=obj -cf - .) | tar -C "$1/samples" -xf -
  SAMPLE_DIR="$1/samples"
  dotnet build "$SAMPLE_DIR/OrdersApp.slnx" -v quiet -nologo >"$1/build.log" 2>&1 || { echo "the sample did not build; see $1/build.log" >&2; return 1; }
}

# sample_start LOG [VAR=value…]: runs the built sample's AppHost in the background with the variables (e.g.
# Orders__Retry=false, Sample__Database=postgres); sets SAMPLE_PID. Its API answers on :5280, its drills on :5290.
sample_start() {
  local log=$1; shift
  (cd "$SAMPLE_DIR/OrdersApp.AppHost/bin/Debug/net10.0" && exec env HaStack__BaseImage="$BASE_IMAGE" ASPNETCORE_URLS=http://localhost:15280 \
     DOTNET_ENVIRONMENT=Development ASPIRE_ALLOW_UNSECURED_TRANSPORT=true ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://localhost:19280 \
     ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:20280 "$@" dotnet OrdersApp.AppHost.dll) >>"$log" 2>&1 &
  SAMPLE_PID=$!
}

# sample_wait URL LOG [timeout s]: until URL answers; fails naming the log when the sample exits or time runs out.
sample_wait() {
  local deadline=$(( $(date +%s) + ${3:-900} ))
  until curl -sf -o /dev/null "$1"; do
    if ! kill -0 "$SAMPLE_PID" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then echo "the sample did not answer $1; log: $2" >&2; return 1; fi
    sleep 0.2
  done
}

# sample_drill SECRET KIND OUT: runs a drill through the sample's drill add-on (:5290) into OUT, asking again while
# it is refused (412: the cluster is still healing); prints the HTTP status, the outcome and the reason.
sample_drill() {
  local code
  for _ in $(seq 1 60); do
    code=$(curl -s -o "$3" -w '%{http_code}' -X POST -H "Authorization: Bearer $1" "http://localhost:5290/drills/$2?wait=true")
    [ "$code" = 412 ] || break
    sleep 3
  done
  echo "HTTP $code, $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r.get("outcome"), r.get("reason") or "")' "$3" 2>/dev/null)"
}

# sample_stop: stops the sample's AppHost and waits until its containers are gone.
sample_stop() {
  [ -n "$SAMPLE_PID" ] || return 0
  kill -TERM "$SAMPLE_PID" 2>/dev/null || true
  wait "$SAMPLE_PID" 2>/dev/null || true
  for _ in $(seq 1 60); do [ -z "$(docker ps -aq --filter "name=db-" --filter "name=orders-postgres")" ] && break; sleep 1; done
  SAMPLE_PID=""
}
