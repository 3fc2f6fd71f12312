#!/bin/sh
# PgBouncer needs the auth_user's password to run auth_query; it comes from the environment (an Aspire parameter)
# and is written, at start, to a file only this container can read. Everything else is in pgbouncer.ini.
set -eu
: "${PGBOUNCER_AUTH_PASSWORD:?}"
umask 077
printf '"pgbouncer_auth" "%s"\n' "$PGBOUNCER_AUTH_PASSWORD" > /tmp/userlist.txt

# The exporter (0.10) exits when PgBouncer does not answer at its start, and keeps one connection: restart it until
# PgBouncer listens and whenever it ends. Its password comes from the environment (libpq's PGPASSWORD), not from the
# connection string on its command line.
(
  export PGPASSWORD="$PGBOUNCER_AUTH_PASSWORD"
  sleep 1
  while true; do
    prometheus-pgbouncer-exporter --web.listen-address=:9127 --pgBouncer.pid-file= \
      --pgBouncer.connectionString="postgres://pgbouncer_auth@127.0.0.1:6432/pgbouncer?sslmode=disable" >/tmp/exporter.log 2>&1 || true
    sleep 1
  done
) &
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
