#!/usr/bin/env bash
# pgbench TPC-B (scale 10): 8 clients for 60 s directly to the leader, through HAProxy alone, through `app`
# (PgBouncer -> leader, as the leader follower points it), and through PgBouncer -> HAProxy (the path before issue 10,
# set by hand for that run and put back after), then 500 clients through `app` (more than max_connections allows
# directly). Samples the replica's lag on the leader (pg_stat_replication) every 200 ms during each run. pgbench runs
# inside the replica's container, so every path starts from the same place on the container network.
# Usage: bench/cluster/pgbench.sh [seconds per run, default 60] [rounds, default 2]
source "$(dirname "$0")/../lib.sh"
duration=${1:-60}
rounds=${2:-2}

start_stack --HaStack:Timing=fast
echo "ready after $(wait_ready) s" >&2
pgbench_setup

lag_samples() { # file: samples "bytes seconds" on the leader for the run's duration
  docker exec "$leader_c" timeout "$duration" sh -c 'while :; do psql -Atq -F " " -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn), coalesce(extract(epoch FROM replay_lag), 0) FROM pg_stat_replication"; sleep 0.2; done' >"$1" 2>/dev/null
}

run() { # label, pgbench args…
  local label=$1; shift
  local lag; lag=$(mktemp)
  lag_samples "$lag" & local sampler=$!
  local out; out=$(bench -T "$duration" -j 2 -n "$@" app 2>&1) || { echo "pgbench failed ($label): $out" >&2; }
  wait "$sampler" 2>/dev/null || true
  local tps latency failed
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
  latency=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
  failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
  python3 - "$label" "$tps" "$latency" "${failed:-0}" "$lag" <<'PY'
import sys, statistics
label, tps, latency, failed, path = sys.argv[1:]
rows = [l.split() for l in open(path) if len(l.split()) == 2]
b = sorted(float(r[0]) for r in rows); s = sorted(float(r[1]) for r in rows)
def p(v, q): return v[min(len(v) - 1, int(round(q * (len(v) - 1))))] if v else float("nan")
print(f"| {label} | {tps} | {latency} | {failed} | {len(b)} | {statistics.median(b) if b else 'n/a':.0f} / {p(b,.99):.0f} / {max(b) if b else 0:.0f} | {statistics.median(s) if s else 0:.4f} / {p(s,.99):.4f} / {max(s) if s else 0:.4f} |")
PY
  rm -f "$lag"
}

echo "machine: $(machine)"
echo "platform: $(platform)"
echo "| run | tps | latency avg (ms) | failed tx | lag samples | replica lag bytes median / p99 / max | replica lag s median / p99 / max |"
echo "|---|---|---|---|---|---|---|"
# Interleaved rounds (direct, HAProxy, app, old path, again…): this shared 2-core machine drifts by ±20 % over
# minutes, so paths measured side by side within each round are compared, not one run each.
pgb=$(container pgbouncer)
for round in $(seq 1 "$rounds"); do
  run "round $round: 8 clients, direct to leader ($leader_name:5432)" -h "$leader_name" -p 5432 -c 8
  run "round $round: 8 clients, HAProxy alone (router:5000)" -h router -p 5000 -c 8
  run "round $round: 8 clients, app (PgBouncer -> leader)" -h pgbouncer -p 6432 -c 8
  # The old path, by hand: app through HAProxy's read-write port. The follower keeps its own record of the leader,
  # so it leaves this alone until the leader changes; the original file is put back right after.
  docker exec "$pgb" sh -c 'cp /tmp/pgbouncer/databases.ini /tmp/pgbouncer/databases.ini.leader &&
    sed -i "s/^app = .*/app = host=router port=5000 dbname=app/" /tmp/pgbouncer/databases.ini && /etc/pgbouncer/console.sh RELOAD'
  run "round $round: 8 clients, app via HAProxy (PgBouncer -> HAProxy, the old path)" -h pgbouncer -p 6432 -c 8
  docker exec "$pgb" sh -c 'mv /tmp/pgbouncer/databases.ini.leader /tmp/pgbouncer/databases.ini && /etc/pgbouncer/console.sh RELOAD'
done
run "500 clients, app (PgBouncer -> leader)" -h pgbouncer -p 6432 -c 500
