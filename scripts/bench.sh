#!/usr/bin/env bash
# `make bench` (after `make pkg`): the delivery benchmark in headless Chromium against the local
# collector built in release mode. Prints a table of numbers and writes bench/results.json; it is
# not a test and has no pass/fail thresholds.
#
#   scripts/bench.sh                          every measurement, snowtrack only
#   scripts/bench.sh --rounds 3 --bursts 1000 extra arguments go to bench/delivery.mjs
#   COLLECTOR_BIN=path scripts/bench.sh       another collector binary (default: the release build)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
e2e="$root/tests/e2e"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
say() { printf 'bench: %s\n' "$*" >&2; }

[ -f "$root/pkg/web/snowtrack.js" ] || { say "pkg/web is missing: run \`make pkg\` first"; exit 1; }

# The browser driver is the end-to-end tests' (tests/e2e/node_modules).
if [ ! -d "$e2e/node_modules" ] || [ "$e2e/package-lock.json" -nt "$e2e/node_modules" ]; then
  say "npm ci (tests/e2e)"
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$e2e/node_modules"
fi

if [ -z "${COLLECTOR_BIN:-}" ]; then
  say "cargo build --release -p snowtrack-collector"
  (cd "$root" && cargo build --release --quiet -p snowtrack-collector)
  export COLLECTOR_BIN="$root/target/release/snowtrack-collector"
fi

cd "$root"
exec node bench/delivery.mjs "$@"
