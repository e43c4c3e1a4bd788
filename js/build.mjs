// Assembles the publishable npm package pkg/npm/ from the two wasm-pack builds (pkg/bundler,
// pkg/web) and the JS layer in js/. Run by scripts/package.sh (after `make pkg`).
//
//   pkg/npm/
//     package.json  README.md  LICENSE
//     bundler/      wasm-pack --target bundler: "snowtrack" (webpack 5, Vite + a wasm plugin…)
//     web/          wasm-pack --target web: "snowtrack/web" (<script type="module">, esbuild)
//     load.js       "snowtrack/load": load() that never rejects; no-op trackers when wasm is blocked
//     loader.js     "snowtrack/loader": the snippet's loader, load.js + web glue in one file
//     snippet.js    the tag, readable;  snippet.min.js  the tag to paste ("snowtrack/snippet")

import { build, transform } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const JS_DIR = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(JS_DIR, '..');
const OUT = path.join(ROOT, 'pkg/npm');
const SNIPPET_MAX_BYTES = 1024;

class BuildError extends Error {}

function fail(message) {
  throw new BuildError(message);
}

/**
 * `[package]`'s `version`, `description` and `repository` (or the workspace's) from Cargo.toml.
 * No repository is published yet, so Cargo.toml has none and neither has package.json; a
 * placeholder address (`example.*`, `*.invalid`, …) is refused rather than shipped.
 */
function cargoFacts() {
  const toml = readFileSync(path.join(ROOT, 'Cargo.toml'), 'utf8');
  const section = (name) => toml.split(/^\[/m).find((s) => s.startsWith(`${name}]`)) ?? '';
  const field = (text, key) => new RegExp(`^${key}\\s*=\\s*"([^"]*)"`, 'm').exec(text)?.[1];
  const version = field(section('package'), 'version');
  if (!version) fail('no [package] version in Cargo.toml');
  const repository = field(section('package'), 'repository') ?? field(section('workspace.package'), 'repository');
  if (repository && isPlaceholder(repository)) fail(`Cargo.toml: repository ${repository} is a placeholder: leave the field out`);
  return { version, description: field(section('package'), 'description') ?? '', repository };
}

/** An address reserved for examples or tests (RFC 2606, RFC 6761): never one to publish. */
function isPlaceholder(url) {
  let host;
  try {
    host = new URL(url).hostname;
  } catch {
    return true;
  }
  return /(^|\.)(example\.(com|net|org)|example|invalid|test|localhost)$/.test(host);
}

function copy(from, to) {
  if (!existsSync(from)) fail(`${path.relative(ROOT, from)} is missing: run \`make pkg\` first`);
  mkdirSync(path.dirname(to), { recursive: true });
  copyFileSync(from, to);
}

/**
 * wasm-bindgen's declarations, for apps on any `lib`: its classes declare `[Symbol.dispose]()`,
 * which only compiles with the `esnext` (or `esnext.disposable`) lib, so an app on
 * `lib: ["es2022", "dom"]` without `skipLibCheck` fails on it. The member goes; `free()` stays
 * (the glue still defines the method where the browser has `Symbol.dispose`, only untyped).
 * tests/types/ compiles a strict app against the result.
 */
function declarations(from, to) {
  if (!existsSync(from)) fail(`${path.relative(ROOT, from)} is missing: run \`make pkg\` first`);
  const text = readFileSync(from, 'utf8');
  const dispose = /^[ \t]*\[Symbol\.dispose\]\(\): void;\r?\n/gm;
  const out = text.replace(dispose, '');
  if (out.includes('Symbol.dispose')) fail(`${path.relative(ROOT, from)}: a Symbol.dispose member of another shape (wasm-bindgen changed?)`);
  mkdirSync(path.dirname(to), { recursive: true });
  writeFileSync(to, out);
}

const sizes = (bytes) => ({
  raw: bytes.length,
  gzip: gzipSync(bytes, { level: 9 }).length,
  brotli: brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length,
});

/**
 * The glue finds its .wasm with `new URL('snowtrack_bg.wasm', import.meta.url)`; bundled into
 * loader.js, import.meta.url is the loader's, so point it at web/ (bundlers that handle
 * `new URL(…, import.meta.url)`, e.g. webpack and Vite, then find the file too).
 */
const wasmBesideLoader = {
  name: 'wasm-beside-loader',
  setup(b) {
    b.onLoad({ filter: /[\\/]web[\\/]snowtrack\.js$/ }, (args) => {
      const from = "new URL('snowtrack_bg.wasm', import.meta.url)";
      const glue = readFileSync(args.path, 'utf8');
      if (!glue.includes(from)) fail(`${args.path}: no \`${from}\` to rewrite (wasm-bindgen changed?)`);
      return { contents: glue.replace(from, "new URL('./web/snowtrack_bg.wasm', import.meta.url)"), loader: 'js' };
    });
  },
};

async function main() {
  const stage = `${OUT}.tmp-${process.pid}`;
  try {
    await assemble(stage);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

async function assemble(stage) {
  const { version, description, repository } = cargoFacts();
  mkdirSync(stage, { recursive: true });

  // The two wasm-pack builds, without their package.json/README/.gitignore (`*`, which would
  // hide the files from npm pack).
  for (const file of ['snowtrack.js', 'snowtrack_bg.js', 'snowtrack_bg.wasm']) {
    copy(path.join(ROOT, 'pkg/bundler', file), path.join(stage, 'bundler', file));
  }
  for (const file of ['snowtrack.js', 'snowtrack_bg.wasm']) {
    copy(path.join(ROOT, 'pkg/web', file), path.join(stage, 'web', file));
  }
  for (const target of ['bundler', 'web']) {
    declarations(path.join(ROOT, 'pkg', target, 'snowtrack.d.ts'), path.join(stage, target, 'snowtrack.d.ts'));
  }
  // The module's browser calls (src/web/host.js), which the glue imports from snippets/.
  for (const target of ['bundler', 'web']) {
    const from = path.join(ROOT, 'pkg', target, 'snippets');
    if (!existsSync(from)) fail(`pkg/${target}/snippets is missing: run \`make pkg\` first`);
    cpSync(from, path.join(stage, target, 'snippets'), { recursive: true });
  }
  writeFileSync(path.join(stage, 'web/snowtrack_bg.wasm.url.d.ts'),
    '/** The URL of the .wasm file, when a bundler imports it as a file (esbuild `--loader:.wasm=file`). */\n'
    + 'declare const url: string;\nexport default url;\n');

  for (const file of ['load.js', 'load.d.ts', 'loader.d.ts', 'README.md']) {
    copy(path.join(JS_DIR, file), path.join(stage, file));
  }
  copy(path.join(ROOT, 'LICENSE'), path.join(stage, 'LICENSE'));

  // The tag: readable and minified, pointing at this version's loader on jsDelivr.
  const snippet = readFileSync(path.join(JS_DIR, 'snippet.js'), 'utf8').replaceAll('%VERSION%', version);
  writeFileSync(path.join(stage, 'snippet.js'), snippet);
  const minified = (await transform(snippet, { minify: true, legalComments: 'none', target: 'es5' })).code;
  writeFileSync(path.join(stage, 'snippet.min.js'), minified);
  if (Buffer.byteLength(minified) > SNIPPET_MAX_BYTES) {
    fail(`snippet.min.js is ${Buffer.byteLength(minified)} B, over ${SNIPPET_MAX_BYTES} B`);
  }
  if (!readFileSync(path.join(JS_DIR, 'README.md'), 'utf8').includes(minified.trim())) {
    fail(`js/README.md does not show the tag as built; paste it:\n${minified.trim()}`);
  }

  // The loader: js/loader.js + load.js + the web glue in one ES module, the .wasm beside it in web/.
  await build({
    stdin: { contents: readFileSync(path.join(JS_DIR, 'loader.js'), 'utf8'), resolveDir: stage, sourcefile: 'loader.source.js' },
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: 'linked',
    outfile: path.join(stage, 'loader.js'),
    banner: { js: `/*! snowtrack ${version} loader | Apache-2.0 */` },
    logLevel: 'warning',
    // wasm-bindgen 0.2.130 lists the host.js snippet twice in the glue's import object (same
    // module both times): harmless.
    logOverride: { 'duplicate-object-key': 'silent' },
    plugins: [wasmBesideLoader],
  });

  const pkg = {
    name: 'snowtrack',
    version,
    description: `${description}, cookie-compatible with the Snowplow JavaScript tracker`,
    keywords: ['snowplow', 'analytics', 'tracker', 'webassembly', 'wasm', 'events'],
    license: 'Apache-2.0',
    ...(repository ? { repository: { type: 'git', url: repository } } : {}),
    type: 'module',
    main: './bundler/snowtrack.js',
    module: './bundler/snowtrack.js',
    types: './bundler/snowtrack.d.ts',
    exports: {
      '.': { types: './bundler/snowtrack.d.ts', default: './bundler/snowtrack.js' },
      './web': { types: './web/snowtrack.d.ts', default: './web/snowtrack.js' },
      './web/snowtrack_bg.wasm': { types: './web/snowtrack_bg.wasm.url.d.ts', default: './web/snowtrack_bg.wasm' },
      './load': { types: './load.d.ts', default: './load.js' },
      './loader': { types: './loader.d.ts', default: './loader.js' },
      './snippet': './snippet.min.js',
      './snippet.js': './snippet.js',
      './package.json': './package.json',
    },
    files: [
      'bundler/', 'web/', 'load.js', 'load.d.ts', 'loader.js', 'loader.js.map', 'loader.d.ts',
      'snippet.js', 'snippet.min.js', 'README.md', 'LICENSE',
    ],
    sideEffects: ['./bundler/snowtrack.js', './loader.js', './snippet.js', './snippet.min.js'],
  };
  writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

  // Swap in the new package in one step, so a reader never sees half of it.
  const old = `${OUT}.old-${process.pid}`;
  if (existsSync(OUT)) renameSync(OUT, old);
  renameSync(stage, OUT);
  rmSync(old, { recursive: true, force: true });

  // What a page downloads through the snippet: the tag (inline), loader.js, the .wasm.
  const file = (name) => readFileSync(path.join(OUT, name));
  const rows = [
    ['snippet.js (source)', Buffer.from(snippet)],
    ['snippet.min.js', file('snippet.min.js')],
    ['loader.js (+ glue)', file('loader.js')],
    ['web/snowtrack_bg.wasm', file('web/snowtrack_bg.wasm')],
  ].map(([name, bytes]) => [name, sizes(bytes)]);
  const total = rows.slice(1).reduce((sum, [, s]) => ({
    raw: sum.raw + s.raw, gzip: sum.gzip + s.gzip, brotli: sum.brotli + s.brotli,
  }), { raw: 0, gzip: 0, brotli: 0 });
  rows.push(['snippet path total', total]);
  console.log(`package: pkg/npm (snowtrack ${version}); bytes raw / gzip -9 / brotli 11:`);
  for (const [name, s] of rows) {
    console.log(`  ${name.padEnd(24)} ${String(s.raw).padStart(7)} ${String(s.gzip).padStart(7)} ${String(s.brotli).padStart(7)}`);
  }
  if (process.argv.includes('--pack')) {
    const out = execFileSync('npm', ['pack', '--json', '--pack-destination', path.join(ROOT, 'pkg')], { cwd: OUT, encoding: 'utf8' });
    const [info] = JSON.parse(out);
    const tgz = path.join(ROOT, 'pkg', info.filename);
    console.log(`package: pkg/${info.filename}: ${info.entryCount} files, ${statSync(tgz).size} B packed, ${info.unpackedSize} B unpacked`);
  }
}

try {
  await main();
} catch (error) {
  console.error(`package: ${error instanceof BuildError ? error.message : error.stack}`);
  process.exit(1);
}
