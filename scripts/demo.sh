#!/usr/bin/env bash
# `make demo`: builds the web package and the local collector, then serves the demo page (www/)
# and the collector endpoints on one origin, http://127.0.0.1:${PORT:-9090}/, until Ctrl-C.
#
#   PORT=9191 scripts/demo.sh        another port (0 picks a free one)
#   scripts/demo.sh --quiet          extra arguments go to snowtrack-collector
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-9090}
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:${SNOWTRACK_TOOLS:-/opt/snowtrack-tools}/bin:$PATH"
say() { printf 'demo: %s\n' "$*" >&2; }
cd "$root"

say "building the npm package (pkg/web, pkg/bundler → pkg/npm)"
wasm-pack --quiet build --release --target web --out-dir pkg/web --out-name snowtrack
wasm-pack --quiet build --release --target bundler --out-dir pkg/bundler --out-name snowtrack
scripts/package.sh --no-pack

say "building the collector"
cargo build --quiet -p snowtrack-collector
collector="$root/target/debug/snowtrack-collector"

# www/npm is a build artefact: a link to the package just built (the page loads it via the tag).
if [ -e www/npm ] && [ ! -L www/npm ]; then rm -rf www/npm; fi
ln -sfn ../pkg/npm www/npm

say "starting the collector on 127.0.0.1:$port"
# The collector's first stdout line is `listening on <url>`: announce the demo there, then pass
# its per-event summary lines through. Ctrl-C reaches the collector and ends the pipeline.
"$collector" --bind 127.0.0.1 --port "$port" --static "$root/www" --cookie-insecure "$@" |
  while IFS= read -r line; do
    if [[ $line == "listening on "* ]]; then
      url=${line#listening on }
      url=${url%/}
      printf '\n  snowtrack demo:    %s/\n  live event view:   %s/micro/ui\n  events (JSON):     %s/micro/good\n\n  Ctrl-C stops it.\n\n' \
        "$url" "$url" "$url"
    fi
    printf '%s\n' "$line"
  done
