#!/usr/bin/env bash
# Switchovers without client errors (issue 10): paused switchovers (PgBouncer's app paused around the handover, the
# default) and plain ones (Patroni alone), alternating in one stack (fast timing, synchronous mode on), then crash
# drills with fencing on (the pooled path goes straight to the leader). JSON lands in bench/drills/results/.
# Usage: [HASTACK_PG=18|17|15] bench/drills/switchover.sh [rounds=10] [crash rounds=20]
source "$(dirname "$0")/common.sh"
rounds=${1:-10}
crashes=${2:-20}
drillbench switchover --kind switchover --switchover paused,plain --rounds "$rounds" --timing fast --sync on
[ "$crashes" = 0 ] || drillbench crash-direct-pooled --kind crash --rounds "$crashes" --timing fast --sync on --fencing on
machine_line
