#!/usr/bin/env bash
# The whole test suite on SQLite, then again on a throwaway PostgreSQL cluster on loopback when
# PostgreSQL's server is installed (Debian: `apt-get install postgresql`). Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python}
. tests/pg_cluster.sh

echo "== tests on SQLite"
"$python" -m pytest "$@"

trap pg_cluster_stop EXIT
if ! pg_cluster_start; then
  echo "== PostgreSQL is not installed here: the PostgreSQL run is skipped"
  exit 0
fi
echo "== tests on PostgreSQL $PG_VERSION ($PG_URL)"
TEST_DATABASE_URL="$PG_URL" TEST_PG_START="$PG_START" TEST_PG_STOP="$PG_STOP" \
  "$python" -m pytest "$@"
