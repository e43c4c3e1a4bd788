// Where a warm tracking call's time goes in the browser: a CPU profile of snowtrack's calls in
// headless Chromium, with the wasm functions named (a release build with its name section kept),
// grouped by function and by Rust module. For chasing the per-call rows of `make bench`; not part
// of it.
//
//   node bench/profile.mjs [selfDescribing|pageView] [calls]
//
// Builds target/profile/ (cargo release build of the full build, wasm-bindgen --keep-debug,
// wasm-opt -Oz -g), serves it from the local collector and prints the top functions by self time.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, CHROMIUM_ARGS, Collector } from '../tests/e2e/support.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(ROOT, 'tests/e2e/package.json'));
const { chromium } = require('playwright-core');

const kind = process.argv[2] ?? 'selfDescribing';
const calls = Number(process.argv[3] ?? 3000);
const OUT = path.join(ROOT, 'target/profile');
const TARGET = path.join(ROOT, 'target/named');
const WASM_OPT_FLAGS = ['-Oz', '-g', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext', '--enable-mutable-globals'];

function build() {
  const env = { ...process.env, CARGO_TARGET_DIR: TARGET };
  execFileSync('cargo', ['build', '--release', '--target', 'wasm32-unknown-unknown', '--lib'], { cwd: ROOT, env, stdio: 'inherit' });
  const wasm = path.join(TARGET, 'wasm32-unknown-unknown/release/snowtrack.wasm');
  execFileSync('wasm-bindgen', ['--target', 'web', '--keep-debug', '--out-dir', OUT, wasm], { stdio: 'inherit' });
  const named = path.join(OUT, 'snowtrack_bg.wasm');
  execFileSync('wasm-opt', [...WASM_OPT_FLAGS, named, '-o', named], { stdio: 'inherit' });
  writeFileSync(path.join(OUT, 'index.html'), '<!doctype html><title>profile</title><p>profile</p>');
  // The package's API over the module's two exports (js/build.mjs appends the same to the glue).
  copyFileSync(path.join(ROOT, 'js/facade.js'), path.join(OUT, 'facade.js'));
}

/** In the page: loads the module, makes a tracker, warms `kind` up. */
async function setUp([kind, collectorUrl]) {
  const glue = await import('./snowtrack.js');
  const init = glue.default;
  const { newTracker } = (await import('./facade.js')).facade(glue, 'full');
  await init();
  const tracker = newTracker('prof', collectorUrl, { appId: 'profile' });
  const ev = (i) => ({ event: { schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', data: { targetUrl: `https://example.com/${i}` } } });
  let next = 0;
  window.track = kind === 'pageView'
    ? () => tracker.trackPageView({ title: `profile ${next++}` })
    : () => tracker.trackSelfDescribingEvent(ev(next++));
  window.loop = (n) => { const t = performance.now(); for (let i = 0; i < n; i += 1) window.track(); return performance.now() - t; };
  for (let i = 0; i < 10; i += 1) { window.loop(200); await tracker.flush(); }
}

async function main() {
  build();
  mkdirSync(OUT, { recursive: true });
  const collector = await Collector.start({ staticDir: OUT, args: ['--quiet', '--max-events', '200000'] });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  try {
    const page = await browser.newPage();
    await page.goto(`${collector.url}/index.html`);
    await page.evaluate(setUp, [kind, collector.url]);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 50 });
    await cdp.send('Profiler.start');
    const ms = await page.evaluate((n) => window.loop(n), calls);
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map();
    const dt = new Map();
    profile.samples.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    for (const node of profile.nodes) {
      const name = node.callFrame.functionName || `(${node.callFrame.url.split('/').pop() || 'anonymous'})`;
      self.set(name, (self.get(name) ?? 0) + (dt.get(node.id) ?? 0));
    }
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    console.log(`${kind}: ${calls} calls, ${((ms * 1000) / calls).toFixed(1)} µs per call (profiled, sampling every 50 µs)`);
    const byModule = new Map();
    for (const [name, us] of self) {
      const module = name.includes('::') ? name.split('::').slice(0, 3).join('::') : name;
      byModule.set(module, (byModule.get(module) ?? 0) + us);
    }
    const top = (map, n) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n)
      .map(([name, us]) => `${((100 * us) / total).toFixed(1).padStart(5)}%  ${name.slice(0, 150)}`).join('\n');
    console.log(`\nby function (self time):\n${top(self, 35)}`);
    console.log(`\nby module (self time):\n${top(byModule, 20)}`);
  } finally {
    await browser.close();
    await collector.stop();
  }
}

await main();
