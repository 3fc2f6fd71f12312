#!/bin/sh
# Patroni callback (on_start, on_role_change): $1 action, $2 role, $3 scope. On a primary, brings the service roles
# and the backup stanza up to date in the background (both idempotent), so volumes made by an older HaStack keep
# working and a new leader archives into the same repository without manual steps. On a standby, drops the logical
# failover slots it kept from when it led, so slot synchronization works again (logical_slots.sh).
case "${2:-}" in
  primary|master)
    (
      sleep 2
      for attempt in 1 2 3 4 5 6 7 8 9 10; do
        /etc/patroni/service_roles.sh && /etc/patroni/stanza.sh && exit 0
        sleep 3
      done
      echo "HaStack: could not bring the service roles and the backup stanza up to date on this primary" >&2
    ) &
    ;;
  replica)
    /etc/patroni/logical_slots.sh clean &
    ;;
esac
exit 0
