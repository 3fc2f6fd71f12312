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

SAMPLE_PID=""
stop_sample() {
  [ -n "$SAMPLE_PID" ] || return 0
  kill -TERM "$SAMPLE_PID" 2>/dev/null || true
  wait "$SAMPLE_PID" 2>/dev/null || true
  for _ in $(seq 1 60); do [ -z "$(docker ps -aq --filter "name=db-")" ] && break; sleep 1; done
  SAMPLE_PID=""
}
trap 'stop_sample; stop_stack; rm -rf "$work"' EXIT

measure_sample() {
  rm -rf "$work/samples" && mkdir -p "$work/samples"
  (cd "$BENCH_ROOT/samples" && tar --exclude=bin --exclude=obj -cf - .) | tar -C "$work/samples" -xf -
  rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/hastack.{hosting,patroni}
  local start log=$work/sample.log
  start=$(date +%s%N)
  dotnet build "$work/samples/OrdersApp.slnx" -v quiet -nologo >"$log" 2>&1
  (cd "$work/samples/OrdersApp.AppHost/bin/Debug/net10.0" && exec env HaStack__BaseImage="$BASE_IMAGE" ASPNETCORE_URLS=http://localhost:15280 \
     DOTNET_ENVIRONMENT=Development ASPIRE_ALLOW_UNSECURED_TRANSPORT=true ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL=http://localhost:19280 \
     ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL=http://localhost:20280 dotnet OrdersApp.AppHost.dll) >>"$log" 2>&1 &
  SAMPLE_PID=$!
  local deadline=$(( $(date +%s) + 900 ))
  until curl -sf -o /dev/null http://localhost:5280/health; do
    if ! kill -0 "$SAMPLE_PID" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then echo "the sample did not become ready; log: $log" >&2; return 1; fi
    sleep 0.2
  done
  local api drills
  api=$(echo "scale=1; ($(date +%s%N) - $start) / 1000000000" | bc)
  until curl -sf -o /dev/null http://localhost:5290/health; do
    if ! kill -0 "$SAMPLE_PID" 2>/dev/null || [ "$(date +%s)" -gt "$deadline" ]; then echo "the sample's drill add-on did not answer; log: $log" >&2; return 1; fi
    sleep 0.2
  done
  drills=$(echo "scale=1; ($(date +%s%N) - $start) / 1000000000" | bc)
  echo "$api/$drills"
  stop_sample
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
