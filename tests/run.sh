#!/usr/bin/env bash
# The whole test suite on SQLite and, when PostgreSQL's server is installed (Debian:
# `apt-get install postgresql`), on a throwaway PostgreSQL cluster on loopback. The two runs go
# side by side, one per core, each into its own log, which is shown as the run ends; follow one
# with `tail -f` on the path printed. Arguments go to pytest. Exits non-zero if either run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python}
. tests/pg_cluster.sh

trap pg_cluster_stop EXIT
if ! pg_cluster_start; then
  echo "== tests on SQLite (PostgreSQL is not installed here: its run is skipped)"
  exec "$python" -m pytest "$@"
fi

logs=$(mktemp -d /tmp/citykb-tests.XXXXXX)
echo "== tests on SQLite ($logs/sqlite.log) and on PostgreSQL $PG_VERSION ($logs/postgresql.log)"
"$python" -m pytest --basetemp="$logs/sqlite" "$@" >"$logs/sqlite.log" 2>&1 &
sqlite_run=$!
TEST_DATABASE_URL="$PG_URL" TEST_PG_START="$PG_START" TEST_PG_STOP="$PG_STOP" \
  "$python" -m pytest --basetemp="$logs/postgresql" "$@" >"$logs/postgresql.log" 2>&1 &
postgresql_run=$!

failed=0
for run in sqlite postgresql; do
  pid_name="${run}_run"
  status=0
  wait "${!pid_name}" || status=$?
  echo "== tests on $run: exit $status"
  cat "$logs/$run.log"
  [ "$status" = 0 ] || failed=1
done
[ "$failed" = 1 ] || rm -rf "$logs"  # kept after a failure, for a second look
exit "$failed"
