#!/bin/bash
# Points PgBouncer's read-write database "app" straight at the Patroni leader, so pooled writes take one hop
# (PgBouncer -> leader) instead of two (PgBouncer -> HAProxy -> leader).
#
# It watches Patroni's leader key in etcd (HASTACK_LEADER_KEY, value = the leader's member name) and, when the key
# names another node, waits until that node's Patroni says it is the primary (GET :8008/primary = 200) and its
# PostgreSQL has left recovery (as pgbouncer_auth, the auth_query user), rewrites the [databases] file and RELOADs
# PgBouncer. PgBouncer then closes every server connection to the old host as soon
# as it is released and never hands it out again, so a demoted node gets no pooled writes.
#
# A key that names no node of this cluster is ignored. While no leader is known (etcd unreachable at start), "app"
# goes through HAProxy's read-write port, which follows the leader by health checks. While etcd is unreachable
# later, the last leader is kept (Patroni's failsafe keeps it primary).
#
# Needs: HASTACK_ETCD_HOSTS (host:port,...), HASTACK_LEADER_KEY, HASTACK_NODES (pg-1,pg-2,...), PGBOUNCER_AUTH_PASSWORD.
set -u
: "${HASTACK_ETCD_HOSTS:?}" "${HASTACK_LEADER_KEY:?}" "${HASTACK_NODES:?}" "${PGBOUNCER_AUTH_PASSWORD:?}"
# shellcheck source=console.sh
. /etc/pgbouncer/console.sh
# With HASTACK_TLS on|required, etcd and Patroni's REST API speak HTTPS, verified against the stack's CA (and psql
# verifies the nodes: PGSSLMODE=verify-full from entrypoint.sh).
if [ "${HASTACK_TLS:-off}" = off ]; then scheme=http tls_args=(); else scheme=https tls_args=(--cacert /tmp/tls/ca.crt); fi
endpoints=$(echo "$HASTACK_ETCD_HOSTS" | sed -E "s#(^|,)#\\1$scheme://#g")
current_file=/tmp/pgbouncer/leader

log() { echo "$(date -u '+%F %T.%3N UTC') leader-follower: $*" >&2; }

etcd() { etcdctl --endpoints="$endpoints" "${tls_args[@]}" --dial-timeout=1s --command-timeout=2s "$@"; }

is_node() { case ",$HASTACK_NODES," in *",$1,"*) return 0 ;; esac; return 1; }

# write_databases HOST PORT: the [databases] section PgBouncer includes; app_ro always goes to HAProxy's replicas.
write_databases() {
  printf '[databases]\napp = host=%s port=%s dbname=app\napp_ro = host=%s port=5001 dbname=app\n' "$1" "$2" "$HASTACK_ROUTER" \
    > /tmp/pgbouncer/databases.ini.new
  mv /tmp/pgbouncer/databases.ini.new /tmp/pgbouncer/databases.ini
}

# point_at NODE: re-points "app" once NODE's Patroni reports it is the primary (up to 10 s; the next sync retries).
point_at() {
  local leader=$1 started code=000 writable=
  [ "$leader" = "$(cat "$current_file" 2>/dev/null)" ] && return 0
  if ! is_node "$leader"; then
    log "ignoring the leader key's value '$leader': not a node of this cluster ($HASTACK_NODES)"
    return 0
  fi
  started=$(date +%s%N)
  for _ in $(seq 1 200); do
    code=$(curl -s "${tls_args[@]}" -o /dev/null -m 1 -w '%{http_code}' "$scheme://$leader:8008/primary") && [ "$code" = 200 ] && break
    sleep 0.05
  done
  if [ "$code" != 200 ]; then
    log "$leader holds the leader key but its Patroni did not report primary within 10 s (last answer $code); keeping $(cat "$current_file" 2>/dev/null)"
    return 1
  fi
  # Patroni says primary as soon as it promotes; PostgreSQL takes writes a moment later (end of recovery).
  for _ in $(seq 1 200); do
    writable=$(PGPASSWORD=$PGBOUNCER_AUTH_PASSWORD PGCONNECT_TIMEOUT=1 psql -h "$leader" -p 5432 -U pgbouncer_auth -d app -AtqX \
      -c "SELECT NOT pg_is_in_recovery()" 2>/dev/null) && [ "$writable" = t ] && break
    sleep 0.05
  done
  if [ "$writable" != t ]; then
    log "$leader is Patroni's primary but did not leave recovery within 10 s; keeping $(cat "$current_file" 2>/dev/null)"
    return 1
  fi
  write_databases "$leader" 5432
  if ! console RELOAD >/dev/null; then
    log "RELOAD failed; app stays as it was"
    return 1
  fi
  echo "$leader" > "$current_file"
  log "app -> $leader:5432 ($(( ($(date +%s%N) - started) / 1000000 )) ms after the key named it)"
}

# read_key: reads the key (and etcd's revision, printed for the watch) and re-points if it names a new leader.
read_key() {
  local out value revision
  out=$(etcd get "$HASTACK_LEADER_KEY" -w fields 2>/dev/null) || return 1
  revision=$(echo "$out" | sed -n 's/^"Revision" : \([0-9]*\)$/\1/p')
  value=$(echo "$out" | sed -n 's/^"Value" : "\(.*\)"$/\1/p')
  [ -n "$value" ] && point_at "$value"
  echo "${revision:-0}"
}

# entrypoint.sh wrote the first [databases] file: app -> router:5000.
echo "$HASTACK_ROUTER" > "$current_file"
until console "SHOW VERSION" >/dev/null 2>&1; do sleep 0.2; done
log "watching $HASTACK_LEADER_KEY on $endpoints; app -> $HASTACK_ROUTER:5000 until the leader is known"
while true; do
  if revision=$(read_key | tail -1) && [ "$revision" -gt 0 ]; then
    # Every event on the key (PUT by a new leader, DELETE by a release, lease expiry or the fencer) re-reads it.
    # The watch restarts every 10 s, so a leader that was not yet primary at its event is picked up then.
    while read -r line; do
      case $line in PUT | DELETE) read_key >/dev/null ;; esac
    done < <(timeout 10 etcdctl --endpoints="$endpoints" "${tls_args[@]}" --dial-timeout=1s watch --rev=$((revision + 1)) "$HASTACK_LEADER_KEY" 2>/dev/null)
  else
    sleep 1
  fi
done
