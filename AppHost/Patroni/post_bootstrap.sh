#!/bin/sh
# Runs once, on the node that bootstraps the cluster ($1: Patroni's connection string to it): the application role
# and database, the probe's monitoring role and PgBouncer's lookup function (service_roles.sh, which on_role.sh also
# runs on every start of a primary).
set -eu
exec /etc/patroni/service_roles.sh "$1"
