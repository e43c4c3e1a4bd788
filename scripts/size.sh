#!/usr/bin/env bash
# `make size` (after `make package`): what a page downloads for tracking on the npm path (an app
# bundled by esbuild) and the tag path, gzip -9 and brotli, per file; fails when a path's gzip
# total exceeds its budget in size-budget.txt. See js/size.mjs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$root/pkg/npm/loader.js" ] || { echo "size: pkg/npm is missing: run \`make package\` first" >&2; exit 1; }
"$root/scripts/npm-ready.sh" "$root/js"
exec node "$root/js/size.mjs" "$@"
