# Sourced by tests/run.sh and bench/: a throwaway PostgreSQL cluster on loopback.
# pg_cluster_start sets PG_URL (a fresh database), PG_START and PG_STOP (shell commands);
# pg_cluster_stop stops it and removes its files. Returns 1 where PostgreSQL is not installed.

pg_cluster_start() {
  local python=${PYTHON:-python}
  PG_BIN=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$PG_BIN" ] && command -v pg_config >/dev/null; then PG_BIN=$(pg_config --bindir); fi
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/initdb" ] || return 1
  # PostgreSQL refuses to run as root: the cluster then belongs to the `postgres` user.
  PG_AS_OWNER=()
  PG_CLUSTER=$(mktemp -d /tmp/citykb-pg.XXXXXX)
  chmod 755 "$PG_CLUSTER"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    PG_AS_OWNER=(runuser -u postgres --)
    chown postgres "$PG_CLUSTER"
  fi
  local port
  port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${PG_AS_OWNER[@]}" "$PG_BIN/initdb" -D "$PG_CLUSTER/data" -U citykb --auth=trust -E UTF8 \
    --locale=C.UTF-8 >/dev/null
  local pg_ctl="${PG_AS_OWNER[*]} $PG_BIN/pg_ctl -D $PG_CLUSTER/data -l $PG_CLUSTER/log -w"
  # max_wal_size as PostgreSQL's "Populating a Database" advises for bulk loads (citykb synth):
  # the default 1GB forces a checkpoint every few seconds of one.
  PG_START="$pg_ctl -o '-p $port -k $PG_CLUSTER -c listen_addresses=127.0.0.1 -c max_wal_size=4GB' start"
  PG_STOP="$pg_ctl -m fast stop"
  eval "$PG_START" >/dev/null
  "${PG_AS_OWNER[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U citykb citykb
  PG_URL="postgresql+psycopg://citykb@127.0.0.1:$port/citykb"
  PG_VERSION=$("$PG_BIN/postgres" --version | awk '{print $3}')
}

pg_cluster_stop() {
  [ -n "${PG_CLUSTER:-}" ] || return 0
  eval "$PG_STOP" >/dev/null 2>&1 || true
  rm -rf "$PG_CLUSTER"
  PG_CLUSTER=
}
