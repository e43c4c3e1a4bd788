#!/usr/bin/env bash
# Prints the release package's size and fails when the gzipped wasm + JS glue exceed the budget.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=$(grep -v '^#' size-budget.txt | tr -d '[:space:]')
gz() { gzip -9 -c "$1" | wc -c; }
wasm=pkg/web/snowtrack_bg.wasm
glue=pkg/web/snowtrack.js
total=$(( $(gz "$wasm") + $(gz "$glue") ))
printf 'size: %s %d B (gzip %d B), %s %d B (gzip %d B); total gzip %d B, budget %d B\n' \
  "$wasm" "$(wc -c <"$wasm")" "$(gz "$wasm")" "$glue" "$(wc -c <"$glue")" "$(gz "$glue")" "$total" "$budget"
if [ "$total" -gt "$budget" ]; then
  echo "size: over budget by $(( total - budget )) bytes" >&2
  exit 1
fi
