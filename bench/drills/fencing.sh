#!/usr/bin/env bash
# Fencing-confirmed failover vs the lease (issue 10): crash drills with HaStack:FencedFailover=on, then the same
# number with it off, one stack each (fast timing, synchronous mode on), back to back in one session.
# JSON per case lands in bench/drills/results/. Usage: [HASTACK_PG=17|15] bench/drills/fencing.sh [rounds=20]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export HaStack__BaseImage=$(scripts/prepare.sh trixie bookworm)
pg=${HASTACK_PG:-17}
rounds=${1:-20}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export Logging__LogLevel__Default=Warning
mkdir -p bench/drills/results
dotnet build bench/drills/DrillBench -c Release -v q -nologo >/dev/null
for fencing in on off; do
  echo "== crash-fencing-$fencing ($(date -u +%FT%TZ))"
  flock /tmp/hastack-cluster.lock dotnet bench/drills/DrillBench/bin/Release/net10.0/DrillBench.dll \
    --kind crash --rounds "$rounds" --timing fast --sync on --fencing "$fencing" --version "$pg" \
    --out "bench/drills/results/crash-fencing-$fencing-pg$pg.json" || echo "(crash-fencing-$fencing: not everything passed, see above)"
done
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), Docker $(docker version --format '{{.Server.Version}}')"
