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

# TLS (HASTACK_TLS on|required, files from the AppHost in /etc/hastack/tls): PostgreSQL needs a key only its user reads.
case "${HASTACK_TLS:-off}" in
  on | required)
    mkdir -p /tmp/tls && cp /etc/hastack/tls/ca.crt /etc/hastack/tls/server.crt /etc/hastack/tls/server.key /tmp/tls/
    chmod 0600 /tmp/tls/server.key
    HASTACK_PG_SSL=on
    if [ "$HASTACK_TLS" = required ]; then HASTACK_HBA_TYPE=hostssl; else HASTACK_HBA_TYPE=host; fi ;;
  off) HASTACK_PG_SSL=off HASTACK_HBA_TYPE=host ;;
  *) echo "HaStack: HASTACK_TLS is '$HASTACK_TLS'; allowed: off, on, required." >&2; exit 78 ;;
esac
export HASTACK_PG_SSL HASTACK_HBA_TYPE

mkdir -p "$data" && chmod 0700 "$data"
envsubst < /etc/patroni/patroni.yml > /tmp/patroni.yml
# What the template cannot say with variables: TLS (in the file, not the environment, so patronictl (docker exec)
# talks HTTPS to etcd and the REST API too), and logical failover slots (HASTACK_LOGICAL_SLOTS, "name:plugin …").
python3 - /tmp/patroni.yml <<'PY'
import os, sys, yaml
path = sys.argv[1]
with open(path) as f:
    config = yaml.safe_load(f)
if os.environ['HASTACK_PG_SSL'] == 'on':
    ca, cert, key = '/tmp/tls/ca.crt', '/tmp/tls/server.crt', '/tmp/tls/server.key'
    config['restapi'].update(certfile=cert, keyfile=key, cafile=ca)
    config['ctl'] = {'cacert': ca}
    config['etcd3'] = {'protocol': 'https', 'cacert': ca}
    for user in ('replication', 'rewind'):
        config['postgresql']['authentication'][user].update(sslmode='verify-full', sslrootcert=ca)
slots = [s.split(':')[0] for s in os.environ.get('HASTACK_LOGICAL_SLOTS', '').split()]
if slots:
    dcs = config['bootstrap']['dcs']
    # wal_level is one of the settings Patroni takes from the dynamic configuration only.
    dcs['postgresql']['parameters'].update(wal_level='logical', hot_standby_feedback='on', sync_replication_slots='on')
    # Patroni 4.0 drops slots it does not manage (4.1 leaves failover slots alone): these are PostgreSQL's.
    dcs['ignore_slots'] = [{'name': name, 'type': 'logical'} for name in slots]
    local = config['postgresql']['parameters']
    local['sync_replication_slots'] = 'on'
    # Logical walsenders wait until these standbys have the WAL (the other members' physical slots on a leader).
    local['synchronized_standby_slots'] = os.environ.get('HASTACK_SYNCHRONIZED_STANDBY_SLOTS', '')
with open(path, 'w') as f:
    yaml.safe_dump(config, f, default_flow_style=False, sort_keys=False)
PY
envsubst < /etc/patroni/pgbackrest.conf > /etc/pgbackrest/pgbackrest.conf
exec patroni /tmp/patroni.yml
