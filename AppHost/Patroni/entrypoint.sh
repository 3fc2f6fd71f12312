#!/bin/sh
# Renders the static template with this node's environment (timing profile, synchronous mode), then becomes Patroni.
set -eu
: "${PATRONI_TTL:?}" "${PATRONI_LOOP_WAIT:?}" "${PATRONI_RETRY_TIMEOUT:?}" "${HASTACK_SYNCHRONOUS_MODE:?}" "${HASTACK_SYNCHRONOUS_MODE_STRICT:?}"
: "${HASTACK_CHECKPOINT_TIMEOUT:=300}"
export HASTACK_CHECKPOINT_TIMEOUT
mkdir -p /var/lib/postgresql/data && chmod 0700 /var/lib/postgresql/data
envsubst < /etc/patroni/patroni.yml > /tmp/patroni.yml
exec patroni /tmp/patroni.yml
