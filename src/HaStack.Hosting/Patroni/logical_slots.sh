#!/bin/sh
# Logical failover slots (HASTACK_LOGICAL_SLOTS, "name:plugin …", in the application database).
#   logical_slots.sh create CONN  on the bootstrapping primary (post_bootstrap.sh): each slot with failover = true.
#                                 Only there: a slot re-created later would silently start at a new position.
#   logical_slots.sh clean        on a node that starts as, or becomes, a standby (on_role.sh): drops the failover
#                                 slots it still holds from when it was the primary (pg_rewind keeps pg_replslot).
#                                 PostgreSQL's slot sync worker refuses to overwrite such an unsynced slot ("already
#                                 exists on the standby") and then syncs no slot at all; Patroni 4.1.5 leaves it.
#                                 The primary's slot is the truth; the worker copies it again.
set -eu
[ -n "${HASTACK_LOGICAL_SLOTS:-}" ] || exit 0
case "$1" in
  create)
    for slot in $HASTACK_LOGICAL_SLOTS; do
      name=${slot%%:*} plugin=${slot#*:}
      psql -v ON_ERROR_STOP=1 -Atq -v name="$name" -v plugin="$plugin" "$2" <<'SQL'
\connect app
SELECT pg_create_logical_replication_slot(:'name', :'plugin', false, false, true)
WHERE NOT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = :'name');
SQL
      echo "HaStack: logical failover slot $name ($plugin) created in database app" >&2
    done ;;
  clean)
    # PostgreSQL may still be starting: a few tries.
    for _ in $(seq 1 30); do
      stale=$(psql -Atq -F ' ' -c "SELECT slot_name, database FROM pg_replication_slots WHERE slot_type = 'logical' AND failover AND NOT synced AND pg_is_in_recovery()" 2>/dev/null) && break
      sleep 1
    done
    echo "${stale:-}" | while read -r name database; do
      [ -n "$name" ] || continue
      if psql -v ON_ERROR_STOP=1 -Atq -v name="$name" -d "$database" >/dev/null <<'SQL'
SELECT pg_drop_replication_slot(:'name');
SQL
      then
        echo "HaStack: dropped the failover slot $name this standby kept from when it led; slot sync copies the primary's" >&2
      fi
    done ;;
  *) echo "usage: logical_slots.sh create CONN | clean" >&2; exit 2 ;;
esac
