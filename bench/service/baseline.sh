#!/usr/bin/env bash
# The baseline people have today (issue 21): the sample API on Aspire's own single-node AddPostgres beside the same API
# on HaStack's cluster, each under a crash of its database container, in one session.
#   postgres: Sample:Database=postgres (Aspire.Hosting.PostgreSQL 13.6.5, its image built from Debian's PostgreSQL 17
#             with the official image's environment). `FailoverDrill watch` calls the API from 3 callers, kills the
#             container, leaves it down for the hold (a restart policy's or an operator's delay), starts it, and once
#             the API acknowledges orders again looks every order up in the orders table by its request id. Run without
#             and with a data volume (Sample:DataVolume); after the watches the AppHost is stopped and started again
#             (a new container), and the orders are counted before and after.
#   hastack:  the sample's own cluster; its crash drill (the leader's container killed, fenced failover; the drill
#             starts the old leader again after the failover) with the same service path: the same 3 callers, the
#             same lookup. The hold does not matter here: the replica takes over without the killed node.
# Usage: bench/service/baseline.sh [crashes per stack, default 3] [hold seconds, default 30]
source "$(dirname "$0")/../lib.sh"
runs=${1:-3}; hold=${2:-30}
work=$(mktemp -d /tmp/hastack-bench-baseline.XXXX)
secret=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
"$BENCH_ROOT/scripts/pack.sh" "$work/artifacts/packages" >/dev/null
sample_build "$work"
dotnet build "$BENCH_ROOT/FailoverDrill" -v quiet -nologo >"$work/drill-build.log" 2>&1 || { echo "FailoverDrill did not build; see $work/drill-build.log" >&2; exit 1; }
drill_dll="$BENCH_ROOT/FailoverDrill/bin/Debug/net10.0/FailoverDrill.dll"
trap 'sample_stop; rm -rf "$work/samples"' EXIT

orders_count() { # the orders the single node holds, asked in its container (up to 60 s for the API to create the table)
  local n
  for _ in $(seq 1 60); do
    n=$(docker exec -e PGPASSWORD="$password" orders-postgres psql -h localhost -U postgres -d app -Atc "SELECT count(*) FROM orders" 2>/dev/null) && { echo "$n"; return; }
    sleep 1
  done
  echo "-"
}

# The same API on a single PostgreSQL, without and with a data volume: the watches, then the AppHost restarted (a new
# container) and the orders counted before and after.
for volume in false true; do
  docker volume rm -f orders-postgres-data >/dev/null 2>&1 || true
  sample_start "$work/postgres-$volume.log" Sample__Database=postgres Sample__DataVolume="$volume" "Parameters__db-password=$password"
  sample_wait http://localhost:5280/health "$work/postgres-$volume.log"
  for i in $(seq 1 "$runs"); do
    out="$work/postgres_$volume-$i.json"
    dotnet "$drill_dll" watch --service-url http://localhost:5280 --service-table orders --service-key request_id \
      --service-body '{"customer":"hastack-baseline","amount":1,"requestId":"{key}"}' \
      --dsn "Host=localhost;Port=5291;Username=postgres;Password=$password;Database=app" \
      --container orders-postgres --hold "$hold" --json >"$out" 2>"$out.err" || true
    echo "  postgres (volume $volume) crash #$i: $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r.get("outcome"), r.get("reason") or "")' "$out" 2>/dev/null || cat "$out.err")" >&2
  done
  before=$(orders_count)
  sample_stop
  sample_start "$work/postgres-$volume.log" Sample__Database=postgres Sample__DataVolume="$volume" "Parameters__db-password=$password"
  sample_wait http://localhost:5280/health "$work/postgres-$volume.log"
  after=$(orders_count)
  echo "$volume $before $after" >>"$work/restart.txt"
  sample_stop
  docker volume rm -f orders-postgres-data >/dev/null 2>&1 || true
done

# The same API on HaStack.
sample_start "$work/hastack.log" "Parameters__db-drills-control-secret=$secret"
sample_wait http://localhost:5280/health "$work/hastack.log"
sample_wait http://localhost:5290/health "$work/hastack.log"
for i in $(seq 1 "$runs"); do
  echo "  hastack crash #$i: $(sample_drill "$secret" crash "$work/hastack-$i.json")" >&2
done
versions=$(docker exec "$(docker ps --format '{{.Names}}' | grep -E '^db-[0-9a-f]{8}-db-[0-9]+$' | head -1)" sh -c 'psql -Atq -c "SHOW server_version" 2>/dev/null | cut -d" " -f1; patroni --version 2>/dev/null' | tr '\n' ' ' || true)
sample_stop

echo "machine: $(machine)"
echo "platform: postgres: PostgreSQL 17 (Debian trixie's package) in Aspire.Hosting.PostgreSQL 13.6.5's AddPostgres; hastack: ${versions:-PostgreSQL 17, Patroni 4.0} (the sample's cluster: 1 replica, fast timing, synchronous mode on, fencing on, TLS on); hold $hold s; the API's retry on"
python3 - "$work" "$(dirname "$0")" <<'PY'
import os, sys
work = sys.argv[1]
sys.path.insert(0, sys.argv[2])
from service_cells import HEADER, cells, load

print(f"| database | crashes checked | {HEADER} |")
print("|---|---|---|---|---|---|---|---|---|")
for stack, label in (("postgres_false", "Aspire AddPostgres (1 node), no data volume"), ("postgres_true", "Aspire AddPostgres (1 node), data volume"),
                     ("hastack", "HaStack (leader + sync standby), the leader killed")):
    rs = load(os.path.join(work, f"{stack}-*.json"))
    print(f"| {label} | {sum(1 for r in rs if r.get('check'))}/{len(rs)} | {cells(rs)} |")
print()
print("AddPostgres, the AppHost stopped and started again (a new container): orders before -> after")
with open(os.path.join(work, "restart.txt")) as f:
    for line in f:
        volume, before, after = line.split()
        print(f"  {'data volume' if volume == 'true' else 'no data volume'}: {before} -> {after}")
PY
