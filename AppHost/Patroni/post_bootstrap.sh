#!/bin/sh
# Runs once, on the node that bootstraps the cluster: the application role and database, the probe's monitoring
# role, and the PgBouncer auth_query function. Passwords come from the environment (Aspire parameters), never a file.
set -eu
psql -v ON_ERROR_STOP=1 -v app_password="$HASTACK_APP_PASSWORD" -v auth_password="$HASTACK_PGBOUNCER_AUTH_PASSWORD" \
     -v monitor_password="$HASTACK_MONITOR_PASSWORD" "$1" <<'SQL'
-- Roles that may log in through PgBouncer are members of pgbouncer_clients; the application role is the one.
CREATE ROLE pgbouncer_clients NOLOGIN;
CREATE ROLE app LOGIN PASSWORD :'app_password' IN ROLE pgbouncer_clients;
-- The HealthProbe reads replication state and settings; pg_monitor is all it needs.
CREATE ROLE hastack_monitor LOGIN PASSWORD :'monitor_password' IN ROLE pg_monitor;
-- PgBouncer's auth_user: it may call the lookup function below, and nothing else.
CREATE ROLE pgbouncer_auth LOGIN PASSWORD :'auth_password';
CREATE DATABASE app OWNER app;
\connect app
-- Owned by the superuser: pgbouncer_auth can use the function but neither replace nor drop it.
CREATE SCHEMA pgbouncer;
REVOKE ALL ON SCHEMA pgbouncer FROM public;
GRANT USAGE ON SCHEMA pgbouncer TO pgbouncer_auth;
-- The password hash of a member of pgbouncer_clients, for PgBouncer's SCRAM exchange, and nothing else: for any
-- other role (the superuser, replicator, rewind_user, the monitoring role, pgbouncer_auth itself) it returns no row
-- and PgBouncer refuses the login. A superuser, replication or BYPASSRLS role is refused even if made a member.
CREATE FUNCTION pgbouncer.user_lookup(in i_username text, out uname text, out phash text)
RETURNS record AS $$
  SELECT a.rolname::text, a.rolpassword FROM pg_catalog.pg_authid a
  WHERE a.rolname = i_username AND a.rolcanlogin
    AND NOT a.rolsuper AND NOT a.rolreplication AND NOT a.rolbypassrls
    AND pg_catalog.pg_has_role(a.oid, 'pgbouncer_clients', 'MEMBER')
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog;
REVOKE ALL ON FUNCTION pgbouncer.user_lookup(text) FROM public;
GRANT EXECUTE ON FUNCTION pgbouncer.user_lookup(text) TO pgbouncer_auth;
SQL
