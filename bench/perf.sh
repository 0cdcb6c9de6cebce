#!/usr/bin/env bash
# The performance harness, bench/perf.py, with what it needs: wrk (Debian's), Datasette and
# granian in a virtual environment of their own (the peer), and a throwaway PostgreSQL cluster
# on loopback.
#   bench/perf.sh [perf.py options]     e.g. bench/perf.sh --projects 100000 1000000
#   bench/perf.sh --baseline REV [compare.py options]   this tree against REV, SQLite only
# PYTHON is the project's Python (default .venv/bin/python, as the README installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-.venv/bin/python}
command -v wrk >/dev/null || apt-get install -y wrk
case " $* " in
  *" --baseline"*)  # the working tree against an earlier revision: bench/compare.py
    exec "$python" -u bench/compare.py --python "$python" "$@" ;;
esac
# The peer's environment also serves the ceiling under granian (Rust), beside uvicorn's.
peer=bench/.peer-venv
if [ ! -x "$peer/bin/granian" ]; then
  python3 -m venv "$peer"
  "$peer/bin/pip" install --quiet datasette==0.65.5 granian==2.8.7 orjson==3.13.0 \
    httptools==0.9.0 uvloop==0.23.0
fi
. tests/pg_cluster.sh
trap pg_cluster_stop EXIT
pg=()
if PYTHON=$python pg_cluster_start; then
  pg=(--pg-url "$PG_URL")
fi
PEER_PYTHON=$peer/bin/python "$python" -u bench/perf.py "${pg[@]}" "$@"
