// `make size` (scripts/size.sh, after scripts/package.sh): what a page downloads for tracking on
// each of the two paths, in bytes raw, gzip -9 and brotli (quality 11), per file and in total,
// held against the budgets in size-budget.txt (gzip).
//
//   npm  tests/size-app/app.js (`snowtrack/load`, the common calls) bundled by esbuild --minify
//        against pkg/npm: every file of the output, the .wasm included
//   tag  the async tag with every capability: the tag as pasted (inline in the page), loader.js
//        and every file it fetches for them
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

/** The tag path with every capability: the files the page fetches. */
function tagPath() {
  const file = (rel) => ({ name: rel, ...sizes(readFileSync(path.join(NPM, rel))) });
  return [file('snippet.min.js'), file('loader.js'), file('web/snowtrack_bg.wasm')];
}

function table(title, files, budget) {
  const total = files.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip, brotli: t.brotli + f.brotli }),
    { raw: 0, gzip: 0, brotli: 0 });
  const row = (name, s) => `  ${name.padEnd(36)} ${String(s.raw).padStart(8)} ${String(s.gzip).padStart(8)} ${String(s.brotli).padStart(8)}`;
  console.log(`size: ${title}`);
  console.log(`  ${'file'.padEnd(36)} ${'raw'.padStart(8)} ${'gzip -9'.padStart(8)} ${'brotli'.padStart(8)}`);
  for (const f of files) console.log(row(f.name, f));
  console.log(row('total', total));
  console.log(`  budget (gzip) ${budget} B: ${total.gzip <= budget ? `${budget - total.gzip} B to spare` : `OVER by ${total.gzip - budget} B`}`);
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
    tag: table('tag path, every capability: the tag, loader.js and what it fetches', tagPath(), limits.tag),
  };
  const json = process.argv.indexOf('--json');
  if (json > 0) writeFileSync(process.argv[json + 1], `${JSON.stringify(results, null, 2)}\n`);
  const over = Object.entries(results).filter(([, r]) => r.total.gzip > r.budget);
  if (over.length) {
    console.error(`size: over budget: ${over.map(([name, r]) => `${name} ${r.total.gzip} B > ${r.budget} B`).join(', ')}`);
    process.exit(1);
  }
}

await main();
