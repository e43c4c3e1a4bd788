#!/usr/bin/env bash
# Installs what snowtrack's build and tests need on a Debian machine, skipping what is present.
#
#   apt     chromium, chromium-driver, firefox-esr   (headless browser tests)
#           curl, iproute2, procps                   (test-wasm.sh's probe of the test server)
#           webkit2gtk-driver, xvfb                  (WebKit, Safari's engine: WebKitWebDriver and
#                                                    MiniBrowser, which needs an X display; without
#                                                    recommends)
#   rustup  wasm32-unknown-unknown target, rustfmt, clippy
#   cargo   wasm-pack, wasm-bindgen-cli (the exact version in Cargo.lock), geckodriver
#   npm     binaryen (a wasm-opt that works; Debian's binaryen 108 emits broken modules)
#
# Nothing is downloaded from outside the package registries. A second run with everything
# installed takes about a second.
set -euo pipefail

WASM_PACK_VERSION=0.15.1
GECKODRIVER_VERSION=0.37.1
BINARYEN_VERSION=132.0.0
TOOLS=${SNOWTRACK_TOOLS:-/opt/snowtrack-tools}

root=$(cd "$(dirname "$0")/.." && pwd)
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$TOOLS/bin:$PATH"
export DEBIAN_FRONTEND=noninteractive
say() { printf 'setup: %s\n' "$*" >&2; }

need_apt=()
for pkg in chromium chromium-driver firefox-esr curl iproute2 procps; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# WebKitGTK's WebDriver and its browser (~180 packages with their libraries; the recommended
# ones, desktop sound and fonts among them, are not needed). Debian's MiniBrowser has no
# headless mode (`--headless`: "Unknown option"), so it runs on Xvfb's virtual display.
need_webkit=()
for pkg in webkit2gtk-driver xvfb; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need_webkit+=("$pkg")
done
if [ ${#need_webkit[@]} -gt 0 ]; then
  say "apt-get install --no-install-recommends ${need_webkit[*]}"
  [ ${#need_apt[@]} -gt 0 ] || apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_webkit[@]}" >/dev/null
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
for comp in rustfmt clippy; do
  rustup component list --installed | grep -q "^$comp" || rustup component add "$comp"
done

# True when `$1 --version` mentions `$2` (captured first: with pipefail a `| head` could fail it).
installed() { local v; v=$("$1" --version 2>/dev/null || true); [[ "$v" == *"$2"* ]]; }

installed wasm-pack "wasm-pack $WASM_PACK_VERSION" || {
  say "cargo install wasm-pack $WASM_PACK_VERSION (about 2 minutes)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --force
}

# wasm-pack only uses the wasm-bindgen on PATH when its version equals the one in Cargo.lock.
wbg=$(awk '/^name = "wasm-bindgen"$/{f=1;next} f&&/^version =/{gsub(/"/,"",$3);print $3;exit}' "$root/Cargo.lock")
if [ -n "$wbg" ] && ! { installed wasm-bindgen "wasm-bindgen $wbg" && command -v wasm-bindgen-test-runner >/dev/null; }; then
  say "cargo install wasm-bindgen-cli $wbg (about 2 minutes)"
  # Not --locked: the tool's own lock file names a crate version this registry mirror lacks.
  cargo install wasm-bindgen-cli --version "$wbg" --force
fi

installed geckodriver "geckodriver $GECKODRIVER_VERSION" || {
  say "cargo install geckodriver $GECKODRIVER_VERSION (about 90 seconds)"
  cargo install geckodriver --version "$GECKODRIVER_VERSION" --force
}

if ! installed "$TOOLS/bin/wasm-opt" "version ${BINARYEN_VERSION%%.*}"; then
  say "npm install binaryen@$BINARYEN_VERSION into $TOOLS"
  npm install -g --silent --no-audit --no-fund --prefix "$TOOLS" "binaryen@$BINARYEN_VERSION"
fi
# wasm-pack runs the first wasm-opt on PATH: make it ours, never Debian's 108.
ln -sfn "$TOOLS/bin/wasm-opt" "${CARGO_HOME:-$HOME/.cargo}/bin/wasm-opt"

say "ready: $(wasm-pack --version), $(wasm-bindgen --version), $(geckodriver --version 2>/dev/null | awk 'NR==1'), wasm-opt $("$TOOLS/bin/wasm-opt" --version | awk '{print $3}')"
