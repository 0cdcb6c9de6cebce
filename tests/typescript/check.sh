#!/usr/bin/env bash
# Type-checks the README's TypeScript client as written: the app's OpenAPI document, its types
# from openapi-typescript, every ```ts block of README.md's "Generating a client" section beside
# them, then `tsc --noEmit`. Exits non-zero on any type error. Needs `npm ci --prefix
# tests/typescript` first; PYTHON (default python3) is the interpreter with the app installed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
python=${PYTHON:-python3}

if [ ! -x "$here/node_modules/.bin/tsc" ]; then
  echo "tests/typescript/node_modules is missing: run npm ci --prefix tests/typescript" >&2
  exit 2
fi

# Inside tests/typescript, so that the snippets' imports resolve from its node_modules.
work=$(mktemp -d "$here/.check.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$root" && "$python" -m app openapi) > "$work/openapi.json"
(cd "$here" && npx --no-install openapi-typescript "$work/openapi.json" -o "$work/citykb.d.ts") \
  > "$work/openapi-typescript.log" 2>&1 || { cat "$work/openapi-typescript.log" >&2; exit 1; }

# Every ```ts block between "### Generating a client" and the next heading, one file each, and
# where each starts in the README, to read tsc's line numbers by.
awk -v dir="$work" '
  /^```/ && fence { fence = 0; if (out) { close(out); out = "" } next }
  /^```/ {
    fence = 1
    if (section && $0 ~ /^```ts[[:space:]]*$/) {
      out = sprintf("%s/readme-%d.ts", dir, ++n)
      printf "readme-%d.ts line 1 is README.md line %d\n", n, FNR + 1 > (dir "/blocks.txt")
    }
    next
  }
  !fence && /^#/ { section = ($0 ~ /^### Generating a client[[:space:]]*$/) }
  out { print > out }
  END {
    if (n == 0) {
      print "no ```ts block in the README'\''s \"Generating a client\" section" > "/dev/stderr"
      exit 1
    }
  }
' "$root/README.md"

cat > "$work/tsconfig.json" <<JSON
{ "extends": "../tsconfig.json", "files": [], "include": ["*.ts"] }
JSON
echo "== tsc --noEmit on the README's TypeScript ($(wc -l < "$work/blocks.txt") block(s))"
if ! (cd "$here" && npx --no-install tsc --noEmit --pretty false -p "$work/tsconfig.json"); then
  cat "$work/blocks.txt" >&2
  exit 1
fi
echo "the README's TypeScript type-checks"
