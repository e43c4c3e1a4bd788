// The first event's request on a slow phone: how long after navigation start a page's first
// event leaves for the collector, with the network and CPU throttled as on a slow phone (150 ms
// round trip, 1.6 Mbps down, 750 kbps up, CPU 4× slower; gzip on the wire). snowtrack's async tag
// (newTracker and trackPageView queued in the tag's own script, so the tag starts the core build's
// .wasm beside loader.js; the loader's chunk follows the loader) against
// Snowplow's synchronous bundle (a classic <script> of @snowplow/browser-tracker, then newTracker
// and trackPageView inline). Each run is a fresh browser context with the cache disabled.
//
// The pages are served by a small gzip static server on 127.0.0.1 that also answers the collector
// paths with 200: only the time the request starts is measured.

import { createReadStream, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createGzip } from 'node:zlib';
import { REPO_ROOT, SNOWPLOW_BUNDLE, TRACKER_CONFIG, tagWithLoader } from './build.mjs';

const e2eRequire = createRequire(path.join(REPO_ROOT, 'tests/e2e/package.json'));
const { build } = e2eRequire('esbuild');

/** The slow phone: Chrome DevTools' network conditions (bytes per second) and CPU slowdown. */
export const SLOW_PHONE = { latency: 150, downloadThroughput: 1_600_000 / 8, uploadThroughput: 750_000 / 8, cpu: 4 };

const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

/** Serves `dir` gzipped (every response) and answers POST/GET/OPTIONS on collector paths with 200. */
function gzipServer(dir) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/com.snowplowanalytics.snowplow/') || url.pathname === '/i') {
      res.writeHead(200, {
        'Access-Control-Allow-Origin': req.headers.origin ?? '*',
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Headers': 'Content-Type',
      });
      req.resume();
      req.on('end', () => res.end());
      return;
    }
    const file = path.join(dir, path.normalize(url.pathname));
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Content-Encoding': 'gzip',
      'Cache-Control': 'no-store',
    });
    createReadStream(file).pipe(createGzip({ level: 9 })).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Writes the two pages and Snowplow's classic-script bundle into the bench site `site`. */
async function writePages(site, tag) {
  await build({
    bundle: true,
    format: 'iife',
    globalName: 'snowplow',
    minify: true,
    target: 'es2020',
    logLevel: 'warning',
    stdin: {
      contents: Object.entries(SNOWPLOW_BUNDLE).map(([pkg, names]) => `export { ${names.join(', ')} } from '${pkg}';\n`).join(''),
      resolveDir: path.join(REPO_ROOT, 'tests/e2e'),
      sourcefile: 'snowplow-classic.js',
    },
    outfile: path.join(site, 'sp/snowplow-classic.js'),
  });
  const config = JSON.stringify(TRACKER_CONFIG);
  const page = (title, head) => `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${title}</title>`
    + `<link rel="icon" href="data:,">${head}</head><body><h1>${title}</h1></body></html>\n`;
  writeFileSync(path.join(site, 'first-snowtrack-tag.html'), page('snowtrack (async tag)',
    `<script>${tag}\nsnowtrack('newTracker', 'bench', location.origin, ${config});\nsnowtrack('trackPageView');</script>`));
  writeFileSync(path.join(site, 'first-snowplow.html'), page('Snowplow (synchronous bundle)',
    `<script src="sp/snowplow-classic.js"></script>`
    + `<script>snowplow.newTracker('bench', location.origin, ${config});\nsnowplow.trackPageView();</script>`));
}

/**
 * Ms from the document's request to the first collector request, in one fresh throttled context.
 * With `trace` (an array), each request's start, response and end (ms since the document's
 * request) are pushed onto it.
 */
async function once(browser, url, trace = null) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: SLOW_PHONE.latency,
      downloadThroughput: SLOW_PHONE.downloadThroughput,
      uploadThroughput: SLOW_PHONE.uploadThroughput,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: SLOW_PHONE.cpu });
    let start = null;
    const requests = new Map();
    if (trace) {
      const at = (e) => Math.round((e.timestamp - start) * 1000);
      cdp.on('Network.responseReceived', (e) => { if (requests.has(e.requestId)) requests.get(e.requestId).response = at(e); });
      cdp.on('Network.loadingFinished', (e) => {
        if (requests.has(e.requestId)) Object.assign(requests.get(e.requestId), { end: at(e), bytes: e.encodedDataLength });
      });
    }
    const first = new Promise((resolve) => {
      cdp.on('Network.requestWillBeSent', (e) => {
        if (start === null && e.type === 'Document') start = e.timestamp;
        if (trace && start !== null) {
          const entry = { url: new URL(e.request.url).pathname, start: Math.round((e.timestamp - start) * 1000) };
          requests.set(e.requestId, entry);
          trace.push(entry);
        }
        const path = new URL(e.request.url).pathname;
        if (start !== null && (path.startsWith('/com.snowplowanalytics.snowplow/') || path === '/i')) resolve(e.timestamp);
      });
    });
    await page.goto(url, { waitUntil: 'commit', timeout: 60_000 });
    const at = await Promise.race([first, new Promise((_, reject) => setTimeout(() => reject(new Error(`no event request from ${url} within 60 s`)), 60_000))]);
    return (at - start) * 1000;
  } finally {
    await context.close().catch(() => {});
  }
}

/**
 * `runs` alternating runs of both pages in `site` (built by bench/build.mjs, the package under
 * npm/); returns the samples in ms per variant.
 */
export async function firstEventTimes(browser, site, runs, log = () => {}) {
  const snippet = readFileSync(path.join(site, 'npm/snippet.min.js'), 'utf8').trim();
  await writePages(site, tagWithLoader(snippet, './npm/loader.js'));
  const server = await gzipServer(site);
  const base = `http://127.0.0.1:${server.address().port}`;
  const samples = { snowtrack: [], snowplow: [] };
  try {
    for (let i = 0; i < runs; i += 1) {
      samples.snowtrack.push(await once(browser, `${base}/first-snowtrack-tag.html`));
      samples.snowplow.push(await once(browser, `${base}/first-snowplow.html`));
      log(`first event on a slow phone ${i + 1}/${runs}: snowtrack tag ${samples.snowtrack.at(-1).toFixed(0)} ms, `
        + `Snowplow ${samples.snowplow.at(-1).toFixed(0)} ms`);
    }
  } finally {
    server.close();
  }
  return samples;
}

/** Median of the numbers `xs`. */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * `node bench/first-event.mjs [--runs N] [--trace]`: this row alone (after scripts/package.sh
 * --no-pack), median [min–max] of N alternating runs (default 7); `--trace` also prints each
 * request of one more run per page (start, response, end in ms since the document's request).
 */
async function cli() {
  const { parseArgs } = await import('node:util');
  const { rmSync } = await import('node:fs');
  const { buildSite } = await import('./build.mjs');
  const { CHROMIUM, CHROMIUM_ARGS } = await import('../tests/e2e/support.mjs');
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, trace: { type: 'boolean', default: false } } });
  const runs = Number(values.runs);
  const { chromium } = e2eRequire('playwright-core');
  const site = await buildSite();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  try {
    const samples = await firstEventTimes(browser, site.site, runs, (line) => console.error(line));
    for (const [name, xs] of Object.entries(samples)) {
      console.log(`${name.padEnd(9)} ${median(xs).toFixed(1)} ms [${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]`);
    }
    console.log(`ratio     ${(median(samples.snowtrack) / median(samples.snowplow)).toFixed(2)}×`);
    if (values.trace) {
      const server = await gzipServer(site.site);
      const base = `http://127.0.0.1:${server.address().port}`;
      try {
        for (const page of ['first-snowtrack-tag.html', 'first-snowplow.html']) {
          const trace = [];
          const ms = await once(browser, `${base}/${page}`, trace);
          console.log(`\n${page}: first event at ${ms.toFixed(0)} ms`);
          for (const r of trace) {
            console.log(`  ${String(r.start).padStart(5)} ${String(r.response ?? '-').padStart(5)} ${String(r.end ?? '-').padStart(5)} ${String(r.bytes ?? '').padStart(6)} B  ${r.url}`);
          }
        }
      } finally {
        server.close();
      }
    }
  } finally {
    await browser.close();
    rmSync(site.dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  await cli();
}
