#!/usr/bin/env bash
# `make test-e2e` (after `make pkg`): the built package on real pages in headless Chromium
# (playwright-core) and in WebKit (webkit.test.mjs, through tests/e2e/webdriver.mjs), against the
# real collector binary. Each test starts and stops its own collector on 127.0.0.1.
#
#   COLLECTOR_BIN=path   test this collector binary (default: target/debug/snowtrack-collector, built here)
#   E2E_SCREENSHOT_DIR=d save a screenshot of the demo page there
#   scripts/test-e2e.sh --test-name-pattern=cookie   extra arguments go to `node --test`
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
e2e="$root/tests/e2e"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
say() { printf 'test-e2e: %s\n' "$*" >&2; }

[ -f "$root/pkg/web/snowtrack.js" ] || { say "pkg/web is missing: run \`make pkg\` first"; exit 1; }

"$root/scripts/npm-ready.sh" "$e2e"

say "cargo build -p snowtrack-collector"
(cd "$root" && cargo build --quiet -p snowtrack-collector)
export COLLECTOR_BIN=${COLLECTOR_BIN:-${CARGO_TARGET_DIR:-$root/target}/debug/snowtrack-collector}

cd "$e2e"
exec node --test --test-concurrency=1 "$@" ./*.test.mjs
