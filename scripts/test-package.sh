#!/usr/bin/env bash
# `make test-package` (after `make package`): both packages as they would be published.
#   1. `npm publish --dry-run` of pkg/npm (npm's own checks of package.json and the file list),
#      and the list holds LICENSE, README.md and every file package.json's exports name.
#   2. `cargo package --allow-dirty`: the crate's file list (LICENSE in; js/, www/, bench/, tests/,
#      fuzz/ out), and cargo's verification: the packaged sources built on their own, for the host
#      and for wasm32 (where the web layer and its host.js compile). Verification resolves the
#      dependencies from crates.io's index, which the machines reach, so it stays on.
#   3. tests/types: a strict TypeScript app installs pkg/snowtrack-<version>.tgz and compiles, with
#      every JS example of README.md and js/README.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'test-package: %s\n' "$*" >&2; }
fail() { say "$*"; exit 1; }

[ -f "$root/pkg/npm/package.json" ] || fail "pkg/npm is missing: run \`make package\` first"

say "npm publish --dry-run (pkg/npm)"
npm_json=$(cd "$root/pkg/npm" && npm publish --dry-run --json --loglevel=error)
node - "$npm_json" "$root/pkg/npm/package.json" <<'EOF'
const [json, manifest] = process.argv.slice(2);
const report = JSON.parse(json);
const files = new Set((report.files ?? report.snowtrack?.files ?? []).map((f) => f.path));
const pkg = JSON.parse(require('node:fs').readFileSync(manifest, 'utf8'));
const wanted = ['LICENSE', 'README.md', 'package.json'];
const walk = (v) => (typeof v === 'string' ? [v] : Object.values(v).flatMap(walk));
for (const target of walk(pkg.exports)) wanted.push(target.replace(/^\.\//, ''));
const missing = wanted.filter((f) => !files.has(f));
if (missing.length) {
  console.error(`test-package: the npm tarball lacks ${missing.join(', ')} (it has ${[...files].join(', ')})`);
  process.exit(1);
}
if (pkg.license !== 'Apache-2.0') {
  console.error(`test-package: package.json license is ${pkg.license}`);
  process.exit(1);
}
console.error(`test-package: npm: ${files.size} files, LICENSE and every export among them`);
EOF

say "cargo package --allow-dirty"
cd "$root"
list=$(cargo package --allow-dirty --list --quiet 2>/dev/null)
grep -qx 'LICENSE' <<<"$list" || fail "cargo package --list has no LICENSE"
grep -qx 'src/web/host.js' <<<"$list" || fail "cargo package --list has no src/web/host.js"
grep -qx 'src/web/host_full.js' <<<"$list" || fail "cargo package --list has no src/web/host_full.js (the full build's browser side)"
if outside=$(grep -E '^(js|www|bench|tests|fuzz|collector|iglu|pkg|scripts)/' <<<"$list"); then
  fail "the crate ships files it does not need: $(head -n 8 <<<"$outside" | tr "\n" " ")…"
fi
say "crate: $(wc -l <<<"$list") files, LICENSE in, js/ www/ bench/ tests/ fuzz/ out"
# The packaged crate built on its own (cargo's verification), for the host and for wasm32.
for target in "" wasm32-unknown-unknown; do
  if ! out=$(cargo package --allow-dirty --quiet ${target:+--target "$target"} 2>&1); then
    printf '%s\n' "$out" >&2
    fail "cargo package ${target:+--target $target }failed"
  fi
done
say "crate: the packaged sources build (host, wasm32)"

say "tests/types: a strict TypeScript app on the tarball"
"$root/scripts/npm-ready.sh" "$root/tests/types"
cd "$root/tests/types"
exec node --test --test-concurrency=1 "$@" ./*.test.mjs
