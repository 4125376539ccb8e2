#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into the database at DATABASE_URL.
#
#   DATABASE_URL=postgres://.../simfleet_restored scripts/restore.sh backups/simfleet-20260101T020000Z.dump
#
# The target should be a new, empty database (createdb). Restoring over a database that already has
# tables needs RESTORE_FORCE=1, which drops the objects in the dump first. Stop every simfleet
# process that uses the target before restoring. The checksum written by backup.sh is verified.
# The restore runs in one transaction: it applies completely or not at all.
set -euo pipefail

file=${1:?usage: restore.sh <backup.dump>}
[ -r "$file" ] || { echo "cannot read $file" >&2; exit 2; }
if [ -z "${DATABASE_URL:-}" ] && [ -n "${DATABASE_URL_FILE:-}" ]; then DATABASE_URL=$(cat "$DATABASE_URL_FILE"); fi
: "${DATABASE_URL:?set DATABASE_URL (or DATABASE_URL_FILE) to the target database}"

if [ -f "$file.sha256" ]; then
  (cd "$(dirname "$file")" && sha256sum --check --quiet "$(basename "$file").sha256") || { echo "checksum mismatch: $file" >&2; exit 3; }
fi
pg_restore --list "$file" >/dev/null

tables=$(psql "$DATABASE_URL" -XAtc "select count(*) from pg_tables where schemaname not in ('pg_catalog', 'information_schema')")
clean=()
if [ "$tables" != "0" ]; then
  if [ "${RESTORE_FORCE:-0}" != "1" ]; then
    echo "the target database already has $tables tables; restore into a new database, or set RESTORE_FORCE=1 to replace them" >&2
    exit 4
  fi
  clean=(--clean --if-exists)
fi

pg_restore --dbname="$DATABASE_URL" --no-owner --no-acl --exit-on-error --single-transaction "${clean[@]}" "$file"
# Fresh planner statistics: the restored tables have none.
psql "$DATABASE_URL" -XqAtc "analyze" >/dev/null
echo "restored $file into the target database" >&2
