#!/bin/sh
# Runs once, on the node that bootstraps the cluster ($1: Patroni's connection string to it): the application role
# and database, the probe's monitoring role and PgBouncer's lookup function (service_roles.sh, which on_role.sh also
# runs on every start of a primary), the logical failover slots declared (logical_slots.sh), and the stack's stanza in the backup repository (the AppHost then takes the
# first full backup). After a restore from another stack, pgBackRest's recovery settings are cleared first: a node
# that is later demoted must not stop replaying at the restore's target time.
set -eu
if [ -n "${HASTACK_RESTORE_FROM:-}" ]; then
  psql -v ON_ERROR_STOP=1 -q "$1" -c "ALTER SYSTEM RESET restore_command" -c "ALTER SYSTEM RESET recovery_target_time" \
       -c "ALTER SYSTEM RESET recovery_target_action" -c "ALTER SYSTEM RESET recovery_target_timeline" -c "SELECT pg_reload_conf()"
fi
/etc/patroni/service_roles.sh "$1"
/etc/patroni/logical_slots.sh create "$1"
# Not fatal here: on_role.sh retries it on this primary's start.
/etc/patroni/stanza.sh || echo "HaStack: the backup stanza could not be created yet; on_role.sh retries" >&2
