#!/bin/sh
# Creates the roles and the database of the dsrflow compose stack.
#
# Mounted into /docker-entrypoint-initdb.d of the postgres image, so it runs
# exactly once: when the postgres volume is initialised. Changing the
# passwords afterwards means changing them in the database as well
# (ALTER ROLE ... PASSWORD ...) or starting from an empty volume.
#
#   temporal  owns the temporal and temporal_visibility databases, which the
#             temporal-schema one-shot creates (hence CREATEDB)
#   dsr       owns the dsr database, whose schema `dsr migrate` keeps current
set -eu

: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD must be set}"
: "${DSRFLOW_DB_PASSWORD:?DSRFLOW_DB_PASSWORD must be set}"

# The passwords go in as psql variables (:'name' quotes them as literals), so
# no value can break out of the statement.
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "${POSTGRES_DB:-$POSTGRES_USER}" \
	-v temporal_password="$TEMPORAL_DB_PASSWORD" \
	-v dsr_password="$DSRFLOW_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE dsr LOGIN PASSWORD :'dsr_password';
CREATE DATABASE dsr OWNER dsr;
SQL
