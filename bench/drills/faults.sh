#!/usr/bin/env bash
# Fault drills and chaos soaks (issue 9). Each case starts its own stack (fast timing) through the AppHost and runs
# with the drill's own runner: every kind round-robin for N rounds in synchronous mode, then a chaos soak in
# synchronous mode and one in asynchronous mode (synchronous_mode off), each with the same seed.
# JSON per case lands in bench/drills/results/; the console shows per-drill lines, per-fault tables and summaries.
# Usage: [HASTACK_PG=18|17|15] bench/drills/faults.sh [rounds=10] [sync-soak=30m] [async-soak=10m] [seed=9]
# A value of 0 skips that case.
source "$(dirname "$0")/common.sh"
rounds=${1:-10} sync_soak=${2:-30m} async_soak=${3:-10m} seed=${4:-9}
[ "$rounds" = 0 ] || drillbench faults-fast --kind all --rounds "$rounds" --timing fast --sync on
[ "$sync_soak" = 0 ] || drillbench soak-sync-fast --chaos "$sync_soak" --seed "$seed" --timing fast --sync on
[ "$async_soak" = 0 ] || drillbench soak-async-fast --chaos "$async_soak" --seed "$seed" --timing fast --sync off
machine_line
