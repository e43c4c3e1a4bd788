// `make size` (scripts/size.sh, after scripts/package.sh): what a page downloads for tracking on
// each of the two paths, in bytes raw, gzip -9 and brotli (quality 11), per file and in total,
// held against the budgets in size-budget.txt (gzip).
//
//   npm  tests/size-app/app.js (`snowtrack/load`, the common calls: the core build) bundled by
//        esbuild --minify against pkg/npm: every file of the output, the .wasm included
//   tag  the async tag with every capability: the tag as pasted (inline in the page), loader.js
//        and every file it fetches for them (the full build: its chunk and web/snowtrack_bg.wasm,
//        and the modules loaded on use: the sp.js command mapping)
// Also printed, without a budget: the tag on a page with the common calls only (the core build).
//
//   node js/size.mjs [--json FILE]

import { build } from 'esbuild';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NPM = path.join(ROOT, 'pkg/npm');
const APP = path.join(ROOT, 'tests/size-app/app.js');
const BUDGETS = path.join(ROOT, 'size-budget.txt');

/** Bytes raw, gzip -9 and brotli 11 of `bytes`. */
function sizes(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length,
  };
}

/** `size-budget.txt`: `name bytes` lines (gzip), `#` comments. */
function budgets() {
  const out = {};
  for (const line of readFileSync(BUDGETS, 'utf8').split('\n')) {
    const text = line.replace(/#.*/, '').trim();
    if (!text) continue;
    const [name, bytes, extra] = text.split(/\s+/);
    if (!/^\d+$/.test(bytes ?? '') || extra !== undefined) throw new Error(`size-budget.txt: bad line '${line}'`);
    out[name] = Number(bytes);
  }
  for (const name of ['npm', 'tag']) if (!(name in out)) throw new Error(`size-budget.txt: no '${name}' budget`);
  return out;
}

/** The npm path: the app bundled against a copy of pkg/npm installed as `snowtrack`. */
async function npmPath(dir) {
  cpSync(NPM, path.join(dir, 'node_modules/snowtrack'), { recursive: true, dereference: true });
  cpSync(APP, path.join(dir, 'app.js'));
  const out = path.join(dir, 'out');
  await build({
    entryPoints: [path.join(dir, 'app.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    loader: { '.wasm': 'file' },
    assetNames: '[name]',
    outdir: out,
    logLevel: 'warning',
    // wasm-bindgen 0.2.130 lists the host.js snippet twice in the glue's import object.
    logOverride: { 'duplicate-object-key': 'silent' },
  });
  return readdirSync(out, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name))
    .sort()
    .map((f) => ({ name: `app: ${path.relative(out, f)}`, ...sizes(readFileSync(f)) }));
}

/** The JS files `rel` (a file of pkg/npm) imports, statically and dynamically (`import(…)`). */
function imports(rel) {
  const code = readFileSync(path.join(NPM, rel), 'utf8');
  const resolve = (spec) => path.posix.normalize(path.posix.join(path.posix.dirname(rel), spec));
  const found = (re) => [...code.matchAll(re)].map((m) => resolve(m[1]));
  return {
    static: found(/(?:\bfrom|\bimport)\s*["'](\.{1,2}\/[^"']+)["']/g),
    dynamic: found(/\bimport\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g),
  };
}

/** `rel` and every file it imports statically, transitively. */
function closure(rel, seen = new Set()) {
  if (!seen.has(rel)) {
    seen.add(rel);
    for (const dep of imports(rel).static) closure(dep, seen);
  }
  return seen;
}

/**
 * The tag path: the files a page fetches when the loader picks `build` ('full' or 'core'): the
 * tag, loader.js and its static imports, the build's chunk (the dynamic import whose files point
 * at the build's .wasm) with its static imports, and the .wasm; with `onUse`, the modules loaded
 * on use too (the other dynamic imports: the sp.js command mapping).
 */
function tagPath(build, { onUse }) {
  const wasm = build === 'full' ? 'web/snowtrack_bg.wasm' : 'web-core/snowtrack_bg.wasm';
  const main = closure('loader.js');
  const chunks = [...main].flatMap((f) => imports(f).dynamic).map((entry) => closure(entry));
  const loads = (files, w) => [...files].some((f) => readFileSync(path.join(NPM, f), 'utf8').includes(`../${w}`));
  const mine = chunks.filter((files) => loads(files, wasm));
  if (mine.length !== 1) throw new Error(`loader.js: ${mine.length} chunks load ${wasm}, expected 1`);
  const used = onUse ? chunks.filter((files) => !loads(files, 'web/snowtrack_bg.wasm') && !loads(files, 'web-core/snowtrack_bg.wasm')) : [];
  const files = ['snippet.min.js', ...new Set([...main, ...mine[0], ...used.flatMap((c) => [...c])]), wasm];
  return files.map((rel) => ({ name: rel, ...sizes(readFileSync(path.join(NPM, rel))) }));
}

function table(title, files, budget) {
  const total = files.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip, brotli: t.brotli + f.brotli }),
    { raw: 0, gzip: 0, brotli: 0 });
  const row = (name, s) => `  ${name.padEnd(36)} ${String(s.raw).padStart(8)} ${String(s.gzip).padStart(8)} ${String(s.brotli).padStart(8)}`;
  console.log(`size: ${title}`);
  console.log(`  ${'file'.padEnd(36)} ${'raw'.padStart(8)} ${'gzip -9'.padStart(8)} ${'brotli'.padStart(8)}`);
  for (const f of files) console.log(row(f.name, f));
  console.log(row('total', total));
  if (budget !== Infinity) {
    console.log(`  budget (gzip) ${budget} B: ${total.gzip <= budget ? `${budget - total.gzip} B to spare` : `OVER by ${total.gzip - budget} B`}`);
  }
  return { files, total, budget };
}

async function main() {
  const limits = budgets();
  const dir = mkdtempSync(path.join(tmpdir(), 'snowtrack-size-'));
  let npm;
  try {
    npm = await npmPath(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const results = {
    npm: table('npm path: tests/size-app/app.js + snowtrack/load, esbuild --minify, every output file', npm, limits.npm),
    tag: table('tag path, every capability: the tag, loader.js and what it fetches (full build)', tagPath('full', { onUse: true }), limits.tag),
  };
  const core = table('tag path, the common calls only (core build; no budget)', tagPath('core', { onUse: false }), Infinity);
  const json = process.argv.indexOf('--json');
  if (json > 0) writeFileSync(process.argv[json + 1], `${JSON.stringify({ ...results, tagCore: core }, null, 2)}\n`);
  const over = Object.entries(results).filter(([, r]) => r.total.gzip > r.budget);
  if (over.length) {
    console.error(`size: over budget: ${over.map(([name, r]) => `${name} ${r.total.gzip} B > ${r.budget} B`).join(', ')}`);
    process.exit(1);
  }
}

await main();
