#!/usr/bin/env bash
# The whole test suite on SQLite, then again on a throwaway PostgreSQL cluster on loopback when
# PostgreSQL's server is installed (Debian: `apt-get install postgresql`). Arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python}

echo "== tests on SQLite"
"$python" -m pytest "$@"

pg_bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
if [ -z "$pg_bin" ] && command -v pg_config >/dev/null; then pg_bin=$(pg_config --bindir); fi
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "== PostgreSQL is not installed here: the PostgreSQL run is skipped"
  exit 0
fi

# PostgreSQL refuses to run as root: the cluster belongs to an ordinary user.
as_owner=()
if [ "$(id -u)" = 0 ]; then
  owner=postgres
  id "$owner" >/dev/null 2>&1 || useradd --system --no-create-home "$owner"
  as_owner=(runuser -u "$owner" --)
fi
cluster=$(mktemp -d /tmp/citykb-pg.XXXXXX)
chmod 755 "$cluster"
[ "$(id -u)" = 0 ] && chown "$owner" "$cluster"
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"${as_owner[@]}" "$pg_bin/initdb" -D "$cluster/data" -U citykb --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
pg_ctl_command="${as_owner[*]} $pg_bin/pg_ctl -D $cluster/data -l $cluster/log -w"
start="$pg_ctl_command -o '-p $port -k $cluster -c listen_addresses=127.0.0.1' start"
stop="$pg_ctl_command -m fast stop"
cleanup() { eval "$stop" >/dev/null 2>&1 || true; rm -rf "$cluster"; }
trap cleanup EXIT
eval "$start" >/dev/null
"${as_owner[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U citykb citykb_test

echo "== tests on PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') (127.0.0.1:$port)"
TEST_DATABASE_URL="postgresql+psycopg://citykb@127.0.0.1:$port/citykb_test" \
  TEST_PG_START="$start" TEST_PG_STOP="$stop" \
  "$python" -m pytest "$@"
