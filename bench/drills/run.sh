#!/usr/bin/env bash
# FailoverDrill benchmarks (issue 4): each case starts its own stack (fast or default Patroni timing, synchronous
# mode on) through the AppHost, runs the drills in a row with the drill's own runner, and prints per-drill lines and a
# min / median / p95 / max summary. JSON per case lands in bench/drills/results/.
# Usage: [HASTACK_PG=17|15] bench/drills/run.sh [crash-fast-rounds=20] [crash-default-rounds=5] [switchover-rounds=10]
# A count of 0 skips that case.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export HaStack__BaseImage=$(scripts/prepare.sh trixie bookworm)
# The platform: HASTACK_PG=17 (default) or 15.
pg=${HASTACK_PG:-17}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# The AppHost (in-process under the testing builder) logs every resource line otherwise; keep the drill lines readable.
export Logging__LogLevel__Default=Warning
mkdir -p bench/drills/results
dotnet build bench/drills/DrillBench -c Release -v q -nologo >/dev/null
bench() { # name, DrillBench args…
  local name=$1; shift
  echo "== $name"
  # One stack at a time on this machine: the same lock the tests take.
  flock /tmp/hastack-cluster.lock dotnet bench/drills/DrillBench/bin/Release/net10.0/DrillBench.dll "$@" \
    --version "$pg" --out "bench/drills/results/$name-pg$pg.json" || echo "($name: some drills did not pass, see above)"
}
[ "${1:-20}" = 0 ] || bench crash-fast --kind crash --rounds "${1:-20}" --timing fast --sync on
[ "${2:-5}" = 0 ] || bench crash-default --kind crash --rounds "${2:-5}" --timing default --sync on
[ "${3:-10}" = 0 ] || bench switchover-fast --kind switchover --rounds "${3:-10}" --timing fast --sync on
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), Docker $(docker version --format '{{.Server.Version}}')"
