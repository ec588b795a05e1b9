#!/bin/sh
# One-shot run in temporalio/admin-tools: creates the Temporal persistence and
# visibility databases on postgres (when missing) and brings both schemas up
# to the versions shipped with this admin-tools image. Safe to run on every
# `docker compose up`: existing databases are kept and only newer schema
# versions are applied.
#
# Environment: POSTGRES_SEEDS (host), DB_PORT, POSTGRES_USER, SQL_PASSWORD
# (read by temporal-sql-tool itself, so it never shows in `ps`), DBNAME,
# VISIBILITY_DBNAME.
set -eu

: "${POSTGRES_SEEDS:?}" "${POSTGRES_USER:?}" "${SQL_PASSWORD:?}"
DB_PORT="${DB_PORT:-5432}"
DBNAME="${DBNAME:-temporal}"
VISIBILITY_DBNAME="${VISIBILITY_DBNAME:-temporal_visibility}"
SCHEMA_DIR=/etc/temporal/schema/postgresql/v12

echo "waiting for postgres at ${POSTGRES_SEEDS}:${DB_PORT}"
i=0
until nc -z -w 2 "$POSTGRES_SEEDS" "$DB_PORT"; do
	i=$((i + 1))
	if [ "$i" -ge 60 ]; then
		echo "postgres did not accept connections" >&2
		exit 1
	fi
	sleep 2
done

sql_tool() {
	temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

# setup_db NAME VERSIONED_DIR: create the database unless it exists, install
# the schema_version bookkeeping, then apply every newer versioned schema.
setup_db() {
	echo "database $1: create if missing, set up, update from $2"
	sql_tool --db "$1" create
	sql_tool --db "$1" setup-schema -v 0.0
	sql_tool --db "$1" update-schema -d "$2"
}

setup_db "$DBNAME" "${SCHEMA_DIR}/temporal/versioned"
setup_db "$VISIBILITY_DBNAME" "${SCHEMA_DIR}/visibility/versioned"
echo "temporal schemas are up to date"
