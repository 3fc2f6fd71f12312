#!/bin/sh
# PgBouncer needs the auth_user's password to run auth_query; it comes from the environment (an Aspire parameter)
# and is written, at start, to a file only this container can read. Everything else is in pgbouncer.ini.
set -eu
: "${PGBOUNCER_AUTH_PASSWORD:?}"
umask 077
printf '"pgbouncer_auth" "%s"\n' "$PGBOUNCER_AUTH_PASSWORD" > /tmp/userlist.txt

# The exporter keeps one admin connection; restart it if PgBouncer was not yet listening or the connection broke.
(
  export PGPASSWORD="$PGBOUNCER_AUTH_PASSWORD"
  sleep 1
  while true; do
    prometheus-pgbouncer-exporter --host 0.0.0.0 --port 9127 --pgbouncer-host 127.0.0.1 \
      --pgbouncer-port 6432 --pgbouncer-user pgbouncer_auth \
      --licence-location /usr/share/doc/prometheus-pgbouncer-exporter/copyright >/tmp/exporter.log 2>&1 || true
    sleep 1
  done
) &
exec pgbouncer /etc/pgbouncer/pgbouncer.ini
