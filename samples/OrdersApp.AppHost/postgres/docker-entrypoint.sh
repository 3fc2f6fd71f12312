#!/bin/sh
# The official postgres image's contract, for Debian's package: an empty PGDATA is initialised with POSTGRES_USER and
# POSTGRES_PASSWORD (never on the command line: a file), POSTGRES_INITDB_ARGS and POSTGRES_HOST_AUTH_METHOD for
# connections from elsewhere, and POSTGRES_DB created; then PostgreSQL runs as postgres, listening everywhere.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
: "${POSTGRES_HOST_AUTH_METHOD:=scram-sha-256}"
if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
  echo "error: POSTGRES_PASSWORD is not set (or POSTGRES_HOST_AUTH_METHOD=trust)" >&2
  exit 1
fi

mkdir -p "$PGDATA" && chown postgres:postgres "$PGDATA" && chmod 700 "$PGDATA"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile=$(mktemp) && printf '%s' "${POSTGRES_PASSWORD:-}" >"$pwfile" && chown postgres "$pwfile"
  # POSTGRES_INITDB_ARGS is split into words, as the official image does.
  # shellcheck disable=SC2086
  runuser -u postgres -- initdb -D "$PGDATA" --username="$POSTGRES_USER" --pwfile="$pwfile" ${POSTGRES_INITDB_ARGS:-}
  rm -f "$pwfile"
  printf '\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != postgres ]; then
    # The name is an identifier, quoted: whatever it holds stays a name.
    quoted=$(printf '%s' "$POSTGRES_DB" | sed 's/"/""/g')
    printf 'CREATE DATABASE "%s";\n' "$quoted" | runuser -u postgres -- postgres --single -D "$PGDATA" -j postgres >/dev/null
  fi
fi

exec runuser -u postgres -- postgres -D "$PGDATA" -c listen_addresses='*'
