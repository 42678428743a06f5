#!/bin/sh
# Runs once, on the first start of an empty PostgreSQL volume (docker-entrypoint-initdb.d):
# the app gets its own role and database, apart from Temporal's.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v shenpi_password="${SHENPI_DB_PASSWORD:?}" <<'SQL'
CREATE ROLE shenpi WITH LOGIN PASSWORD :'shenpi_password';
CREATE DATABASE shenpi OWNER shenpi;
SQL
