#!/usr/bin/env bash
# Fault drills and chaos soaks (issue 9). Each case starts its own stack (fast timing) through the AppHost and runs
# with the drill's own runner: every kind round-robin for N rounds in synchronous mode, then a chaos soak in
# synchronous mode and one in asynchronous mode (synchronous_mode off), each with the same seed.
# JSON per case lands in bench/drills/results/; the console shows per-drill lines, per-fault tables and summaries.
# Usage: [HASTACK_PG=17|15] bench/drills/faults.sh [rounds=10] [sync-soak=30m] [async-soak=10m] [seed=9]
# A value of 0 skips that case.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export HaStack__BaseImage=$(scripts/prepare.sh trixie bookworm)
pg=${HASTACK_PG:-17}
rounds=${1:-10} sync_soak=${2:-30m} async_soak=${3:-10m} seed=${4:-9}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export Logging__LogLevel__Default=Warning
mkdir -p bench/drills/results
dotnet build bench/drills/DrillBench -c Release -v q -nologo >/dev/null
bench() { # name, DrillBench args…
  local name=$1; shift
  echo "== $name ($(date -u +%FT%TZ))"
  flock /tmp/hastack-cluster.lock dotnet bench/drills/DrillBench/bin/Release/net10.0/DrillBench.dll "$@" \
    --version "$pg" --out "bench/drills/results/$name-pg$pg.json" || echo "($name: not everything passed, see above)"
}
[ "$rounds" = 0 ] || bench faults-fast --kind all --rounds "$rounds" --timing fast --sync on
[ "$sync_soak" = 0 ] || bench soak-sync-fast --chaos "$sync_soak" --seed "$seed" --timing fast --sync on
[ "$async_soak" = 0 ] || bench soak-async-fast --chaos "$async_soak" --seed "$seed" --timing fast --sync off
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), Docker $(docker version --format '{{.Server.Version}}')"
