#!/bin/sh
# Runs once, on the node that bootstraps the cluster: the application role and database, and the PgBouncer
# auth_query function. Passwords come from the environment (Aspire parameters), never from a file.
set -eu
psql -v ON_ERROR_STOP=1 -v app_password="$HASTACK_APP_PASSWORD" -v auth_password="$HASTACK_PGBOUNCER_AUTH_PASSWORD" "$1" <<'SQL'
CREATE ROLE app LOGIN PASSWORD :'app_password';
CREATE ROLE pgbouncer_auth LOGIN PASSWORD :'auth_password';
CREATE DATABASE app OWNER app;
\connect app
CREATE SCHEMA pgbouncer AUTHORIZATION pgbouncer_auth;
CREATE FUNCTION pgbouncer.user_lookup(in i_username text, out uname text, out phash text)
RETURNS record AS $$
  SELECT usename, passwd FROM pg_catalog.pg_shadow WHERE usename = i_username
$$ LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog;
REVOKE ALL ON FUNCTION pgbouncer.user_lookup(text) FROM public;
GRANT EXECUTE ON FUNCTION pgbouncer.user_lookup(text) TO pgbouncer_auth;
GRANT pg_monitor TO pgbouncer_auth;
SQL
