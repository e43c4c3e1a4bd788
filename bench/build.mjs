// The benchmark's static site, built fresh for every run into a temporary directory (served by
// the local collector), and the byte counts of what each page downloads.
//
//   <site>/st/snowtrack.js, st/snowtrack_bg.wasm   snowtrack, npm + esbuild path: `snowtrack/load-full`
//                                                  bundled (minified ESM) + the .wasm as a file
//   <site>/npm/loader.js, npm/web/snowtrack_bg.wasm snowtrack, tag path (pkg/npm as published)
//   <site>/sp/snowplow.js                          @snowplow/browser-tracker and its link click and
//                                                  screen plugins, esbuild (minified ESM), with the
//                                                  functions of SNOWPLOW_BUNDLE
//   <site>/snowtrack.html, snowtrack-tag.html, snowplow.html, harness.js
//
// Everything is copied (not linked) from pkg/npm at the start, so a rebuild of pkg/ during the run
// cannot mix two builds. Both bundles use the same esbuild options.

import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
const E2E_DIR = path.join(REPO_ROOT, 'tests/e2e');
const NPM_DIR = path.join(REPO_ROOT, 'pkg/npm');
const PKG_WEB = path.join(REPO_ROOT, 'pkg/web');

// esbuild and the Snowplow tracker are tests/e2e's devDependencies.
const e2eRequire = createRequire(path.join(E2E_DIR, 'package.json'));
const { build } = e2eRequire('esbuild');

/** The one configuration both trackers get (defaults otherwise; both have POST and bufferSize 1 by default). */
export const TRACKER_CONFIG = {
  appId: 'bench',
  cookieSecure: false, // the page is http; snowtrack's default there, set for Snowplow (default true)
  contexts: { session: true, webPage: true },
};

/**
 * What the Snowplow bundle exports, by package: the functions the bench calls, plus those of the
 * features snowtrack's module has too (activity tracking and the SPA setters are in the core,
 * link clicks and screen views in plugins), so that both sides of the download rows carry the
 * same features. esbuild keeps only these and what they use. snowtrack's module is whole.
 * (The link click plugin's last release is 4.6.8; tests/e2e's package.json overrides its
 * dependencies to the 4.10.1 core, so the bundle has one copy of it.)
 */
export const SNOWPLOW_BUNDLE = {
  '@snowplow/browser-tracker': [
    'newTracker', 'trackPageView', 'trackSelfDescribingEvent', 'trackStructEvent', 'flushBuffer', 'setUserId',
    'newSession', 'enableActivityTracking', 'enableActivityTrackingCallback', 'disableActivityTracking',
    'disableActivityTrackingCallback', 'updatePageActivity', 'setCustomUrl', 'setReferrerUrl', 'setDocumentTitle',
    'preservePageViewId',
  ],
  '@snowplow/browser-plugin-link-click-tracking': [
    'LinkClickTrackingPlugin', 'enableLinkClickTracking', 'disableLinkClickTracking', 'refreshLinkClickTracking',
    'trackLinkClick',
  ],
  '@snowplow/browser-plugin-screen-tracking': [
    'ScreenTrackingPlugin', 'trackScreenView', 'trackListItemView', 'trackScrollChanged',
  ],
};

/** SNOWPLOW_BUNDLE in one line: `package {f, g}; …`. */
export const SNOWPLOW_FUNCTIONS = Object.entries(SNOWPLOW_BUNDLE)
  .map(([pkg, names]) => `${pkg.replace('@snowplow/', '')} {${names.join(', ')}}`);

const ESBUILD_OPTIONS = { bundle: true, format: 'esm', minify: true, target: 'es2020', logLevel: 'warning' };

/** Bytes raw, gzip -9 and brotli (quality 11) of `bytes`. */
export function compressedSizes(bytes) {
  return {
    raw: bytes.length,
    gzip: gzipSync(bytes, { level: 9 }).length,
    brotli: brotliCompressSync(bytes, {
      params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: bytes.length },
    }).length,
  };
}

/** Sums `files` ([{name, raw, gzip, brotli}]) into one row. */
function total(files) {
  return files.reduce((sum, f) => ({ raw: sum.raw + f.raw, gzip: sum.gzip + f.gzip, brotli: sum.brotli + f.brotli }),
    { raw: 0, gzip: 0, brotli: 0 });
}

function packageVersion(dir) {
  return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

/** The minified tag of pkg/npm with its loader URL replaced by `src`, as a page would paste it. */
export function tagWithLoader(snippet, src) {
  const call = /,("https:\/\/[^"]+\/loader\.js"),"snowtrack"\);?\s*$/.exec(snippet);
  if (!call) throw new Error(`pkg/npm/snippet.min.js does not end with the expected call: ${snippet.slice(-120)}`);
  return `${snippet.slice(0, call.index)},${JSON.stringify(src)},"snowtrack");`;
}

// ---- the pages ------------------------------------------------------------------------------------

/**
 * The first script of every page: records each WebAssembly instance the page creates (to read its
 * linear memory after a burst) without changing what the page loads.
 */
const WASM_HOOK = `(function () {
  var seen = window.__benchWasm = [];
  ['instantiate', 'instantiateStreaming'].forEach(function (name) {
    var original = WebAssembly[name];
    if (typeof original !== 'function') return;
    WebAssembly[name] = function () {
      return original.apply(this, arguments).then(function (result) {
        seen.push(result instanceof WebAssembly.Instance ? result : result.instance);
        return result;
      });
    };
  });
})();`;

function page(title, body) {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${title}</title>
  <link rel="icon" href="data:,">
  <script>${WASM_HOOK}</script>
</head>
<body>
  <h1>${title}</h1>
${body}
</body>
</html>
`;
}

/**
 * A page that loads a tracker through a dynamic import of its bundle (t0 → t1: download, parse,
 * compile, instantiate), creates it (t1 → t2: newTracker), then installs the harness.
 */
function modulePage(title, kind, loadAndCreate) {
  return page(title, `  <script type="module">
    const config = ${JSON.stringify(TRACKER_CONFIG)};
    const t0 = performance.now();
${loadAndCreate}
    const { install } = await import('./harness.js');
    install(${JSON.stringify(kind)}, handle, { t0, t1, t2 });
  </script>`);
}

const PAGES = {
  'snowtrack.html': () => modulePage('snowtrack (npm + esbuild)', 'snowtrack', `    const lib = await import('./st/snowtrack.js');
    const api = await lib.load();
    if (!api.ready) throw api.error;
    const t1 = performance.now();
    const handle = { tracker: api.newTracker('bench', location.origin, config) };
    const t2 = performance.now();`),
  'snowplow.html': () => modulePage('@snowplow/browser-tracker (esbuild)', 'snowplow', `    const sp = await import('./sp/snowplow.js');
    const t1 = performance.now();
    sp.newTracker('bench', location.origin, config);
    const t2 = performance.now();
    const handle = { sp };`),
  // The tag as pasted, pointing at the loader served from /npm/. Callbacks around newTracker give
  // the time the loader had the module ready (t1) and the time the tracker existed (t2).
  'snowtrack-tag.html': (tag) => page('snowtrack (async tag)', `  <script>
    window.__benchT0 = performance.now();
    ${tag}
    snowtrack('build', 'full'); // the features of the Snowplow bundle (see SNOWPLOW_BUNDLE)
    snowtrack(function () { window.__benchT1 = performance.now(); });
    snowtrack('newTracker', 'bench', location.origin, ${JSON.stringify(TRACKER_CONFIG)});
    snowtrack(function () {
      var t2 = performance.now(), tracker = this.bench;
      import('./harness.js').then(function (m) {
        m.install('snowtrack', { tracker: tracker }, { t0: window.__benchT0, t1: window.__benchT1, t2: t2 });
      });
    });
  </script>`),
};

/** Resource URLs (relative to the site) each page variant downloads for its tracker. */
export const VARIANT_FILES = {
  snowtrack: ['st/snowtrack.js', 'st/snowtrack_bg.wasm'],
  'snowtrack-tag': ['npm/loader.js', 'npm/chunks/full.js', 'npm/web/snowtrack_bg.wasm'],
  snowplow: ['sp/snowplow.js'],
};

// ---- build ----------------------------------------------------------------------------------------

/**
 * Builds the site in a new temporary directory. Returns `{ dir, sizes, versions }`, where `sizes`
 * holds, per download path, the files with their byte counts and their total.
 */
export async function buildSite() {
  for (const f of ['package.json', 'load.js', 'loader.js', 'snippet.min.js', 'web/snowtrack.js', 'web/snowtrack_bg.wasm']) {
    if (!existsSync(path.join(NPM_DIR, f))) throw new Error(`pkg/npm/${f} is missing: run scripts/package.sh --no-pack`);
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'snowtrack-bench-'));
  // A snapshot of the package, resolvable as `snowtrack` for esbuild, and served at /npm/ for the tag.
  const pkgCopy = path.join(dir, 'build/node_modules/snowtrack');
  cpSync(NPM_DIR, pkgCopy, { recursive: true, dereference: true });
  const site = path.join(dir, 'site');
  mkdirSync(site, { recursive: true });
  cpSync(pkgCopy, path.join(site, 'npm'), { recursive: true });

  // snowtrack as the package README shows for esbuild: `snowtrack/load-full` (the full build: the
  // features of the Snowplow bundle) plus the .wasm as a file.
  await build({
    ...ESBUILD_OPTIONS,
    stdin: {
      contents: "import { load as loadSnowtrack } from 'snowtrack/load-full';\n"
        + "import wasmUrl from 'snowtrack/web/snowtrack_bg.wasm';\n"
        + 'export const load = () => loadSnowtrack({ wasm: new URL(wasmUrl, import.meta.url) });\n',
      resolveDir: path.join(dir, 'build'),
      sourcefile: 'snowtrack-entry.js',
    },
    loader: { '.wasm': 'file' },
    assetNames: '[name]',
    outfile: path.join(site, 'st/snowtrack.js'),
  });
  // @snowplow/browser-tracker with the functions the bench calls.
  await build({
    ...ESBUILD_OPTIONS,
    stdin: {
      contents: Object.entries(SNOWPLOW_BUNDLE).map(([pkg, names]) => `export { ${names.join(', ')} } from '${pkg}';\n`).join(''),
      resolveDir: E2E_DIR,
      sourcefile: 'snowplow-entry.js',
    },
    outfile: path.join(site, 'sp/snowplow.js'),
  });

  const snippet = readFileSync(path.join(pkgCopy, 'snippet.min.js'), 'utf8').trim();
  const tag = tagWithLoader(snippet, './npm/loader.js');
  for (const [name, make] of Object.entries(PAGES)) writeFileSync(path.join(site, name), make(tag));
  cpSync(path.join(BENCH_DIR, 'page/harness.js'), path.join(site, 'harness.js'));

  const file = (name, bytes) => ({ name, ...compressedSizes(bytes) });
  /** snippets/<crate-hash>/src/web/host.js under `dir`. */
  const hostSnippet = (dir) => {
    const found = readdirSync(dir).map((d) => path.join(dir, d, 'src/web/host.js')).find((f) => existsSync(f));
    if (!found) throw new Error(`no host.js snippet under ${dir}`);
    return found;
  };
  const served = (rel) => file(rel, readFileSync(path.join(site, rel)));
  const paths = {
    // What a page downloads on each path (the tag is inline in the page, counted with it).
    snowtrackNpm: [served('st/snowtrack.js'), served('st/snowtrack_bg.wasm')],
    snowtrackTag: [file('snippet.min.js (inline tag)', Buffer.from(snippet)), served('npm/loader.js'), served('npm/chunks/full.js'), served('npm/web/snowtrack_bg.wasm')],
    snowplow: [served('sp/snowplow.js')],
    // The wasm-pack web build (wasm + glue + the host.js snippet the glue imports, unminified): the module alone.
    snowtrackWeb: [file('pkg/web/snowtrack_bg.wasm', readFileSync(path.join(pkgCopy, 'web/snowtrack_bg.wasm'))),
      file('pkg/web/snowtrack.js', readFileSync(path.join(pkgCopy, 'web/snowtrack.js'))),
      file('pkg/web/snippets/*/host.js', readFileSync(hostSnippet(path.join(pkgCopy, 'web/snippets'))))],
  };
  const sizes = Object.fromEntries(Object.entries(paths).map(([k, files]) => [k, { files, total: total(files) }]));
  // pkg/npm's .wasm is pkg/web's with its imports and exports renamed (js/build.mjs), so only
  // their times can tell a stale package.
  const mtime = (file) => statSync(file).mtimeMs;
  const npmIsFresh = mtime(path.join(NPM_DIR, 'web/snowtrack_bg.wasm')) >= mtime(path.join(PKG_WEB, 'snowtrack_bg.wasm'));
  return {
    dir,
    site,
    sizes,
    versions: {
      snowtrack: packageVersion(pkgCopy),
      snowplow: packageVersion(path.dirname(e2eRequire.resolve('@snowplow/browser-tracker/package.json'))),
      esbuild: e2eRequire('esbuild/package.json').version,
    },
    // pkg/npm is assembled from pkg/web by scripts/package.sh; false means it was stale.
    npmMatchesPkgWeb: npmIsFresh,
  };
}
