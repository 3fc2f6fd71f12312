#!/bin/sh
# PgBouncer needs the auth_user's password to run auth_query, and the stats user's to let the exporter in; both come
# from the environment (Aspire parameters) and are written, at start, to a file only this container can read.
# Everything else is in pgbouncer.ini; leader-follower.sh writes its [databases] section and keeps "app" on the leader.
set -eu
: "${PGBOUNCER_AUTH_PASSWORD:?}" "${PGBOUNCER_STATS_PASSWORD:?}" "${HASTACK_ROUTER:?}"
umask 077
mkdir -p /tmp/pgbouncer
printf '[databases]\napp = host=%s port=5000 dbname=app\napp_ro = host=%s port=5001 dbname=app\n' "$HASTACK_ROUTER" "$HASTACK_ROUTER" > /tmp/pgbouncer/databases.ini
printf '"pgbouncer_auth" "%s"\n"pgbouncer_stats" "%s"\n' "$PGBOUNCER_AUTH_PASSWORD" "$PGBOUNCER_STATS_PASSWORD" > /tmp/userlist.txt

# TLS (HASTACK_TLS on|required): to clients with PgBouncer's certificate (required: plaintext clients refused), to
# the nodes with verify-full against the stack's CA. libpq clients in this container (the follower) verify too.
cp /etc/pgbouncer/pgbouncer.ini /tmp/pgbouncer/pgbouncer.ini
exporter_ssl=disable
case "${HASTACK_TLS:-off}" in
  on | required)
    mkdir -p /tmp/tls && cp /etc/hastack/tls/ca.crt /etc/hastack/tls/server.crt /etc/hastack/tls/server.key /tmp/tls/
    if [ "$HASTACK_TLS" = required ]; then client=require; else client=allow; fi
    printf 'client_tls_sslmode = %s\nclient_tls_cert_file = /tmp/tls/server.crt\nclient_tls_key_file = /tmp/tls/server.key\nclient_tls_ca_file = /tmp/tls/ca.crt\nserver_tls_sslmode = verify-full\nserver_tls_ca_file = /tmp/tls/ca.crt\n' \
      "$client" >> /tmp/pgbouncer/pgbouncer.ini
    export PGSSLMODE=verify-full PGSSLROOTCERT=/tmp/tls/ca.crt
    exporter_ssl="verify-full&sslrootcert=/tmp/tls/ca.crt" ;;
  off) ;;
  *) echo "HaStack: HASTACK_TLS is '$HASTACK_TLS'; allowed: off, on, required." >&2; exit 78 ;;
esac

# The exporter (0.10) exits when PgBouncer does not answer at its start, and keeps one connection: restart it until
# PgBouncer listens and whenever it ends. Its password comes from the environment (libpq's PGPASSWORD), not from the
# connection string on its command line.
(
  export PGPASSWORD="$PGBOUNCER_STATS_PASSWORD"
  sleep 1
  while true; do
    prometheus-pgbouncer-exporter --web.listen-address=:9127 --pgBouncer.pid-file= \
      --pgBouncer.connectionString="postgres://pgbouncer_stats@127.0.0.1:6432/pgbouncer?sslmode=$exporter_ssl" >/tmp/exporter.log 2>&1 || true
    sleep 1
  done
) &
# Points "app" at the Patroni leader and follows it (logs to this container's output).
/etc/pgbouncer/leader-follower.sh &
exec pgbouncer /tmp/pgbouncer/pgbouncer.ini
