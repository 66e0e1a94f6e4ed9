#!/bin/sh
# Run once by the postgres image when it creates its data volume: the gateway's own role. It owns
# nothing and is no superuser; `audit:migrate --grant rescind_gateway` (the compose `migrate`
# service, connected as the owner `rescind`) gives it INSERT and SELECT on the audit tables, so it
# can write and read audit records but never alter or drop them or their append-only triggers
# (docs/audit-trail.md, "Database roles").
set -eu
password=$(cat /run/secrets/postgres-gateway-password)
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$password" <<'SQL'
CREATE ROLE rescind_gateway LOGIN PASSWORD :'password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
SQL
