#!/usr/bin/env bash
# Run a command with TEST_DATABASE_URL pointing at a throwaway database on the
# local PostgreSQL (127.0.0.1:5432, user postgres, trust auth); drop it after.
set -euo pipefail
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER

if ! pg_isready -q -h "$PGHOST" -p "$PGPORT"; then
  echo "PostgreSQL is down; starting the local cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 30); do pg_isready -q -h "$PGHOST" -p "$PGPORT" && break; sleep 1; done
fi

DB="support_directory_test_$$_$(date +%s)"
createdb "$DB"
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true' EXIT
echo "Running on PostgreSQL database $DB"
TEST_DATABASE_URL="postgresql+psycopg://$PGUSER@$PGHOST:$PGPORT/$DB" "$@"
