#!/usr/bin/env bash
# pgbench TPC-B (scale 10, 8 clients) with TLS off and on, in one session: a stack with HaStack:Tls=off, then one
# with the default on, each measured directly to the leader and through `app` (PgBouncer -> leader). pgbench runs in
# the replica's container with libpq's default sslmode=prefer, so it negotiates TLS exactly when the server offers
# it; pg_stat_ssl confirms what each run used.
# Usage: bench/cluster/tls.sh [seconds per run, default 30] [rounds, default 2]
source "$(dirname "$0")/../lib.sh"
duration=${1:-30}
rounds=${2:-2}

echo "machine: $(machine)"
echo "| TLS | path | round | tps | latency avg (ms) | failed tx | sessions on TLS |"
echo "|---|---|---|---|---|---|---|"
for mode in off on; do
  start_stack --HaStack:Timing=fast --HaStack:Tls="$mode"
  wait_ready >/dev/null
  [ "$mode" = on ] && echo "platform: $(platform)" >&2
  pgbench_setup
  for round in $(seq 1 "$rounds"); do
    for path in direct pooled; do
      if [ "$path" = direct ]; then host=$leader_name port=5432; else host=pgbouncer port=6432; fi
      # Sessions on the leader during the run, by TLS use (sampled half-way).
      ( sleep $((duration / 2)); docker exec "$leader_c" psql -Atq -c \
          "SELECT count(*) FILTER (WHERE s.ssl) || '/' || count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.usename = 'app'" ) >/tmp/tls-bench-ssl.$$ 2>/dev/null &
      sampler=$!
      out=$(bench -T "$duration" -j 2 -n -c 8 -h "$host" -p "$port" app 2>&1) || echo "pgbench failed ($mode $path): $out" >&2
      wait "$sampler" 2>/dev/null || true
      tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p')
      latency=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
      failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
      echo "| $mode | $path ($host:$port) | $round | $tps | $latency | ${failed:-0} | $(cat /tmp/tls-bench-ssl.$$) |"
    done
  done
  rm -f /tmp/tls-bench-ssl.$$
  stop_stack
done
