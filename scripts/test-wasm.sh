#!/usr/bin/env bash
# Runs the wasm-bindgen browser tests (tests/web.rs) in headless Chrome and Firefox, then in
# WebKit (WebKitGTK, the Safari engine), against a real collector on 127.0.0.1, started here
# and stopped on exit.
#
# WebKit goes through wasm-bindgen-test-runner's Safari driver pointed at WebKitWebDriver
# (SAFARIDRIVER): wasm-pack only knows macOS's safaridriver. The runner opens a Safari session
# with empty capabilities (it reads webdriver.json for Chrome and Firefox only), so
# WebKitWebDriver starts its default browser, MiniBrowser with --automation. Debian's
# MiniBrowser has no headless mode, so it gets a virtual display from Xvfb when there is none.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build -q -p snowtrack-collector
log=$(mktemp)
"${CARGO_TARGET_DIR:-target}"/debug/snowtrack-collector --port 0 >"$log" 2>&1 &
pid=$!
xvfb=
prober=
cleanup() {
  kill "$pid" 2>/dev/null || true
  [ -z "$prober" ] || kill "$prober" 2>/dev/null || true
  [ -z "$xvfb" ] || kill "$xvfb" 2>/dev/null || true
  rm -f "$log"
}
trap cleanup EXIT
for _ in $(seq 100); do
  grep -q '^listening on ' "$log" && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$log" | head -1)
[ -n "$url" ] || { echo "collector did not start:"; cat "$log"; exit 1; }
echo "collector at $url"

export SNOWTRACK_TEST_COLLECTOR=$url
export WASM_BINDGEN_TEST_TIMEOUT=60
# The test module with its debug info is ~23 MB, and Chrome 156 stalls for minutes loading some
# builds of it (the renderer stops answering while "Loading scripts", every time for a given
# module, at opt-level 0 and 1 alike; Firefox and WebKit run it): without debug info, and at
# opt-level 1, it is 2.4 MB and loads at once, the tests the same.
export CARGO_PROFILE_DEV_OPT_LEVEL=1
export CARGO_PROFILE_DEV_DEBUG=0
# The test harness links std, so the module is built with it (`std` feature: no snowtrack
# allocator or panic handler).
#
# wasm-bindgen-test-runner serves the test page with tiny_http, whose worker pool can leave an
# accepted connection queued with no worker woken for it when a browser opens several at once
# (a lost wake-up; the four first workers then sit on the browser's keep-alive connections). Seen
# as Chrome stalling at "Loading scripts..." (one request never read: bytes left in the socket's
# receive queue) until its 300 s page load timeout, about one run in three on two cores. Any task
# that ends hands its worker to the queued one, so while the tests run, the runner's server gets
# a one-off request (Connection: close) twice a second.
probe_test_server() {
  while sleep 0.5; do
    for runner in $(pgrep -f 'wasm-bindgen-test-runner .*[.]wasm' || true); do
      for port in $(ss -ltnpH 2>/dev/null | awk -v owner="pid=$runner," 'index($0, owner) { n = split($4, a, ":"); print a[n] }'); do
        curl -s -o /dev/null -m 2 -H 'Connection: close' "http://127.0.0.1:$port/" || true
      done
    done
  done
}
probe_test_server &
prober=$!
# Were it to stall all the same (the runner then prints "Failed to detect test as having been
# run"), the run is tried once more.
run_log=$(mktemp)
if ! wasm-pack test --headless --chrome --firefox -- --test web --features std 2>&1 | tee "$run_log"; then
  grep -q 'Failed to detect test as having been run' "$run_log" || { rm -f "$run_log"; exit 1; }
  echo "test-wasm: the browser stalled loading the tests; once more"
  wasm-pack test --headless --chrome --firefox -- --test web --features std
fi
rm -f "$run_log"

webkit_driver=${WEBKIT_DRIVER:-/usr/bin/WebKitWebDriver}
[ -x "$webkit_driver" ] || { echo "$webkit_driver is missing: run \`make setup\`"; exit 1; }
if [ -z "${DISPLAY:-}" ]; then
  # Xvfb picks a free display number and writes it to fd 3.
  display_file=$(mktemp)
  Xvfb -displayfd 3 -screen 0 1280x1024x24 -nolisten tcp 3>"$display_file" 2>/dev/null &
  xvfb=$!
  for _ in $(seq 100); do
    [ -s "$display_file" ] && break
    sleep 0.1
  done
  display=$(head -1 "$display_file")
  rm -f "$display_file"
  [ -n "$display" ] || { echo "Xvfb did not start"; exit 1; }
  export DISPLAY=":$display"
fi
echo "WebKit: WebKitGTK $(dpkg-query -W -f='${Version}' webkit2gtk-driver 2>/dev/null || echo "?") on display $DISPLAY"
SAFARIDRIVER=$webkit_driver CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --target wasm32-unknown-unknown --test web --features std
