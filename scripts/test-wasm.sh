#!/usr/bin/env bash
# Runs the wasm-bindgen browser tests in headless Chrome and Firefox against a real collector
# on 127.0.0.1, started here and stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p snowtrack-collector
log=$(mktemp)
"${CARGO_TARGET_DIR:-target}"/debug/snowtrack-collector --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q '^listening on ' "$log" && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$log" | head -1)
[ -n "$url" ] || { echo "collector did not start:"; cat "$log"; exit 1; }
echo "collector at $url"

export SNOWTRACK_TEST_COLLECTOR=$url
export WASM_BINDGEN_TEST_TIMEOUT=60
# The test harness links std, so the module is built with it (`std` feature: no snowtrack
# allocator or panic handler).
wasm-pack test --headless --chrome --firefox -- --test web --features std
