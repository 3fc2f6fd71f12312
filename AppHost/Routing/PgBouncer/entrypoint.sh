#!/bin/sh
# PgBouncer needs the auth_user's password to run auth_query, and the stats user's to let the exporter in; both come
# from the environment (Aspire parameters) and are written, at start, to a file only this container can read.
# Everything else is in pgbouncer.ini; leader-follower.sh writes its [databases] section and keeps "app" on the leader.
set -eu
: "${PGBOUNCER_AUTH_PASSWORD:?}" "${PGBOUNCER_STATS_PASSWORD:?}"
umask 077
mkdir -p /tmp/pgbouncer
printf '[databases]\napp = host=router port=5000 dbname=app\napp_ro = host=router port=5001 dbname=app\n' > /tmp/pgbouncer/databases.ini
printf '"pgbouncer_auth" "%s"\n"pgbouncer_stats" "%s"\n' "$PGBOUNCER_AUTH_PASSWORD" "$PGBOUNCER_STATS_PASSWORD" > /tmp/userlist.txt

# The exporter (0.10) exits when PgBouncer does not answer at its start, and keeps one connection: restart it until
# PgBouncer listens and whenever it ends. Its password comes from the environment (libpq's PGPASSWORD), not from the
# connection string on its command line.
(
  export PGPASSWORD="$PGBOUNCER_STATS_PASSWORD"
  sleep 1
  while true; do
    prometheus-pgbouncer-exporter --web.listen-address=:9127 --pgBouncer.pid-file= \
      --pgBouncer.connectionString="postgres://pgbouncer_stats@127.0.0.1:6432/pgbouncer?sslmode=disable" >/tmp/exporter.log 2>&1 || true
    sleep 1
  done
) &
# Points "app" at the Patroni leader and follows it (logs to this container's output).
/etc/pgbouncer/leader-follower.sh &
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
