#!/usr/bin/env bash
# Time from `dotnet run` of the AppHost to every resource healthy, with images cached and with nothing cached.
# Usage: bench/cluster/startup.sh [runs per case, default 3]
source "$(dirname "$0")/../lib.sh"
runs=${1:-3}
measure() { start_stack --HaStack:Timing=fast; local s; s=$(wait_ready); stop_stack; echo "$s"; }

cold=()
for _ in $(seq 1 "$runs"); do
  # Nothing cached: remove the built images and BuildKit's cache (the base image stays: it is the machine's).
  docker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^(etcd-[0-9]|pg-[0-9]|router|pgbouncer|prometheus):' | xargs -r docker rmi -f >/dev/null
  docker builder prune -af >/dev/null
  cold+=("$(measure)")
done
warm=()
for _ in $(seq 1 "$runs"); do warm+=("$(measure)"); done
echo "machine: $(machine)"
echo "platform: PostgreSQL $HASTACK_PG (HaStack:PostgresVersion), fast timing"
echo "cold (images built): ${cold[*]} s"
echo "warm (images cached): ${warm[*]} s"
