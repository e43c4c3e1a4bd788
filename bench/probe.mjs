// Probes of snowtrack's per-event work, for chasing what the benchmark shows (not part of
// `make bench`). Same pages and collector as bench.mjs; prints JSON lines.
//
//   node bench/probe.mjs storage   µs per trackSelfDescribingEvent and the localStorage / cookie
//                                  operations per event, by queue length (the collector is
//                                  unreachable, so events stay queued), for both trackers
//   node bench/probe.mjs memory    snowtrack's wasm linear memory: before, after bursts of 1,000
//                                  and 10,000 events, and after they were delivered
//
//   COLLECTOR_BIN=target/native/snowtrack-collector (scripts/bench.sh builds it)

import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPO_ROOT, TRACKER_CONFIG, buildSite } from './build.mjs';
import { CHROMIUM, CHROMIUM_ARGS, Collector, sleep } from '../tests/e2e/support.mjs';

const require = createRequire(path.join(REPO_ROOT, 'tests/e2e/package.json'));
const { chromium } = require('playwright-core');

/** Counts Storage and document.cookie writes made by the page from now on (window.__ops). */
function countOps() {
  const ops = { setItem: 0, removeItem: 0, setItemChars: 0, cookieWrites: 0, cookieReads: 0 };
  window.__ops = ops;
  const { setItem, removeItem } = Storage.prototype;
  Storage.prototype.setItem = function (key, value) {
    ops.setItem += 1;
    ops.setItemChars += String(key).length + String(value).length;
    return setItem.call(this, key, value);
  };
  Storage.prototype.removeItem = function (key) {
    ops.removeItem += 1;
    return removeItem.call(this, key);
  };
  const cookie = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
  Object.defineProperty(document, 'cookie', {
    configurable: true,
    get() { ops.cookieReads += 1; return cookie.get.call(this); },
    set(v) { ops.cookieWrites += 1; cookie.set.call(this, v); },
  });
}

/** In the page: a second tracker of `kind` sending nowhere, then loops of `chunk` events. */
async function storageProbe({ kind, config, chunk, chunks }) {
  const ev = (i) => ({ event: { schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', data: { targetUrl: `https://example.com/${i}` } } });
  const dead = 'http://127.0.0.1:9'; // nothing listens: every event stays queued
  let track;
  if (kind === 'snowtrack') {
    const api = await (await import('./st/snowtrack.js')).load();
    const t = api.newTracker('probe', dead, config);
    track = (i) => t.trackSelfDescribingEvent(ev(i));
  } else {
    const sp = await import('./sp/snowplow.js');
    sp.newTracker('probe', dead, config);
    track = (i) => sp.trackSelfDescribingEvent(ev(i), ['probe']);
  }
  const rows = [];
  let i = 0;
  for (let c = 0; c < chunks; c += 1) {
    const before = { ...window.__ops };
    const start = performance.now();
    for (let n = 0; n < chunk; n += 1) track(i++);
    const ms = performance.now() - start;
    await new Promise((resolve) => { setTimeout(resolve, 100); }); // deferred work and timers
    const per = (k) => +((window.__ops[k] - before[k]) / chunk).toFixed(2);
    rows.push({
      kind, queued: i, usPerCallSync: +((ms * 1000) / chunk).toFixed(1),
      setItemPerEvent: per('setItem'), setItemCharsPerEvent: Math.round(per('setItemChars')),
      removeItemPerEvent: per('removeItem'), cookieWritesPerEvent: per('cookieWrites'), cookieReadsPerEvent: per('cookieReads'),
    });
  }
  return rows;
}

async function main() {
  const what = process.argv[2] ?? 'storage';
  const site = await buildSite();
  const collector = await Collector.start({ staticDir: site.site, args: ['--quiet', '--max-events', '200000'] });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  try {
    if (what === 'storage') {
      for (const kind of ['snowtrack', 'snowplow']) {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.addInitScript(countOps);
        await page.goto(`${collector.url}/${kind}.html`);
        await page.waitForFunction(() => window.bench && window.bench.ready, null, { timeout: 30_000 });
        // Snowplow re-serializes its whole queue per event: keep its chunks small.
        const args = { kind, config: TRACKER_CONFIG, chunk: kind === 'snowplow' ? 100 : 500, chunks: kind === 'snowplow' ? 6 : 8 };
        for (const row of await page.evaluate(storageProbe, args)) console.log(JSON.stringify(row));
        await context.close();
      }
    } else if (what === 'memory') {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${collector.url}/snowtrack.html`);
      await page.waitForFunction(() => window.bench && window.bench.ready, null, { timeout: 30_000 });
      const mem = () => page.evaluate(() => window.bench.wasmMemory());
      console.log(JSON.stringify({ step: 'after init', wasmBytes: await mem() }));
      let sent = 0;
      for (const n of [1000, 10000, 1000]) {
        await collector.reset();
        await page.evaluate((k) => window.bench.burst(k), n);
        const afterLoop = await mem();
        const deadline = Date.now() + 60_000;
        while ((await collector.all()).total < n && Date.now() < deadline) await sleep(20);
        sent += n;
        await sleep(500);
        console.log(JSON.stringify({ step: `burst ${n}`, tracked: sent, wasmBytesAfterLoop: afterLoop, wasmBytesAfterDelivery: await mem() }));
      }
      await context.close();
    } else {
      throw new Error(`unknown probe ${what}: storage | memory`);
    }
  } finally {
    await browser.close();
    await collector.stop();
    rmSync(site.dir, { recursive: true, force: true });
  }
}

await main();
