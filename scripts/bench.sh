#!/usr/bin/env bash
# `make bench` (after `make pkg`): snowtrack vs @snowplow/browser-tracker in one headless Chromium
# session against the local collector (built with the `native` profile): download size, load + init time, µs
# per track call, main-thread time per event, bursts of 1,000 / 10,000 events to the collector and
# the memory after them. Prints a table (snowtrack, Snowplow, ratio) and writes bench/results.json.
# Numbers to read, not a test: nothing fails on a threshold. See bench/README.md.
#
#   scripts/bench.sh                        everything, about 3 minutes on 2 cores
#   scripts/bench.sh --quick                fewer rounds, about 1.5 minutes
#   scripts/bench.sh --rounds 3 --burst-rounds 1 --bursts 1000   (--help lists the options)
#   COLLECTOR_BIN=path scripts/bench.sh     another collector binary (default: the native-profile build)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
e2e="$root/tests/e2e"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
say() { printf 'bench: %s\n' "$*" >&2; }

for f in pkg/web/snowtrack.js pkg/web/snowtrack_bg.wasm; do
  [ -f "$root/$f" ] || { say "$f is missing: run \`make pkg\` first"; exit 1; }
done

# The browser driver, esbuild and @snowplow/browser-tracker are the end-to-end tests' (tests/e2e).
"$root/scripts/npm-ready.sh" "$e2e"

# pkg/npm (the tag path's loader, `snowtrack/load` for the esbuild bundle), rebuilt when older
# than what it is made from.
stale=0
if [ ! -f "$root/pkg/npm/package.json" ]; then
  stale=1
else
  for f in pkg/web/snowtrack.js pkg/web/snowtrack_bg.wasm pkg/bundler/snowtrack.js pkg/bundler/snowtrack_bg.wasm \
    js/facade.js js/facade-glue.mjs js/tracker.d.ts js/load.js js/loader.js js/snippet.js js/build.mjs js/README.md Cargo.toml; do
    if [ -f "$root/$f" ] && [ "$root/$f" -nt "$root/pkg/npm/package.json" ]; then stale=1; break; fi
  done
fi
if [ "$stale" = 1 ]; then
  say "scripts/package.sh --no-pack (pkg/npm is older than its inputs)"
  "$root/scripts/package.sh" --no-pack >/dev/null
fi

# The native profile: the release profile is tuned for wasm size (opt-level "z").
if [ -z "${COLLECTOR_BIN:-}" ]; then
  say "cargo build --profile native -p snowtrack-collector"
  (cd "$root" && cargo build --profile native --quiet -p snowtrack-collector)
  export COLLECTOR_BIN="$root/target/native/snowtrack-collector"
fi

cd "$root"
exec node bench/bench.mjs "$@"
