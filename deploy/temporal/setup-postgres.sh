#!/bin/sh
# Creates Temporal's two PostgreSQL databases (persistence and visibility) and brings their schemas to the version this
# admin-tools image ships. Safe to run on every `docker compose up`: an existing database is kept, `setup-schema -v 0.0`
# does nothing on a schema already past 0.0, and `update-schema` applies only the versions not yet applied.
# Runs in temporalio/admin-tools (temporal-sql-tool and the schema files under /etc/temporal/schema).
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (database host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
DB_PORT=${DB_PORT:-5432}
SCHEMA_DIR=${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}

sql() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

create_db() {
  if out=$(sql --db "$1" create 2>&1); then
    echo "database $1 created"
  else
    case "$out" in
      *"already exists"*) echo "database $1 already exists" ;;
      *) echo "$out" >&2; return 1 ;;
    esac
  fi
}

for pair in "temporal:temporal" "temporal_visibility:visibility"; do
  db=${pair%%:*}
  schema=${pair#*:}
  create_db "$db"
  sql --db "$db" setup-schema -v 0.0
  sql --db "$db" update-schema -d "$SCHEMA_DIR/$schema/versioned"
done
echo "PostgreSQL schemas for Temporal are up to date"
