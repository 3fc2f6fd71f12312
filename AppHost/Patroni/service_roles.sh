#!/bin/sh
# The roles the stack's services log in with, and PgBouncer's lookup function: created or brought up to date,
# idempotently. post_bootstrap.sh runs it once on a new cluster; on_role.sh on every start and promotion of a
# primary, so a stack whose volumes predate a change gets the same roles. Passwords come from the environment.
# $1: a connection string to the primary (default: the local socket as postgres).
set -eu
conn="${1:-host=/run/postgresql user=postgres dbname=postgres}"
psql -v ON_ERROR_STOP=1 -q -v app_password="$HASTACK_APP_PASSWORD" -v auth_password="$HASTACK_PGBOUNCER_AUTH_PASSWORD" \
     -v monitor_password="$HASTACK_MONITOR_PASSWORD" "$conn" <<'SQL'
-- One run at a time (post_bootstrap and a start callback may overlap on a new cluster).
SELECT pg_advisory_lock(8008);
SELECT NOT pg_is_in_recovery() AS is_primary \gset
\if :is_primary
-- The roles, created where missing (without passwords: psql cannot put variables into a DO block), then set below.
-- pgbouncer_clients: the roles that may log in through PgBouncer (the application role is the one).
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['pgbouncer_clients', 'app', 'hastack_monitor', 'pgbouncer_auth'] LOOP
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I', r);
    END IF;
  END LOOP;
END
$$;
ALTER ROLE app LOGIN PASSWORD :'app_password';
GRANT pgbouncer_clients TO app;
-- The HealthProbe reads replication state and settings; pg_monitor is all it needs.
ALTER ROLE hastack_monitor LOGIN NOSUPERUSER PASSWORD :'monitor_password';
GRANT pg_monitor TO hastack_monitor;
-- PgBouncer's auth_user: it may call the lookup function below, and nothing else.
ALTER ROLE pgbouncer_auth LOGIN NOSUPERUSER PASSWORD :'auth_password';
REVOKE pg_monitor FROM pgbouncer_auth;
SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = 'app') AS missing \gset
\if :missing
CREATE DATABASE app OWNER app;
\endif
\connect app
SELECT pg_advisory_lock(8008);
-- Owned by the superuser: pgbouncer_auth can use the function but neither replace nor drop it.
CREATE SCHEMA IF NOT EXISTS pgbouncer;
ALTER SCHEMA pgbouncer OWNER TO CURRENT_USER;
REVOKE ALL ON SCHEMA pgbouncer FROM public;
GRANT USAGE ON SCHEMA pgbouncer TO pgbouncer_auth;
-- The password hash of a member of pgbouncer_clients, for PgBouncer's SCRAM exchange, and nothing else: for any
-- other role (the superuser, replicator, rewind_user, the monitoring role, pgbouncer_auth itself) it returns no row
-- and PgBouncer refuses the login. A superuser, replication or BYPASSRLS role is refused even if made a member.
CREATE OR REPLACE FUNCTION pgbouncer.user_lookup(in i_username text, out uname text, out phash text)
RETURNS record AS $$
  SELECT a.rolname::text, a.rolpassword FROM pg_catalog.pg_authid a
  WHERE a.rolname = i_username AND a.rolcanlogin
    AND NOT a.rolsuper AND NOT a.rolreplication AND NOT a.rolbypassrls
    AND pg_catalog.pg_has_role(a.oid, 'pgbouncer_clients', 'MEMBER')
$$ LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog;
ALTER FUNCTION pgbouncer.user_lookup(text) OWNER TO CURRENT_USER;
REVOKE ALL ON FUNCTION pgbouncer.user_lookup(text) FROM public;
GRANT EXECUTE ON FUNCTION pgbouncer.user_lookup(text) TO pgbouncer_auth;
\endif
SQL
