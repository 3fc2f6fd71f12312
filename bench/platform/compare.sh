#!/usr/bin/env bash
# PostgreSQL 18 under Patroni 4.1 against 17 under Patroni 4.0, in one session (issue 22). Per platform, each on its
# own stack (fast timing, synchronous mode on, fencing on): paused switchovers and fenced crashes (DrillBench, JSON in
# bench/drills/results/), then pgbench TPC-B direct to the leader vs `app` (PgBouncer -> leader), interleaved.
# The versions in the tables are the ones the nodes reported, not the platform's name.
# Usage: bench/platform/compare.sh [switchovers=10] [crashes=20] [pgbench seconds=30] [pgbench rounds=2] [platforms="18 17"]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
switchovers=${1:-10}
crashes=${2:-20}
seconds=${3:-30}
rounds=${4:-2}
platforms=${5:-18 17}

for pg in $platforms; do
  (HASTACK_PG=$pg source "$root/bench/drills/common.sh"
   drillbench platform-switchover --kind switchover --switchover paused --rounds "$switchovers" --timing fast --sync on --fencing on
   drillbench platform-crash --kind crash --rounds "$crashes" --timing fast --sync on --fencing on)
done

for pg in $platforms; do
  (export HASTACK_PG=$pg
   source "$root/bench/lib.sh"
   start_stack --HaStack:Timing=fast
   echo "PostgreSQL $pg: ready after $(wait_ready) s" >&2
   pgbench_setup
   echo "platform: $(platform)"
   echo "| run | tps | latency avg (ms) | failed tx |"
   echo "|---|---|---|---|"
   for round in $(seq 1 "$rounds"); do
     for path in direct app; do
       if [ "$path" = direct ]; then target=(-h "$leader_name" -p 5432); else target=(-h pgbouncer -p 6432); fi
       out=$(bench -T "$seconds" -j 2 -c 8 -n "${target[@]}" app 2>&1) || echo "pgbench failed ($path): $out" >&2
       echo "| PostgreSQL $pg round $round: 8 clients, $path | $(echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p') | $(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p') | $(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p') |"
     done
   done
   stop_stack)
done

cd "$root"
for pg in $platforms; do
  python3 bench/drills/tables.py "bench/drills/results/platform-switchover-pg$pg.json" "bench/drills/results/platform-crash-pg$pg.json"
done
(source bench/drills/common.sh >/dev/null 2>&1; machine_line)
