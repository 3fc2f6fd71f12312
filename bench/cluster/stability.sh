#!/usr/bin/env bash
# Is the `fast` timing profile stable? Starts the stack with --HaStack:Timing=fast, then watches Patroni's leader and
# timeline once a second through an idle spell and a pgbench spell (8 clients through `app`, TPC-B, scale 10). Any
# leader or timeline change is a failover that nobody asked for. Also counts Patroni's own demotion/promotion lines.
# Usage: [HASTACK_PG=18|17|15] bench/cluster/stability.sh [idle seconds, default 600] [pgbench seconds, default 600]
source "$(dirname "$0")/../lib.sh"
idle=${1:-600}
load=${2:-600}

start_stack --HaStack:Timing=fast
echo "ready after $(wait_ready) s" >&2
pg1=$(container pg-1)
echo "machine: $(machine)"
echo "platform: $(platform)"

watch() { # label, seconds: prints "label: N leader changes, N timeline changes, leaders seen"
  local label=$1 seconds=$2 end=$(( $(date +%s) + $2 )) last="" changes=0 tl_changes=0 last_tl="" seen=""
  while [ "$(date +%s)" -lt "$end" ]; do
    local now; now=$(rest "$pg1" cluster -m 2 2>/dev/null | python3 -c \
      'import sys,json
try:
  m=[x for x in json.load(sys.stdin)["members"] if x["role"]=="leader"]
  print("%s %s" % (m[0]["name"], m[0].get("timeline", "?")) if len(m) == 1 else "none ?")
except Exception: print("unreachable ?")')
    local name=${now% *} tl=${now#* }
    if [ -n "$last" ] && [ "$name" != "$last" ]; then changes=$((changes + 1)); echo "  $(date +%T) $label: leader $last -> $name" >&2; fi
    if [ -n "$last_tl" ] && [ "$tl" != "$last_tl" ] && [ "$tl" != "?" ]; then tl_changes=$((tl_changes + 1)); fi
    last=$name; [ "$tl" != "?" ] && last_tl=$tl
    case " $seen " in *" $name "*) ;; *) seen="$seen $name" ;; esac
    sleep 1
  done
  echo "| $label | $seconds s | $changes | $tl_changes | $seen |"
}

echo "| spell | length | leader changes | timeline changes | leaders seen |"
echo "|---|---|---|---|---|"
watch "idle" "$idle"

leader_name=$(leader)
client_c=$(container "$(rest "$(container "$leader_name")" cluster | python3 -c \
  'import sys,json; print(next(m["name"] for m in json.load(sys.stdin)["members"] if m["role"] != "leader"))')")
pw=$(docker exec "$(container "$leader_name")" printenv HASTACK_APP_PASSWORD)
docker exec -e PGPASSWORD="$pw" "$client_c" pgbench -U app -h "$leader_name" -p 5432 -i -s 10 -q app >/dev/null 2>&1
docker exec -e PGPASSWORD="$pw" "$client_c" pgbench -U app -h pgbouncer -p 6432 -c 8 -j 2 -n -T "$load" app >/tmp/hastack-stability-pgbench.log 2>&1 &
pgbench_pid=$!
watch "pgbench, 8 clients through app" "$load"
wait "$pgbench_pid" || true
echo "pgbench: $(grep -E '^tps|failed' /tmp/hastack-stability-pgbench.log | tr '\n' ' ')"

demotions=0
for n in $(docker ps --format '{{.Names}}' | grep -E -- '-pg-[0-9]+$'); do
  c=$(docker logs "$n" 2>&1 | grep -ciE 'demoting|demoted|promoted self to leader|cleaning up DCS key' || true)
  demotions=$((demotions + c))
done
echo "Patroni log lines about demotion or promotion (all nodes, whole run; the bootstrap leader logs 'initialized a new cluster', not a promotion): $demotions"
