#!/usr/bin/env bash
# Logical backup of the platform database (everything: fleet, history, users, audit log, job queue)
# with pg_dump's custom format, verified before it counts, then retention.
#
#   DATABASE_URL=postgres://... scripts/backup.sh            # or DATABASE_URL_FILE=/run/secrets/...
#   BACKUP_DIR=/var/backups/simfleet  (default ./backups)
#   BACKUP_RETENTION_DAYS=14          delete backups older than this ...
#   BACKUP_KEEP_MIN=7                 ... but always keep at least this many of the newest
#
# Prints the path of the new backup on stdout. Exit status is non-zero on any failure, and a failed
# or unreadable dump never replaces a good one (written as .partial, verified, then renamed).
set -euo pipefail

if [ -z "${DATABASE_URL:-}" ] && [ -n "${DATABASE_URL_FILE:-}" ]; then DATABASE_URL=$(cat "$DATABASE_URL_FILE"); fi
: "${DATABASE_URL:?set DATABASE_URL (or DATABASE_URL_FILE)}"
BACKUP_DIR=${BACKUP_DIR:-./backups}
BACKUP_RETENTION_DAYS=${BACKUP_RETENTION_DAYS:-14}
BACKUP_KEEP_MIN=${BACKUP_KEEP_MIN:-7}
case "$BACKUP_RETENTION_DAYS$BACKUP_KEEP_MIN" in *[!0-9]*) echo "BACKUP_RETENTION_DAYS and BACKUP_KEEP_MIN must be whole numbers" >&2; exit 2 ;; esac

mkdir -p "$BACKUP_DIR"
umask 077
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$BACKUP_DIR/simfleet-$stamp.dump"
partial="$target.partial"
trap 'rm -f "$partial"' EXIT

# --no-owner/--no-acl: restorable into a database owned by another role (a new server, a fresh cluster).
pg_dump --dbname="$DATABASE_URL" --format=custom --compress=6 --no-owner --no-acl --file="$partial"
# A dump that pg_restore cannot list is not a backup.
pg_restore --list "$partial" >/dev/null
mv "$partial" "$target"
(cd "$BACKUP_DIR" && sha256sum "$(basename "$target")" > "$(basename "$target").sha256")
echo "backup: $target ($(du -h "$target" | cut -f1))" >&2

# Retention: newest first; the first BACKUP_KEEP_MIN always stay, older ones go once past the age.
now=$(date -u +%s)
max_age=$((BACKUP_RETENTION_DAYS * 86400))
i=0
for dump in $(ls -1t "$BACKUP_DIR"/simfleet-*.dump 2>/dev/null); do
  i=$((i + 1))
  [ "$i" -le "$BACKUP_KEEP_MIN" ] && continue
  age=$((now - $(stat -c %Y "$dump")))
  if [ "$age" -gt "$max_age" ]; then
    rm -f "$dump" "$dump.sha256"
    echo "retention: removed $(basename "$dump")" >&2
  fi
done
echo "$target"
