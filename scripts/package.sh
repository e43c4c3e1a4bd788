#!/usr/bin/env bash
# `make package` (after `make pkg`): assembles the publishable npm package pkg/npm/ from pkg/bundler,
# pkg/web and the JS layer in js/ (safe load(), the async snippet and its loader, bundled and
# minified with esbuild), prints what a page downloads, and packs it to pkg/snowtrack-<version>.tgz.
#
#   scripts/package.sh            build pkg/npm and the tarball
#   scripts/package.sh --no-pack  build pkg/npm only (the e2e tests pack it themselves)
#
# Publishing is `npm publish pkg/npm` (or the tarball).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
js="$root/js"
say() { printf 'package: %s\n' "$*" >&2; }

for f in pkg/web/snowtrack.js pkg/web/snowtrack_bg.wasm pkg/bundler/snowtrack.js pkg/bundler/snowtrack_bg.wasm; do
  [ -f "$root/$f" ] || { say "$f is missing: run \`make pkg\` first"; exit 1; }
done

"$root/scripts/npm-ready.sh" "$js"

pack=--pack
[ "${1:-}" = "--no-pack" ] && pack=
exec node "$js/build.mjs" $pack
