#!/usr/bin/env bash
# Scale benchmark: `citykb synth --projects N` into a fresh SQLite file and a fresh PostgreSQL
# database, timed, then `citykb explain` at that size. Writes bench/results/.
#   bench/scale.sh [N]        (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
projects=${1:-1000000}
python=${PYTHON:-python}
citykb=${CITYKB:-citykb}
results=bench/results
mkdir -p "$results"
. tests/pg_cluster.sh
trap pg_cluster_stop EXIT

run() {  # run LABEL DATABASE_URL
  local label=$1 url=$2
  echo "== $label: synth $projects projects"
  DATABASE_URL="$url" "$citykb" synth --projects "$projects" | tail -n 1 | tee "$results/synth-$label.txt"
  echo "== $label: query plans"
  DATABASE_URL="$url" "$citykb" explain > "$results/plans-$label.txt" || true
  tail -n 1 "$results/plans-$label.txt"
}

workdir=$(mktemp -d)
run sqlite "sqlite:///$workdir/scale.db"
rm -rf "$workdir"
if pg_cluster_start; then
  run "postgresql" "$PG_URL"
else
  echo "== PostgreSQL is not installed here: skipped"
fi
{
  echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m), $(date -u +%F)"
  for label in sqlite postgresql; do
    [ -f "$results/synth-$label.txt" ] && echo "$label: $(cat "$results/synth-$label.txt")"
    [ -f "$results/plans-$label.txt" ] && echo "$label plans: $(tail -n 1 "$results/plans-$label.txt")"
  done
} > "$results/scale-summary.txt"
cat "$results/scale-summary.txt"
