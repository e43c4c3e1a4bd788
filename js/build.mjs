// Assembles the publishable npm package pkg/npm/ from the wasm-pack builds of snowtrack's two
// builds (full: pkg/bundler, pkg/web; core, without the `full` feature: pkg/bundler-core,
// pkg/web-core) and the JS layer in js/. Run by scripts/package.sh (after `make pkg`).
//
//   pkg/npm/
//     package.json  README.md  LICENSE
//     bundler/      wasm-pack --target bundler, full build: "snowtrack" (webpack 5, Vite + a wasm plugin…)
//     bundler-core/ the same, core build: "snowtrack/core"
//     web/          wasm-pack --target web, full build: "snowtrack/web" (<script type="module">, esbuild)
//     web-core/     the same, core build: "snowtrack/web-core"
//     load.js       "snowtrack/load": load() of the core build, never rejects; no-op trackers when wasm is blocked
//     load-full.js  "snowtrack/load-full": the same, full build (both use safe-load.js)
//     loader.js     "snowtrack/loader": the snippet's loader; it picks a build and imports its
//                   chunk: chunks/core.js or chunks/full.js (load.js or load-full.js with the glue,
//                   bundled and minified); chunks/commands.js, the sp.js command mapping, on use
//     snippet.js    the tag, readable;  snippet.min.js  the tag to paste ("snowtrack/snippet")

import { build, transform } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { attachFacade } from './facade-glue.mjs';

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
 * The glue finds its .wasm with `new URL('snowtrack_bg.wasm', import.meta.url)`; bundled into a
 * chunk of the loader (in chunks/), import.meta.url is the chunk's, so point it at ../web/ or
 * ../web-core/ (the loader passes the .wasm itself; this keeps the default right too).
 */
const wasmBesideLoader = {
  name: 'wasm-beside-loader',
  setup(b) {
    b.onLoad({ filter: /[\\/](web|web-core)[\\/]snowtrack\.js$/ }, (args) => {
      const from = "new URL('snowtrack_bg.wasm', import.meta.url)";
      const glue = readFileSync(args.path, 'utf8');
      if (!glue.includes(from)) fail(`${args.path}: no \`${from}\` to rewrite (wasm-bindgen changed?)`);
      const dir = path.basename(path.dirname(args.path));
      return { contents: glue.replace(from, `new URL('../${dir}/snowtrack_bg.wasm', import.meta.url)`), loader: 'js' };
    });
  },
};

/** Unsigned LEB128 of `value`. */
function leb(value) {
  const out = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return Buffer.from(out);
}

/**
 * A reader of a .wasm's bytes from `at` on: LEB128 numbers, names, sections (`at` moves past
 * what it read).
 */
function wasmReader(bytes, at = 8) {
  const r = {
    at,
    u32() {
      let result = 0;
      let shift = 0;
      let byte;
      do {
        byte = bytes[r.at++];
        result |= (byte & 0x7f) << shift;
        shift += 7;
      } while (byte & 0x80);
      return result >>> 0;
    },
    name() {
      const length = r.u32();
      r.at += length;
      return bytes.subarray(r.at - length, r.at).toString('utf8');
    },
    /** Moves to the contents of the section `id`; its size, or undefined when there is none. */
    section(id) {
      while (r.at < bytes.length) {
        const found = bytes[r.at++];
        const size = r.u32();
        if (found === id) return size;
        r.at += size;
      }
      return undefined;
    },
  };
  return r;
}

/**
 * wasm-bindgen names each import of its glue `__wbg_<name>_<16 hex digits>`: about 1 KB of digits
 * in the .wasm and as much in the glue, which neither gzip nor brotli can shrink. This renames them
 * `i0`, `i1`, … in the .wasm's import section and in `js` (the glue files that define them). With `modules` (the web target, whose glue hands the
 * imports over in one object keyed by module name), the module names, repeated in every import,
 * become `a`, `b`, … there and in that object. The .wasm is checked to compile with the same
 * imports.
 */
function shortenImportNames(wasmFile, js, { modules = false } = {}) {
  const bytes = readFileSync(wasmFile);
  const r = wasmReader(bytes);
  const limits = () => {
    const flags = bytes[r.at++];
    r.u32();
    if (flags & 1) r.u32();
  };
  const size = r.section(2);
  if (size === undefined) fail(`${wasmFile}: no import section`);
  const start = r.at;
  const renames = new Map();
  const moduleNames = new Map();
  const glue = js.map((file) => readFileSync(file, 'utf8')).join('\n');
  const parts = [];
  let count = r.u32();
  parts.push(leb(count));
  for (; count > 0; count -= 1) {
    const module = r.name();
    const field = r.name();
    const descStart = r.at;
    const kind = bytes[r.at++];
    if (kind === 0) r.u32(); // function: type index
    else if (kind === 1) { r.at += 1; limits(); } // table: reference type, limits
    else if (kind === 2) limits(); // memory
    else if (kind === 3) r.at += 2; // global: value type, mutability
    else fail(`${wasmFile}: import kind ${kind} not handled`);
    let short = field;
    const hashed = /^(__wbg_.+)_[0-9a-f]{16}$/.exec(field) || /^__wbindgen_(generic_\d{16}|init_externref_table)$/.exec(field);
    if (hashed) {
      short = `i${renames.size}`;
      if (new RegExp(`\\b${short}\\b`).test(glue)) fail(`${js.join(', ')}: ${short} is taken`);
      renames.set(field, short);
    }
    if (modules && !moduleNames.has(module)) moduleNames.set(module, String.fromCharCode(97 + moduleNames.size));
    const m = Buffer.from(modules ? moduleNames.get(module) : module);
    const f = Buffer.from(short);
    parts.push(leb(m.length), m, leb(f.length), f, bytes.subarray(descStart, r.at));
  }
  if (r.at !== start + size) fail(`${wasmFile}: the import section did not parse`);
  const section = Buffer.concat(parts);
  const out = Buffer.concat([bytes.subarray(0, start - 1 - leb(size).length), Buffer.from([2]), leb(section.length), section, bytes.subarray(r.at)]);
  const before = WebAssembly.Module.imports(new WebAssembly.Module(bytes))
    .map((i) => `${moduleNames.get(i.module) ?? i.module} ${renames.get(i.name) ?? i.name} ${i.kind}`);
  const after = WebAssembly.Module.imports(new WebAssembly.Module(out)).map((i) => `${i.module} ${i.name} ${i.kind}`);
  if (before.join('\n') !== after.join('\n')) fail(`${wasmFile}: renaming the imports changed them`);
  writeFileSync(wasmFile, out);
  const missing = new Set(renames.keys());
  for (const file of js) {
    let code = readFileSync(file, 'utf8');
    for (const [from, to] of renames) {
      if (code.includes(from)) missing.delete(from);
      code = code.replaceAll(from, to);
    }
    for (const [from, to] of moduleNames) {
      const quoted = JSON.stringify(from).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      const key = new RegExp(`^(\\s*)${quoted}(: import\\d+,)$`, 'm');
      if (!key.test(code)) fail(`${file}: no import object key ${JSON.stringify(from)}`);
      code = code.replace(key, `$1${JSON.stringify(to)}$2`);
      // wasm-bindgen lists a snippet module once per use (the same module each time): the other
      // keys of that name are dead once the .wasm imports it as `to`.
      code = code.replace(new RegExp(`^\\s*${quoted}: import\\d+,\\r?\\n`, 'gm'), '');
    }
    if (moduleNames.size) {
      // ... and so are their `import * as importN` lines.
      code = code.replace(/^import \* as (import\d+) from "[^"]+";?\r?\n/gm,
        (line, name) => (new RegExp(`\\b${name}\\b`).test(code.replace(line, '')) ? line : ''));
      // The import object's functions as methods (`i3(arg0) {`, not `i3: function(arg0) {`): the
      // same functions, called the same way by the .wasm, 62 `function` words fewer.
      code = code.replace(/^(\s+)(i\d+): function\(/gm, '$1$2(');
    }
    writeFileSync(file, code);
  }
  if (missing.size) fail(`${js.join(', ')}: no ${[...missing][0]}, an import of ${wasmFile}`);
  const left = js.map((file) => readFileSync(file, 'utf8')).join('').match(/__wbg_\w+_[0-9a-f]{16}\b/);
  if (left) fail(`${js.join(', ')}: ${left[0]} is not an import of ${wasmFile}`);
}

/**
 * wasm-bindgen names the .wasm's exports after the Rust items (`tracker_trackSelfDescribingEvent`,
 * `wasm_bindgen__convert__closures_____invoke__h36b612059ede6d03`), which the glue calls as
 * `wasm.<name>`: those become `e0`, `e1`, … in the .wasm's export section and in `js` (a name
 * the glue uses otherwise than as `wasm.<name>` keeps it), and the closure shims too, with the
 * glue's own functions of the same name (not exported). The .wasm is
 * checked to compile with the same exports.
 */
function shortenExportNames(wasmFile, js) {
  const bytes = readFileSync(wasmFile);
  const code = js.map((file) => readFileSync(file, 'utf8'));
  const all = code.join('\n');
  const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const count = (re) => (all.match(re) || []).length;
  const r = wasmReader(bytes);
  const size = r.section(7);
  if (size === undefined) fail(`${wasmFile}: no export section`);
  const start = r.at;
  const renames = new Map();
  const parts = [];
  let n = r.u32();
  parts.push(leb(n));
  for (; n > 0; n -= 1) {
    const name = r.name();
    const descStart = r.at;
    r.at += 1;
    r.u32();
    let short = name;
    const calls = new RegExp(`\\bwasm\\.${escape(name)}\\b`, 'g');
    const uses = new RegExp(`\\b${escape(name)}\\b`, 'g');
    const closure = /^wasm_bindgen__convert__closures_+invoke__h[0-9a-f]{16}$/.test(name);
    // `memory` keeps its name: tools read it (the bench reads each instance's memory).
    const method = name !== 'memory' && count(calls) > 0 && count(calls) === count(uses);
    if (closure && /^export .*wasm_bindgen__convert__closures/m.test(all)) fail(`${js.join(', ')}: a closure shim is exported`);
    if (closure || method) {
      short = `e${renames.size.toString(36)}`;
      if (count(new RegExp(`\\b${short}\\b`, 'g'))) fail(`${js.join(', ')}: ${short} is taken`);
      renames.set(name, { short, every: closure });
    }
    const f = Buffer.from(short);
    parts.push(leb(f.length), f, bytes.subarray(descStart, r.at));
  }
  if (r.at !== start + size) fail(`${wasmFile}: the export section did not parse`);
  const section = Buffer.concat(parts);
  const out = Buffer.concat([bytes.subarray(0, start - 1 - leb(size).length), Buffer.from([7]), leb(section.length), section, bytes.subarray(r.at)]);
  const before = WebAssembly.Module.exports(new WebAssembly.Module(bytes)).map((e) => `${renames.get(e.name)?.short ?? e.name} ${e.kind}`);
  const after = WebAssembly.Module.exports(new WebAssembly.Module(out)).map((e) => `${e.name} ${e.kind}`);
  if (before.join('\n') !== after.join('\n')) fail(`${wasmFile}: renaming the exports changed them`);
  writeFileSync(wasmFile, out);
  js.forEach((file, i) => {
    let text = code[i];
    for (const [from, { short, every }] of renames) {
      text = every ? text.replace(new RegExp(`\\b${escape(from)}\\b`, 'g'), short)
        : text.replace(new RegExp(`\\bwasm\\.${escape(from)}\\b`, 'g'), `wasm.${short}`);
    }
    writeFileSync(file, text);
  });
}

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
  for (const build of ['', '-core']) {
    for (const file of ['snowtrack.js', 'snowtrack_bg.js', 'snowtrack_bg.wasm']) {
      copy(path.join(ROOT, `pkg/bundler${build}`, file), path.join(stage, `bundler${build}`, file));
    }
    for (const file of ['snowtrack.js', 'snowtrack_bg.wasm']) {
      copy(path.join(ROOT, `pkg/web${build}`, file), path.join(stage, `web${build}`, file));
    }
    for (const target of [`bundler${build}`, `web${build}`]) {
      declarations(path.join(ROOT, 'pkg', target, 'snowtrack.d.ts'), path.join(stage, target, 'snowtrack.d.ts'));
      // The module's browser calls (src/web/host.js), which the glue imports from snippets/.
      const from = path.join(ROOT, 'pkg', target, 'snippets');
      if (!existsSync(from)) fail(`pkg/${target}/snippets is missing: run \`make pkg\` first`);
      cpSync(from, path.join(stage, target, 'snippets'), { recursive: true });
    }
    shortenImportNames(path.join(stage, `web${build}/snowtrack_bg.wasm`), [path.join(stage, `web${build}/snowtrack.js`)], { modules: true });
    shortenImportNames(path.join(stage, `bundler${build}/snowtrack_bg.wasm`), [path.join(stage, `bundler${build}/snowtrack_bg.js`)]);
    shortenExportNames(path.join(stage, `web${build}/snowtrack_bg.wasm`), [path.join(stage, `web${build}/snowtrack.js`)]);
    shortenExportNames(path.join(stage, `bundler${build}/snowtrack_bg.wasm`),
      [path.join(stage, `bundler${build}/snowtrack_bg.js`), path.join(stage, `bundler${build}/snowtrack.js`)]);
    const name = build === '-core' ? 'core' : 'full';
    attachFacade(path.join(stage, `web${build}/snowtrack.js`), name, path.join(stage, `web${build}/snowtrack.d.ts`));
    attachFacade(path.join(stage, `bundler${build}/snowtrack_bg.js`), name, path.join(stage, `bundler${build}/snowtrack.d.ts`),
      path.join(stage, `bundler${build}/snowtrack.js`));
    writeFileSync(path.join(stage, `web${build}/snowtrack_bg.wasm.url.d.ts`),
      '/** The URL of the .wasm file, when a bundler imports it as a file (esbuild `--loader:.wasm=file`). */\n'
      + 'declare const url: string;\nexport default url;\n');
  }

  for (const file of ['facade.js', 'load.js', 'load-full.js', 'safe-load.js', 'load.d.ts', 'load-full.d.ts', 'loader.d.ts', 'commands.js', 'commands.d.ts', 'README.md']) {
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

  // The loader: js/loader.js (with builds.js) as an ES module, and one chunk per build in chunks/
  // (load.js or load-full.js with safe-load.js and the build's glue, each self-contained, so the
  // loader fetches the chunk and the .wasm at once, with nothing after them); the .wasm files stay
  // in web/ and web-core/.
  const sources = path.join(stage, 'loader-src');
  for (const file of ['loader.js', 'builds.js', 'commands.js']) copy(path.join(JS_DIR, file), path.join(sources, file));
  for (const file of ['facade.js', 'load.js', 'load-full.js', 'safe-load.js']) copy(path.join(stage, file), path.join(sources, file));
  for (const dir of ['web', 'web-core']) cpSync(path.join(stage, dir), path.join(sources, dir), { recursive: true });
  const CHUNKS = { './load.js': './chunks/core.js', './load-full.js': './chunks/full.js', './commands.js': './chunks/commands.js' };
  const options = {
    bundle: true,
    format: 'esm',
    target: 'es2020',
    minify: true,
    sourcemap: 'linked',
    banner: { js: `/*! snowtrack ${version} loader | Apache-2.0 */` },
    logLevel: 'warning',
    // wasm-bindgen 0.2.130 lists the host.js snippet twice in the glue's import object (same
    // module both times): harmless.
    logOverride: { 'duplicate-object-key': 'silent' },
  };
  // In a chunk (the glue bundled with load()), wasm-bindgen's own properties of its objects, which
  // nothing outside the glue reads, get short names too.
  const GLUE_PROPS = /^(__wbg_ptr|__destroy_into_raw|__wrap|_wbg_cb_unref)$/;
  for (const [from, to] of Object.entries(CHUNKS)) {
    await build({ ...options, entryPoints: [path.join(sources, from)], outfile: path.join(stage, to), plugins: [wasmBesideLoader], mangleProps: GLUE_PROPS });
  }
  const chunksExternal = {
    name: 'chunks-external',
    setup(b) {
      b.onResolve({ filter: /^\.\/(load|load-full|commands)\.js$/ }, (args) => ({ path: CHUNKS[args.path], external: true }));
    },
  };
  await build({ ...options, entryPoints: [path.join(sources, 'loader.js')], outfile: path.join(stage, 'loader.js'), plugins: [chunksExternal] });
  rmSync(sources, { recursive: true, force: true });

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
      './core': { types: './bundler-core/snowtrack.d.ts', default: './bundler-core/snowtrack.js' },
      './web': { types: './web/snowtrack.d.ts', default: './web/snowtrack.js' },
      './web/snowtrack_bg.wasm': { types: './web/snowtrack_bg.wasm.url.d.ts', default: './web/snowtrack_bg.wasm' },
      './web-core': { types: './web-core/snowtrack.d.ts', default: './web-core/snowtrack.js' },
      './web-core/snowtrack_bg.wasm': { types: './web-core/snowtrack_bg.wasm.url.d.ts', default: './web-core/snowtrack_bg.wasm' },
      './load': { types: './load.d.ts', default: './load.js' },
      './load-full': { types: './load-full.d.ts', default: './load-full.js' },
      './loader': { types: './loader.d.ts', default: './loader.js' },
      './commands': { types: './commands.d.ts', default: './commands.js' },
      './snippet': './snippet.min.js',
      './snippet.js': './snippet.js',
      './package.json': './package.json',
    },
    files: [
      'bundler/', 'bundler-core/', 'web/', 'web-core/', 'chunks/', 'facade.js', 'load.js', 'load.d.ts', 'load-full.js', 'load-full.d.ts',
      'safe-load.js', 'loader.js', 'loader.js.map', 'loader.d.ts', 'commands.js', 'commands.d.ts',
      'snippet.js', 'snippet.min.js', 'README.md', 'LICENSE',
    ],
    sideEffects: ['./bundler/snowtrack.js', './bundler-core/snowtrack.js', './loader.js', './snippet.js', './snippet.min.js'],
  };
  writeFileSync(path.join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

  // Swap in the new package in one step, so a reader never sees half of it.
  const old = `${OUT}.old-${process.pid}`;
  if (existsSync(OUT)) renameSync(OUT, old);
  renameSync(stage, OUT);
  rmSync(old, { recursive: true, force: true });

  // The main files (what each path of a page downloads: `make size`).
  const file = (name) => readFileSync(path.join(OUT, name));
  const rows = [
    ['snippet.min.js', file('snippet.min.js')],
    ['loader.js', file('loader.js')],
    ['web/snowtrack_bg.wasm (full)', file('web/snowtrack_bg.wasm')],
    ['web-core/snowtrack_bg.wasm', file('web-core/snowtrack_bg.wasm')],
  ].map(([name, bytes]) => [name, sizes(bytes)]);
  console.log(`package: pkg/npm (snowtrack ${version}); bytes raw / gzip -9 / brotli 11:`);
  for (const [name, s] of rows) {
    console.log(`  ${name.padEnd(30)} ${String(s.raw).padStart(7)} ${String(s.gzip).padStart(7)} ${String(s.brotli).padStart(7)}`);
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
