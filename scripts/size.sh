#!/usr/bin/env bash
# Prints the release package's size and fails when the gzipped wasm + JS glue exceed the budget.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=$(grep -v '^#' size-budget.txt | tr -d '[:space:]')
gz() { gzip -9 -c "$1" | wc -c; }
wasm=pkg/web/snowtrack_bg.wasm
glue=pkg/web/snowtrack.js
# The glue imports the module's browser calls (src/web/host.js) from snippets/: counted with it.
host=$(find pkg/web/snippets -name host.js | head -1)
[ -n "$host" ] || { echo "size: pkg/web/snippets/*/host.js is missing" >&2; exit 1; }
total=$(( $(gz "$wasm") + $(gz "$glue") + $(gz "$host") ))
printf 'size: %s %d B (gzip %d B), %s %d B (gzip %d B), host.js %d B (gzip %d B); total gzip %d B, budget %d B\n' \
  "$wasm" "$(wc -c <"$wasm")" "$(gz "$wasm")" "$glue" "$(wc -c <"$glue")" "$(gz "$glue")" \
  "$(wc -c <"$host")" "$(gz "$host")" "$total" "$budget"
if [ "$total" -gt "$budget" ]; then
  echo "size: over budget by $(( total - budget )) bytes" >&2
  exit 1
fi
