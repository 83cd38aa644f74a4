#!/bin/sh
# Creates Temporal's two PostgreSQL databases (persistence and visibility) and brings their schemas to the version of
# the temporal-sql-tool that runs it. Safe to run on every start: an existing database is kept, `setup-schema -v 0.0`
# does nothing on a schema already past 0.0, and `update-schema` applies only the versions not yet applied.
# The one schema procedure of both ways to run the production server:
#   - docker-compose.yml: the temporal-schema job (temporalio/admin-tools, tool on PATH);
#   - `npm run cluster` (workers/temporal-cluster.ts): SQL_TOOL is the temporal-sql-tool it built or found.
#   POSTGRES_SEEDS, DB_PORT, POSTGRES_USER   where and as whom to connect; SQL_PASSWORD is read by the tool itself
#   DBNAME, VISIBILITY_DBNAME                database names (default temporal, temporal_visibility), as the server config
#   SCHEMA_DIR                               optional: a folder with {temporal,visibility}/versioned (the admin-tools
#                                            image's /etc/temporal/schema/postgresql/v12); unset: the schemas embedded
#                                            in the tool (postgresql/v12/…), the same files for the same version
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (database host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
: "${SQL_PASSWORD:?SQL_PASSWORD is required}"
DB_PORT=${DB_PORT:-5432}
SQL_TOOL=${SQL_TOOL:-temporal-sql-tool}
SCHEMA_DIR=${SCHEMA_DIR:-}

sql() {
  "$SQL_TOOL" --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

create_db() {
  if out=$(sql --db "$1" create 2>&1); then
    echo "database $1 is there"
  else
    case "$out" in
      *"already exists"*) echo "database $1 already exists" ;;
      *) echo "$out" >&2; return 1 ;;
    esac
  fi
}

for pair in "${DBNAME:-temporal}:temporal" "${VISIBILITY_DBNAME:-temporal_visibility}:visibility"; do
  db=${pair%%:*}
  schema=${pair#*:}
  create_db "$db"
  sql --db "$db" setup-schema -v 0.0
  if [ -n "$SCHEMA_DIR" ]; then
    sql --db "$db" update-schema -d "$SCHEMA_DIR/$schema/versioned"
  else
    sql --db "$db" update-schema --schema-name "postgresql/v12/$schema"
  fi
done
echo "PostgreSQL schemas for Temporal are up to date"
