// Delivery benchmark (prints numbers; not a timed test). Run by scripts/bench.sh (`make bench`).
//
// In headless Chromium, against the local collector (release build, 127.0.0.1), for each tracker
// under test (bench/page/bench.js TRACKERS; default: snowtrack only):
//   - main-thread µs per track call (trackSelfDescribingEvent, trackPageView; default config;
//     `--rounds` rounds of `--calls` calls each, median of the rounds);
//   - end to end: a burst of N events tracked in one loop, timed from the first track call to the
//     collector counting all N, as events/s, with how many distinct events arrived.
// Prints a table and writes bench/results.json.
//
//   node bench/delivery.mjs [--trackers snowtrack] [--calls 2000] [--rounds 7]
//                           [--bursts 1000,10000] [--out bench/results.json]
//   COLLECTOR_BIN=target/release/snowtrack-collector (set by scripts/bench.sh)

import { writeFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  CHROMIUM, CHROMIUM_ARGS, COLLECTOR_BIN, Collector, REPO_ROOT, makeSite, sleep,
} from '../tests/e2e/support.mjs';

// The browser driver comes from the end-to-end tests' dependencies (tests/e2e/node_modules).
const require = createRequire(path.join(REPO_ROOT, 'tests/e2e/package.json'));
const { chromium } = require('playwright-core');

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const PAGE_DIR = path.join(BENCH_DIR, 'page');

/** What one track-cost measurement times: the adapter method and the API call it stands for. */
const TRACK_KINDS = [
  ['selfDescribing', 'trackSelfDescribingEvent'],
  ['pageView', 'trackPageView'],
];

const { values: opts } = parseArgs({
  options: {
    trackers: { type: 'string', default: 'snowtrack' },
    calls: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '7' },
    bursts: { type: 'string', default: '1000,10000' },
    'burst-timeout': { type: 'string', default: '120000' },
    out: { type: 'string', default: path.join(BENCH_DIR, 'results.json') },
  },
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

// ---- harness ---------------------------------------------------------------------------------------

/** A fresh context (own localStorage and cookies) with the bench page open and `tracker` created. */
async function openBench(session, tracker) {
  const context = await session.browser.newContext();
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(`${session.collector.url}/`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 30_000 });
  const label = await page.evaluate(([name, url]) => window.bench.use(name, url), [tracker, session.collector.url]);
  return { context, page, label, errors };
}

async function collectorCount(collector) {
  const { total, good, bad } = await collector.all();
  return { total, good, bad };
}

// ---- measurements: each takes the session and the name of the tracker under test ----------------

/** Main-thread µs per `kind` call. */
async function trackCost(session, tracker, [kind, api]) {
  const { context, page, label, errors } = await openBench(session, tracker);
  try {
    await session.collector.reset();
    const calls = Number(opts.calls);
    const rounds = Number(opts.rounds);
    const { perCall, stats } = await page.evaluate((o) => window.bench.trackCost(o), { kind, calls, rounds });
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return {
      tracker, label, measurement: api, unit: 'µs/call', calls, rounds,
      median: median(perCall), min: Math.min(...perCall), max: Math.max(...perCall), perRound: perCall,
      delivered: stats?.sent,
    };
  } finally {
    await context.close();
  }
}

/** End-to-end events/s for a burst of `events`. */
async function burst(session, tracker, events) {
  const { collector } = session;
  const { context, page, label, errors } = await openBench(session, tracker);
  try {
    await collector.reset();
    const timeout = Number(opts['burst-timeout']);
    // Poll the collector from here while the page tracks and sends.
    let doneAt = null;
    let last = { total: 0, good: 0, bad: 0 };
    const polling = (async () => {
      const deadline = Date.now() + timeout;
      while (Date.now() < deadline) {
        last = await collectorCount(collector);
        if (last.total >= events) {
          doneAt = Date.now();
          return;
        }
        await sleep(10);
      }
    })();
    const { startedAt, trackMs } = await page.evaluate((n) => window.bench.burst({ events: n }), events);
    await polling;
    await sleep(300); // late duplicates, if any
    const ids = await collector.request('/snowtrack/eids');
    const { requests } = await collector.request('/snowtrack/faults');
    const stats = await page.evaluate(() => window.bench.stats());
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    const ms = doneAt === null ? null : doneAt - startedAt;
    return {
      tracker, label, measurement: `burst ${events}`, events, unit: 'events/s',
      arrived: ids.distinct, received: ids.count, bad: last.bad,
      ms, eventsPerSecond: ms ? (events * 1000) / ms : null,
      trackMs, trackUsPerCall: (trackMs * 1000) / events, timedOut: doneAt === null, requests,
      // The sending part alone: from the end of the tracking loop to the last event counted.
      deliveryEventsPerSecond: ms && ms > trackMs ? (events * 1000) / (ms - trackMs) : null,
      stats,
    };
  } finally {
    await context.close();
  }
}

// ---- report ----------------------------------------------------------------------------------------

function table(results) {
  const rows = [['tracker', 'measurement', 'result', 'details']];
  for (const r of results) {
    if (r.unit === 'µs/call') {
      rows.push([r.tracker, r.measurement, `${r.median.toFixed(2)} µs/call`,
        `median of ${r.rounds} rounds × ${r.calls} calls (min ${r.min.toFixed(2)}, max ${r.max.toFixed(2)})`]);
    } else {
      const rate = r.eventsPerSecond ? `${Math.round(r.eventsPerSecond).toLocaleString('en-US')} events/s` : 'timed out';
      rows.push([r.tracker, `burst ${r.events.toLocaleString('en-US')} → collector`, rate,
        `${r.arrived}/${r.events} distinct arrived (${r.received} received, ${r.requests} requests) in ${r.ms ?? '—'} ms; `
        + `tracking loop ${r.trackMs.toFixed(0)} ms (${r.trackUsPerCall.toFixed(1)} µs/call), `
        + `sending alone ${r.deliveryEventsPerSecond ? Math.round(r.deliveryEventsPerSecond).toLocaleString('en-US') : '—'} events/s`]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row) => row.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

// ---- main -------------------------------------------------------------------------------------------

async function main() {
  const trackers = opts.trackers.split(',').map((s) => s.trim()).filter(Boolean);
  const bursts = opts.bursts.split(',').map(Number).filter((n) => n > 0);
  const site = await makeSite(PAGE_DIR);
  const collector = await Collector.start({ staticDir: site, args: ['--quiet', '--max-events', '200000'] });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  const chromiumVersion = browser.version();
  const session = { browser, collector };
  const results = [];
  try {
    for (const tracker of trackers) {
      for (const kind of TRACK_KINDS) {
        process.stderr.write(`bench: ${tracker} ${kind[1]}\n`);
        results.push(await trackCost(session, tracker, kind));
      }
      for (const events of bursts) {
        process.stderr.write(`bench: ${tracker} burst ${events}\n`);
        results.push(await burst(session, tracker, events));
      }
    }
  } finally {
    await browser.close();
    await collector.stop();
    await rm(site, { recursive: true, force: true });
  }
  const report = {
    generatedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, load: os.loadavg(), node: process.version },
    chromium: chromiumVersion,
    collector: path.relative(REPO_ROOT, COLLECTOR_BIN),
    results,
  };
  await writeFile(opts.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(table(results));
  console.log(`\nChromium ${report.chromium}, ${report.machine.cpus} CPUs (${report.machine.cpu}), `
    + `load ${report.machine.load.map((l) => l.toFixed(2)).join(' ')}; collector ${report.collector}`);
  console.log(`targets (issue 4): ≤ 10 µs per track call, ≥ 10,000 events/s end to end; results in ${path.relative(process.cwd(), opts.out)}`);
}

await main();
