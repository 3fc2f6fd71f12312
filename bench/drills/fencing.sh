#!/usr/bin/env bash
# Fencing-confirmed failover vs the lease (issue 10): crash drills with HaStack:FencedFailover=on, then the same
# number with it off, one stack each (fast timing, synchronous mode on), back to back in one session.
# JSON per case lands in bench/drills/results/. Usage: [HASTACK_PG=18|17|15] bench/drills/fencing.sh [rounds=20]
source "$(dirname "$0")/common.sh"
rounds=${1:-20}
for fencing in on off; do
  drillbench "crash-fencing-$fencing" --kind crash --rounds "$rounds" --timing fast --sync on --fencing "$fencing"
done
machine_line
