# Shared preamble of the drill benchmarks (sourced): prepares the machine, builds DrillBench in Release, and defines
# `drillbench NAME ARGS…`, which runs one DrillBench case (its own stack) and writes bench/drills/results/NAME-pgN.json.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
export HaStack__BaseImage=$(scripts/prepare.sh trixie forky bookworm)
pg=${HASTACK_PG:-18}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export Logging__LogLevel__Default=Warning
mkdir -p bench/drills/results
dotnet build bench/drills/DrillBench -c Release -v q -nologo >/dev/null

drillbench() { # name, DrillBench args…
  local name=$1; shift
  echo "== $name ($(date -u +%FT%TZ))"
  flock /tmp/hastack-cluster.lock dotnet bench/drills/DrillBench/bin/Release/net10.0/DrillBench.dll "$@" \
    --version "$pg" --out "bench/drills/results/$name-pg$pg.json" || echo "($name: not everything passed, see above)"
}

machine_line() {
  echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME"), Docker $(docker version --format '{{.Server.Version}}')"
}
