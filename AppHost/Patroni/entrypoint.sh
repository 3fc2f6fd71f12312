#!/bin/sh
# Renders the static template with this node's environment (timing profile, synchronous mode), then becomes Patroni.
# Refuses to start on a data directory made by another PostgreSQL major version: never initdb over it, never delete it.
set -eu
: "${PG_MAJOR:?}" "${PATRONI_NAME:?}" "${PATRONI_TTL:?}" "${PATRONI_LOOP_WAIT:?}" "${PATRONI_RETRY_TIMEOUT:?}"
: "${HASTACK_SYNCHRONOUS_MODE:?}" "${HASTACK_SYNCHRONOUS_MODE_STRICT:?}" "${HASTACK_FAILSAFE_MODE:?}"
: "${HASTACK_CHECKPOINT_TIMEOUT:=300}"
export HASTACK_CHECKPOINT_TIMEOUT
data=/var/lib/postgresql/data

if [ -f "$data/PG_VERSION" ]; then
  found=$(cat "$data/PG_VERSION")
  if [ "$found" != "$PG_MAJOR" ]; then
    echo "HaStack: $PATRONI_NAME refuses to start: its data volume '${HASTACK_DATA_VOLUME:-$data}' holds PostgreSQL $found data, but HaStack:PostgresVersion is $PG_MAJOR." >&2
    echo "HaStack: start this stack with --HaStack:PostgresVersion=$found, or pick another --HaStack:Name for a new $PG_MAJOR cluster. The volume was not changed." >&2
    exit 78
  fi
fi

mkdir -p "$data" && chmod 0700 "$data"
envsubst < /etc/patroni/patroni.yml > /tmp/patroni.yml
exec patroni /tmp/patroni.yml
