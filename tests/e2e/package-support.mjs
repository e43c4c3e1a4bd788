// Helpers for the tests of the published package (pkg/npm, built by scripts/package.sh): the
// async snippet, the bundler app, the CSP pages and the interop with @snowplow/browser-tracker.
// Builds on support.mjs (collector, browser, cookie and event readers).

import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { after } from 'node:test';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';
import { Collector, REPO_ROOT, entity, kind, SCHEMAS } from './support.mjs';

export const E2E_DIR = path.join(REPO_ROOT, 'tests/e2e');
export const NPM_DIR = path.join(REPO_ROOT, 'pkg/npm');
export const LINK_CLICK = SCHEMAS.linkClick;

// ---- the package ---------------------------------------------------------------------------------

/** Inputs of pkg/npm: when one is newer than pkg/npm/package.json, the package is rebuilt. */
const PACKAGE_INPUTS = [
  'pkg/web/snowtrack.js', 'pkg/web/snowtrack_bg.wasm', 'pkg/bundler/snowtrack.js', 'pkg/bundler/snowtrack_bg.wasm',
  'pkg/web-core/snowtrack.js', 'pkg/web-core/snowtrack_bg.wasm', 'pkg/bundler-core/snowtrack.js',
  'pkg/bundler-core/snowtrack_bg.wasm', 'js/facade.js', 'js/facade-glue.mjs', 'js/tracker.d.ts', 'js/load.js', 'js/load-full.js', 'js/safe-load.js', 'js/builds.js', 'js/commands.js',
  'js/load.d.ts', 'js/load-full.d.ts', 'js/loader.js', 'js/loader.d.ts', 'js/snippet.js', 'js/build.mjs', 'js/README.md',
  'Cargo.toml',
];

/**
 * Makes sure pkg/npm is there and newer than what it is built from (runs scripts/package.sh
 * --no-pack otherwise) and returns its package.json.
 */
export function ensurePackage() {
  const manifest = path.join(NPM_DIR, 'package.json');
  const builtAt = existsSync(manifest) ? statSync(manifest).mtimeMs : 0;
  const stale = PACKAGE_INPUTS.some((f) => {
    const file = path.join(REPO_ROOT, f);
    return existsSync(file) && statSync(file).mtimeMs > builtAt;
  });
  if (stale) execFileSync(path.join(REPO_ROOT, 'scripts/package.sh'), ['--no-pack'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(readFileSync(manifest, 'utf8'));
}

/** `npm pack` of pkg/npm into `dir`; returns the tarball's path. */
export function packPackage(dir) {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: NPM_DIR, encoding: 'utf8' });
  return path.join(dir, JSON.parse(out)[0].filename);
}

/**
 * The minified tag (pkg/npm/snippet.min.js) as a web developer pastes it, with the loader URL
 * and the global name replaced: `<script nonce>…</script>`. `after`: code run in the same script,
 * after the tag (its commands, as the README shows them).
 */
export function snippetTag({ src, name = 'snowtrack', nonce, after = '' } = {}) {
  const tag = readFileSync(path.join(NPM_DIR, 'snippet.min.js'), 'utf8').trim();
  const call = /,("https:\/\/cdn\.jsdelivr\.net\/npm\/snowtrack@[^"]+\/loader\.js"),"snowtrack"\);$/.exec(tag);
  if (!call) throw new Error(`snippet.min.js does not end with the expected call: ${tag.slice(-120)}`);
  const code = `${tag.slice(0, call.index)},${JSON.stringify(src)},${JSON.stringify(name)});`;
  return `<script${nonce ? ` nonce="${nonce}"` : ''}>${code}${after ? `\n${after}` : ''}</script>`;
}

/** A minimal HTML page. */
export function html({ title = 'snowtrack', head = '', body = '' } = {}) {
  return `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n${head}\n</head>\n<body>\n${body}\n</body>\n</html>\n`;
}

// ---- files and servers ---------------------------------------------------------------------------

/** A fresh temporary directory, removed when the test (or suite) `t` ends. */
export async function tempDir(t, prefix = 'snowtrack-e2e-') {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * Fills `dir` with `entries`: `name → string | Buffer` (a file) or `name → { link: path }` (a
 * symlink), `name` may contain slashes. Returns `dir`.
 */
export async function writeTree(dir, entries) {
  for (const [name, value] of Object.entries(entries)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    if (value && typeof value === 'object' && 'link' in value) await symlink(value.link, file);
    else await writeFile(file, value);
  }
  return dir;
}

/** Copies `from` to `to`, leaving out node_modules and build output. */
export function copyApp(from, to) {
  return cp(from, to, { recursive: true, filter: (src) => !/[\\/](node_modules|dist)$/.test(src) });
}

/** The collector serving `staticDir`, stopped when `t` ends. */
export async function startCollector(t, staticDir) {
  const collector = await Collector.start({ staticDir, args: ['--quiet'] });
  t.after(() => collector.stop());
  return collector;
}

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json', '.json': 'application/json', '.wasm': 'application/wasm',
};

/**
 * A static file server on 127.0.0.1 (another origin than the collector: a "CDN", or a site whose
 * pages need their own headers). `mounts`: URL prefix → directory, longest prefix first;
 * `headers(pathname)`: extra response headers. Every answer allows any origin (as CDNs do).
 */
export async function startStaticServer(t, { mounts, headers = () => ({}) }) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    const prefix = prefixes.find((p) => pathname.startsWith(p));
    let file = prefix && path.join(mounts[prefix], decodeURIComponent(pathname.slice(prefix.length)));
    if (file && existsSync(file) && statSync(file).isDirectory()) file = path.join(file, 'index.html');
    if (!file || file.split(path.sep).includes('..') || !existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, {
      'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Access-Control-Allow-Origin': '*',
      'Cache-Control': 'no-store',
      ...headers(pathname),
    });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  }));
  return { url: `http://127.0.0.1:${server.address().port}` };
}

// ---- bundling ------------------------------------------------------------------------------------

/** esbuild (tests/e2e's devDependency), quiet unless something is wrong. */
export function bundle(options) {
  return build({ logLevel: 'warning', ...options });
}

/**
 * @snowplow/browser-tracker as one classic script that sets `window.snowplow` to its API, plus
 * `flushPendingCookies` (it writes cookies 10 ms after an event unless flushed).
 */
export async function bundleBrowserTracker(outfile) {
  await bundle({
    stdin: {
      contents: "export * from '@snowplow/browser-tracker';\n"
        + "export { flushPendingCookies } from '@snowplow/browser-tracker-core';\n",
      resolveDir: E2E_DIR,
      sourcefile: 'snowplow-entry.js',
    },
    bundle: true,
    format: 'iife',
    globalName: 'snowplow',
    target: 'es2019',
    outfile,
  });
  return outfile;
}

/** Bytes raw, gzip -9 and brotli (quality 11) of `file`. */
export function compressedSizes(file) {
  const bytes = readFileSync(file);
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } }).length,
  };
}

/** One line per file, and the total, for `t.diagnostic`. */
export function sizeReport(label, files) {
  const rows = Object.entries(files).map(([name, file]) => [name, compressedSizes(file)]);
  const total = rows.reduce((s, [, r]) => ({ raw: s.raw + r.raw, gzip: s.gzip + r.gzip, brotli: s.brotli + r.brotli }),
    { raw: 0, gzip: 0, brotli: 0 });
  const line = (name, r) => `${name}: ${r.raw} B raw, ${r.gzip} B gzip, ${r.brotli} B brotli`;
  return [`${label} — ${line('total', total)}`, ...rows.map(([name, r]) => `  ${line(name, r)}`)];
}

// ---- the browser ---------------------------------------------------------------------------------

/**
 * Init script: counts the wasm-bindgen glue's WebAssembly calls in `window.wasmProbe`, so a test
 * can tell streaming compilation (`instantiateStreaming` succeeded) from the buffered fallback.
 */
export function wasmProbe() {
  const wasm = globalThis.WebAssembly;
  if (!wasm) return;
  const probe = { streaming: 0, streamed: 0, buffered: 0 };
  globalThis.wasmProbe = probe;
  const { instantiate, instantiateStreaming } = wasm;
  wasm.instantiateStreaming = function (...args) {
    probe.streaming += 1;
    return instantiateStreaming.apply(this, args).then((result) => {
      probe.streamed += 1;
      return result;
    });
  };
  wasm.instantiate = function (...args) {
    probe.buffered += 1;
    return instantiate.apply(this, args);
  };
}

/**
 * A new browser context and page with `initScripts` (functions) run before any page script, and
 * everything the page says collected: `messages` ({type, text} for every console call),
 * `pageErrors` (uncaught exceptions and unhandled rejections).
 */
export async function openContext(browser, { initScripts = [] } = {}) {
  const context = await browser.newContext();
  for (const script of initScripts) await context.addInitScript(script);
  const page = await context.newPage();
  const messages = [];
  const pageErrors = [];
  page.on('console', (msg) => messages.push({ type: msg.type(), text: msg.text() }));
  page.on('pageerror', (err) => pageErrors.push(err.message));
  return { context, page, messages, pageErrors };
}

/** The console warnings snowtrack printed (`snowtrack: …`). */
export function snowtrackWarnings(messages) {
  return messages.filter((m) => m.type === 'warning' && m.text.startsWith('snowtrack:')).map((m) => m.text);
}

/** The console errors. */
export function consoleErrors(messages) {
  return messages.filter((m) => m.type === 'error').map((m) => m.text);
}

// ---- events --------------------------------------------------------------------------------------

/** A compact view of a good event for order and identity assertions. */
export function summary(good) {
  const session = entity(good, SCHEMAS.clientSession);
  return {
    kind: kind(good),
    appId: good.event.app_id,
    tracker: good.event.v_tracker,
    action: good.event.se_action ?? null,
    title: good.event.page_title ?? null,
    duid: good.event.domain_userid,
    sid: good.event.domain_sessionid,
    sidx: good.event.domain_sessionidx,
    eventIndex: session?.eventIndex,
    sessionId: session?.sessionId,
    userId: session?.userId,
    sessionIndex: session?.sessionIndex,
    firstEventId: session?.firstEventId,
    previousSessionId: session?.previousSessionId,
    eventId: good.event.event_id,
    dvce: Date.parse(good.event.dvce_created_tstamp),
  };
}

/** Good events in the order they were tracked (client_session eventIndex). */
export function inTrackingOrder(goods) {
  return goods.map(summary).sort((a, b) => a.eventIndex - b.eventIndex);
}

// ---- structure -----------------------------------------------------------------------------------

/**
 * A `{ after(fn) }` for resources shared by every test of a file (the collector, the browser):
 * they are released, last first, when the file's tests are done. Pass it where a helper takes `t`.
 */
export function fileScope() {
  const cleanups = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return { after: (fn) => cleanups.push(fn) };
}

/** `<script>(fn)(...args)</script>`: a function of the test run inline by the page. */
export function inlineScript(fn, args = [], { nonce } = {}) {
  return `<script${nonce ? ` nonce="${nonce}"` : ''}>(${fn})(${args.map((a) => JSON.stringify(a)).join(', ')});</script>`;
}
