#!/usr/bin/env bash
# Usage: scripts/npm-ready.sh DIR — runs `npm ci` in DIR when its node_modules is missing or older
# than its package-lock.json, so the scripts that need a package's tools share one rule.
set -euo pipefail
dir=$1
if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
  printf 'npm ci (%s)\n' "$dir" >&2
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$dir/node_modules"
fi
