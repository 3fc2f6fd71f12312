#!/bin/sh
# Patroni's custom bootstrap for a stack started with HaStack:RestoreFrom: point-in-time recovery from the source
# stack's repository, mounted read-only at /var/lib/pgbackrest-source (the source is never written to). pgBackRest
# picks the newest backup before the target, writes the recovery settings (WAL from the source's archive, stop at the
# target time, promote) and PostgreSQL replays up to that time. The AppHost checked the time against the repository
# before starting; PostgreSQL still stops with "recovery ended before configured recovery target was reached" if WAL is
# missing, and Patroni then gives up the bootstrap.
set -eu
: "${HASTACK_RESTORE_FROM:?}" "${HASTACK_RESTORE_TIME:?}"
source_repo=/var/lib/pgbackrest-source
echo "HaStack: $HASTACK_NODE: restoring stack '$HASTACK_RESTORE_FROM' from its repository to $HASTACK_RESTORE_TIME" >&2
source="--stanza=$HASTACK_RESTORE_FROM --repo1-path=$source_repo --pg1-path=/var/lib/postgresql/data"
exec pgbackrest $source \
  --type=time --target="$HASTACK_RESTORE_TIME" --target-action=promote --target-timeline=latest \
  --recovery-option="restore_command=pgbackrest $source archive-get %f \"%p\"" \
  restore
