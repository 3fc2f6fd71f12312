#!/bin/sh
# Renders the static template with this node's environment (timing profile, synchronous mode), then becomes Patroni.
# Refuses to start on a data directory made by another PostgreSQL major version: never initdb over it, never delete it.
set -eu
: "${PG_MAJOR:?}" "${PATRONI_NAME:?}" "${PATRONI_TTL:?}" "${PATRONI_LOOP_WAIT:?}" "${PATRONI_RETRY_TIMEOUT:?}"
: "${HASTACK_SYNCHRONOUS_MODE:?}" "${HASTACK_SYNCHRONOUS_MODE_STRICT:?}" "${HASTACK_FAILSAFE_MODE:?}"
: "${HASTACK_CHECKPOINT_TIMEOUT:=300}" "${HASTACK_ARCHIVE_TIMEOUT:=60}"
# A stack started with HaStack:RestoreFrom bootstraps from that stack's repository (restore_bootstrap.sh).
if [ -n "${HASTACK_RESTORE_FROM:-}" ]; then HASTACK_BOOTSTRAP_METHOD=restore_from_repository; else HASTACK_BOOTSTRAP_METHOD=initdb; fi
# Patroni drops PATRONI_* from the environment of what it runs (scripts, archive_command): they get these instead.
HASTACK_STANZA=$PATRONI_SCOPE HASTACK_NODE=$PATRONI_NAME
export HASTACK_CHECKPOINT_TIMEOUT HASTACK_ARCHIVE_TIMEOUT HASTACK_BOOTSTRAP_METHOD HASTACK_STANZA HASTACK_NODE
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
envsubst < /etc/patroni/pgbackrest.conf > /etc/pgbackrest/pgbackrest.conf
exec patroni /tmp/patroni.yml
