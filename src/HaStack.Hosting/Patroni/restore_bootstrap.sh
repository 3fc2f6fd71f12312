#!/bin/sh
# Patroni's custom bootstrap for a stack started with HaStack:RestoreFrom: point-in-time recovery from the source
# stack's repository, mounted read-only at /var/lib/pgbackrest-source (the source is never written to). pgBackRest
# picks the newest backup before the target and writes the recovery settings (WAL from the source's archive, stop at
# the target time, promote); PostgreSQL then replays up to that time.
#
# PostgreSQL stops only at a transaction that committed after the target; without one in the archive it fails with
# "recovery ended before configured recovery target was reached". The AppHost checked that the archive reaches past
# the target, so when the newest archived commit is older than the target, the state at the target is the state at
# the end of the archive: the target is dropped and recovery runs to the end of the archive instead.
set -eu
: "${HASTACK_RESTORE_FROM:?}" "${HASTACK_RESTORE_TIME:?}" "${HASTACK_RESTORE_EPOCH:?}"
source_repo=/var/lib/pgbackrest-source
data=/var/lib/postgresql/data
source="--stanza=$HASTACK_RESTORE_FROM --repo1-path=$source_repo --pg1-path=$data"
echo "HaStack: $HASTACK_NODE: restoring stack '$HASTACK_RESTORE_FROM' from its repository to $HASTACK_RESTORE_TIME" >&2
# shellcheck disable=SC2086 # $source is a list of options
pgbackrest $source \
  --type=time --target="$HASTACK_RESTORE_TIME" --target-action=promote --target-timeline=latest \
  --recovery-option="restore_command=pgbackrest $source archive-get %f \"%p\"" \
  restore

# The newest commit in the last archived segments (pg_waldump), as Unix time.
work=$(mktemp -d)
last_commit=""
for file in $(find "$source_repo/archive/$HASTACK_RESTORE_FROM" -type f -name '[0-9A-F]*' | sed 's|.*/||' | grep -E '^[0-9A-F]{24}-' | sort -r | head -8); do
  segment=${file%%-*}
  # shellcheck disable=SC2086
  pgbackrest $source --log-level-console=warn archive-get "$segment" "$work/$segment" >/dev/null 2>&1 || continue
  last_commit=$(pg_waldump "$work/$segment" 2>/dev/null | sed -n 's/.*COMMIT \([0-9-]* [0-9:.]*\) UTC.*/\1/p' | tail -1)
  rm -f "$work/$segment"
  [ -n "$last_commit" ] && break
done
rm -rf "$work"
if [ -n "$last_commit" ]; then
  commit_epoch=$(date -u -d "$last_commit" +%s.%N)
  if awk -v commit="$commit_epoch" -v target="$HASTACK_RESTORE_EPOCH" 'BEGIN { exit !(commit < target) }'; then
    echo "HaStack: $HASTACK_NODE: the newest archived commit ($last_commit UTC) is before $HASTACK_RESTORE_TIME: recovering to the end of the archive, which is the state at that time" >&2
    sed -i '/^recovery_target_time\b/d; /^recovery_target_action\b/d' "$data/postgresql.auto.conf"
  fi
fi
