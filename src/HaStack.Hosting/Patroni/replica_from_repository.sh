#!/bin/sh
# Patroni's first create_replica_method: restores the newest backup from this stack's repository as a standby
# (standby.signal, restore_command); Patroni then points it at the leader and it catches up from the archive and by
# streaming. With no backup yet (a new stack) this fails and Patroni falls back to pg_basebackup.
set -eu
echo "HaStack: $HASTACK_NODE: creating a replica from the backup repository (stanza $HASTACK_STANZA)" >&2
exec pgbackrest --stanza="$HASTACK_STANZA" --type=standby restore
