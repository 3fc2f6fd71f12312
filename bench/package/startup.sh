#!/usr/bin/env bash
# The package (issue 20): its size, and the time from a clean restore of samples/ to "ready", beside the reference
# AppHost's start, alternating in one session (this machine is shared and noisy).
#   sample:    a fresh copy of samples/ (no bin/obj), HaStack.* removed from the global packages folder by pack.sh;
#              clock from `dotnet build` (restore from the local feed + build) until the sample API's /health answers
#              (it waits for the pooled database, i.e. etcd, both nodes, HAProxy and PgBouncer are up), then until its
#              FailoverDrill add-on's API (a prebuilt app from the package, run with dotnet exec, on the sample's pinned
#              port 5290) answers /health.
#   reference: `dotnet run --project AppHost` (already built) until "HaStack is ready" (every health check green,
#              including the probe, Prometheus and Alertmanager), as bench/cluster/startup.sh measures it.
# Images are cached in both (the first start of either builds them; see bench/cluster/startup.sh for cold starts).
# Usage: bench/package/startup.sh [runs, default 3]
source "$(dirname "$0")/../lib.sh"
runs=${1:-3}
work=$(mktemp -d /tmp/hastack-bench-package.XXXX)
feed="$work/artifacts/packages"
"$BENCH_ROOT/scripts/pack.sh" "$feed" >/dev/null
echo "package: $(stat -c %s "$feed"/HaStack.Hosting.0.1.0.nupkg) bytes HaStack.Hosting.0.1.0.nupkg, $(stat -c %s "$feed"/HaStack.Patroni.0.1.0.nupkg) bytes HaStack.Patroni.0.1.0.nupkg"
echo "  (the assembly embeds every build context; unpacked: $(unzip -l "$feed"/HaStack.Hosting.0.1.0.nupkg | tail -1 | awk '{print $1}') bytes, of which the add-ons' apps in tools/workers: $(unzip -l "$feed"/HaStack.Hosting.0.1.0.nupkg 'tools/workers/*' | tail -1 | awk '{print $1}') bytes)"

trap 'sample_stop; stop_stack; rm -rf "$work"' EXIT

measure_sample() {
  rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/hastack.{hosting,patroni}
  local start log=$work/sample.log
  start=$(date +%s%N)
  sample_build "$work" || return 1
  sample_start "$log"
  sample_wait http://localhost:5280/health "$log" || return 1
  local api drills
  api=$(echo "scale=1; ($(date +%s%N) - $start) / 1000000000" | bc)
  sample_wait http://localhost:5290/health "$log" || return 1
  drills=$(echo "scale=1; ($(date +%s%N) - $start) / 1000000000" | bc)
  echo "$api/$drills"
  sample_stop
}
measure_reference() { start_stack --HaStack:Timing=fast; local s; s=$(wait_ready); stop_stack; echo "$s"; }

# One start of each first, unmeasured: images built, caches warm.
measure_sample >/dev/null; measure_reference >/dev/null
sample=(); reference=()
for _ in $(seq 1 "$runs"); do
  sample+=("$(measure_sample)")
  reference+=("$(measure_reference)")
done
echo "machine: $(machine)"
echo "platform: PostgreSQL 17 under Patroni 4.0 (Debian trixie), fast timing; images cached"
echo "sample, clean restore + build + start to API ready / drill add-on ready: ${sample[*]} s"
echo "reference AppHost, dotnet run to HaStack is ready:    ${reference[*]} s"
