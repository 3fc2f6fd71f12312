#!/bin/bash
# PgBouncer's admin console, reachable only inside this container: the user "pgbouncer" may log in without a password
# over the Unix socket when it runs as PgBouncer's own OS user, and no TCP login gets admin rights (admin_users is
# empty). Sourced by leader-follower.sh; run by the FailoverDrill through `docker exec` for PAUSE and RESUME:
#   docker exec <container> /etc/pgbouncer/console.sh "PAUSE app"
console() {
  psql -h /tmp/pgbouncer -p 6432 -U pgbouncer -d pgbouncer -Atq -X -v ON_ERROR_STOP=1 "${@/#/-c}"
}
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  [ $# -gt 0 ] || { echo "usage: console.sh \"COMMAND\" [\"COMMAND\"...]" >&2; exit 64; }
  console "$@"
fi
