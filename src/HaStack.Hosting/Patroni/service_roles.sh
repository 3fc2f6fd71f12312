#!/bin/sh
# The roles the stack's services log in with, and PgBouncer's lookup function: created or brought up to date,
# idempotently. post_bootstrap.sh runs it once on a new cluster; on_role.sh on every start and promotion of a
# primary, so a stack whose volumes predate a change gets the same roles. Passwords come from the environment.
# $1: a connection string to the primary (default: the local socket as postgres).
#
# A password is set only when the role's stored SCRAM verifier does not already match it. Setting it again would
# hash it with a new salt: PgBouncer's clients, logged in with the old salt's keys, would then fail to log in to a
# newly promoted leader (SCRAM pass-through), so every promotion would cost the pooled clients errors.
set -eu
conn="${1:-host=/run/postgresql user=postgres dbname=postgres}"

# needs_password ROLE PASSWORD: 1 unless ROLE's stored verifier is PASSWORD's (PBKDF2 as in RFC 5802), else 0.
needs_password() {
  verifier=$(psql -Atq -v ON_ERROR_STOP=1 -v role="$1" "$conn" <<'SQL' 2>/dev/null || true
SELECT coalesce(rolpassword, '') FROM pg_authid WHERE rolname = :'role';
SQL
)
  HASTACK_SCRAM_PASSWORD="$2" python3 - "$verifier" <<'PY' && echo 0 || echo 1
import base64, hashlib, hmac, os, sys
try:
    scheme, rest = sys.argv[1].split("$", 1)
    iterations_salt, keys = rest.split("$", 1)
    iterations, salt = iterations_salt.split(":", 1)
    stored_key = keys.split(":", 1)[0]
    assert scheme == "SCRAM-SHA-256"
    salted = hashlib.pbkdf2_hmac("sha256", os.environ["HASTACK_SCRAM_PASSWORD"].encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    sys.exit(0 if hmac.compare_digest(hashlib.sha256(client_key).digest(), base64.b64decode(stored_key)) else 1)
except Exception:
    sys.exit(1)
PY
}

psql -v ON_ERROR_STOP=1 -q -v app_password="$HASTACK_APP_PASSWORD" -v auth_password="$HASTACK_PGBOUNCER_AUTH_PASSWORD" \
     -v monitor_password="$HASTACK_MONITOR_PASSWORD" \
     -v set_app="$(needs_password app "$HASTACK_APP_PASSWORD")" \
     -v set_monitor="$(needs_password hastack_monitor "$HASTACK_MONITOR_PASSWORD")" \
     -v set_auth="$(needs_password pgbouncer_auth "$HASTACK_PGBOUNCER_AUTH_PASSWORD")" \
     -v has_cdc="$([ -n "${HASTACK_CDC_PASSWORD:-}" ] && echo 1 || echo 0)" -v cdc_password="${HASTACK_CDC_PASSWORD:-}" \
     -v set_cdc="$([ -n "${HASTACK_CDC_PASSWORD:-}" ] && needs_password cdc "$HASTACK_CDC_PASSWORD" || echo 0)" "$conn" <<'SQL'
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
ALTER ROLE app LOGIN;
\if :set_app
ALTER ROLE app PASSWORD :'app_password';
\endif
GRANT pgbouncer_clients TO app;
-- The HealthProbe reads replication state and settings; pg_monitor is all it needs.
ALTER ROLE hastack_monitor LOGIN NOSUPERUSER;
\if :set_monitor
ALTER ROLE hastack_monitor PASSWORD :'monitor_password';
\endif
GRANT pg_monitor TO hastack_monitor;
-- PgBouncer's auth_user: it may call the lookup function below, and nothing else.
ALTER ROLE pgbouncer_auth LOGIN NOSUPERUSER;
\if :set_auth
ALTER ROLE pgbouncer_auth PASSWORD :'auth_password';
\endif
REVOKE pg_monitor FROM pgbouncer_auth;
-- The logical replication consumer (HASTACK_CDC_PASSWORD, only with logical failover slots): it may open replication
-- connections to the application database and nothing else; PgBouncer's lookup refuses replication roles.
\if :has_cdc
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cdc') AS cdc_missing \gset
\if :cdc_missing
CREATE ROLE cdc;
\endif
ALTER ROLE cdc LOGIN REPLICATION NOSUPERUSER;
\if :set_cdc
ALTER ROLE cdc PASSWORD :'cdc_password';
\endif
\endif
SELECT NOT EXISTS (SELECT FROM pg_database WHERE datname = 'app') AS missing \gset
\if :missing
CREATE DATABASE app OWNER app;
\endif
\if :has_cdc
GRANT CONNECT ON DATABASE app TO cdc;
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
