#!/usr/bin/env bash
# FailoverDrill benchmarks (issue 4): each case starts its own stack (fast or default Patroni timing, synchronous
# mode on) through the AppHost, runs the drills in a row with the drill's own runner, and prints per-drill lines and a
# min / median / p95 / max summary. JSON per case lands in bench/drills/results/.
# Usage: [HASTACK_PG=18|17|15] bench/drills/run.sh [crash-fast-rounds=20] [crash-default-rounds=5] [switchover-rounds=10]
# A count of 0 skips that case.
source "$(dirname "$0")/common.sh"
[ "${1:-20}" = 0 ] || drillbench crash-fast --kind crash --rounds "${1:-20}" --timing fast --sync on
[ "${2:-5}" = 0 ] || drillbench crash-default --kind crash --rounds "${2:-5}" --timing default --sync on
[ "${3:-10}" = 0 ] || drillbench switchover-fast --kind switchover --rounds "${3:-10}" --timing fast --sync on
machine_line
