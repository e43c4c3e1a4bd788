// snowtrack vs @snowplow/browser-tracker, side by side in one headless Chromium session against
// the local collector (release build, 127.0.0.1). Run by scripts/bench.sh (`make bench`); see
// bench/README.md for what each row measures. Prints a table and writes bench/results.json.
// Numbers to read, not a test: nothing fails on a threshold.
//
//   node bench/bench.mjs [--rounds 5] [--burst-rounds 2] [--bursts 1000,10000] [--quick] …
//   COLLECTOR_BIN=target/release/snowtrack-collector (set by scripts/bench.sh)

import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BENCH_DIR, REPO_ROOT, SNOWPLOW_FUNCTIONS, TRACKER_CONFIG, VARIANT_FILES, buildSite } from './build.mjs';
import { CHROMIUM, CHROMIUM_ARGS, COLLECTOR_BIN, Collector, sleep } from '../tests/e2e/support.mjs';
import { firstEventTimes } from './first-event.mjs';

const require = createRequire(path.join(REPO_ROOT, 'tests/e2e/package.json'));
const { chromium } = require('playwright-core');

const HELP = `usage: node bench/bench.mjs [options]   (scripts/bench.sh passes its arguments here)
  --rounds N          rounds of load + call-cost measurements, A B alternating (default 7; 0: none)
  --calls N           calls per timed synchronous loop (default 300)
  --cold N            calls of each kind timed first on the fresh page (default 20)
  --warmup N          untimed calls of each kind before timing (default 1000, in loops of 100)
  --paced N           events tracked one every --interval ms for the main-thread cost (default 40)
  --interval MS       (default 20)
  --bursts LIST       burst sizes (default 1000,10000)
  --burst-rounds N    rounds of each burst, A B alternating (default 3; 0: none)
  --burst-timeout MS  longest wait for one burst to arrive (default 30000)
  --stall MS          a burst is over when the collector count stops growing this long (default 3000)
  --reflush N         flush again (and wait again) up to N times when a burst stops short (default 1)
  --slow-runs N       runs of the first-event-on-a-slow-phone row per tracker (default 5)
  --trackers LIST     snowtrack,snowplow (default both; ratios need both)
  --quick             --rounds 2 --burst-rounds 1 --paced 20 --calls 200 (under a minute)
  --out FILE          (default bench/results.json)
  --max-minutes M     abort the whole run after M minutes (default 15)
  --max-renderer-mb M end a burst when the renderers' resident memory exceeds M MB (default 3072)
  --markdown          also print the table as Markdown (for README.md)`;

let argv;
let opts;
try {
  ({ values: argv } = parseArgs({
    options: {
      rounds: { type: 'string' },
      calls: { type: 'string' },
      warmup: { type: 'string' },
      cold: { type: 'string' },
      paced: { type: 'string' },
      interval: { type: 'string' },
      bursts: { type: 'string' },
      'burst-rounds': { type: 'string' },
      'burst-timeout': { type: 'string' },
      stall: { type: 'string' },
      trackers: { type: 'string' },
      quick: { type: 'boolean', default: false },
      out: { type: 'string' },
      'max-minutes': { type: 'string' },
      'max-renderer-mb': { type: 'string' },
      'slow-runs': { type: 'string' },
      reflush: { type: 'string' },
      markdown: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
  if (argv.help) {
    console.log(HELP);
    process.exit(0);
  }

  const QUICK = { rounds: 2, 'burst-rounds': 1, paced: 20, calls: 200, 'slow-runs': 2 };
  const DEFAULTS = {
    rounds: 7, calls: 300, warmup: 1000, cold: 20, paced: 40, interval: 20, 'burst-rounds': 3,
    'burst-timeout': 30_000, stall: 3000, 'max-minutes': 15, 'max-renderer-mb': 3072, reflush: 1, 'slow-runs': 5,
  };
  function intOption(name) {
    const raw = argv[name] ?? (argv.quick ? QUICK[name] : undefined) ?? DEFAULTS[name];
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${raw}`);
    return n;
  }
  opts = {
    rounds: intOption('rounds'),
    calls: Math.max(1, intOption('calls')),
    warmup: intOption('warmup'),
    cold: Math.max(1, intOption('cold')),
    paced: Math.max(1, intOption('paced')),
    interval: intOption('interval'),
    bursts: (argv.bursts ?? '1000,10000').split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0),
    burstRounds: intOption('burst-rounds'),
    burstTimeout: intOption('burst-timeout'),
    stall: intOption('stall'),
    trackers: (argv.trackers ?? 'snowtrack,snowplow').split(',').map((s) => s.trim()).filter(Boolean),
    quick: argv.quick,
    out: path.resolve(argv.out ?? path.join(BENCH_DIR, 'results.json')),
    maxMinutes: Math.max(1, intOption('max-minutes')),
    maxRendererMb: Math.max(256, intOption('max-renderer-mb')),
    reflush: intOption('reflush'),
    slowRuns: Math.max(1, intOption('slow-runs')),
  };
  for (const t of opts.trackers) {
    if (t !== 'snowtrack' && t !== 'snowplow') throw new Error(`--trackers: unknown tracker ${t}`);
  }
} catch (err) {
  process.stderr.write(`bench: ${err.message}\n${HELP}\n`);
  process.exit(2);
}

/** Warm-up calls run in loops of at most this many, each delivered before the next. */
const WARMUP_CHUNK = 100;

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

// ---- small helpers ------------------------------------------------------------------------------

const median = (xs) => {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

/** `{median, min, max, n, samples}` of the finite numbers in `xs` (null when there are none). */
function summarize(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  if (!s.length) return null;
  return { median: median(s), min: Math.min(...s), max: Math.max(...s), n: s.length, samples: xs };
}

/** Rejects with `what` timed out after `ms`. */
function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---- the session: one collector, one browser, a fresh context per measurement --------------------

const PAGE_OF = { snowtrack: 'snowtrack.html', 'snowtrack-tag': 'snowtrack-tag.html', snowplow: 'snowplow.html' };
/** Console errors the browser logs for failed requests (not page errors). */
const NETWORK_ERROR = /^Failed to load resource/;

/**
 * A fresh browser context (own cookies, localStorage and HTTP cache) with `variant`'s page open
 * and its tracker created. Returns `{ context, page, cdp, errors, messages, close }`.
 */
async function openVariant(session, variant) {
  const context = await session.browser.newContext();
  const tab = { context, errors: [], messages: [] };
  tab.close = () => withTimeout(context.close(), 15_000, 'closing the browser context').catch(() => {});
  try {
    const page = await context.newPage();
    tab.page = page;
    page.on('pageerror', (err) => tab.errors.push(err.message));
    page.on('console', (msg) => {
      const text = msg.text();
      if (text.startsWith('bench:')) tab.messages.push(text);
      else if ((msg.type() === 'error' && !NETWORK_ERROR.test(text)) || msg.type() === 'warning') tab.errors.push(`console.${msg.type()}: ${text}`);
    });
    tab.cdp = await context.newCDPSession(page);
    await tab.cdp.send('Performance.enable');
    await page.goto(`${session.collector.url}/${PAGE_OF[variant]}`, { timeout: 30_000 });
    await page.waitForFunction(() => window.bench && window.bench.ready, null, { timeout: 30_000, polling: 20 });
    return tab;
  } catch (err) {
    await tab.close();
    throw new Error(`${variant}: the page did not get ready (${err.message})${tab.errors.length ? `; page errors: ${tab.errors.join('; ')}` : ''}`);
  }
}

/** Evaluates `fn(arg)` in the page, bounded by `ms`. */
function evaluate(tab, fn, arg, ms = 60_000, what = 'page.evaluate') {
  return withTimeout(tab.page.evaluate(fn, arg), ms, what);
}

/** The renderer main thread's busy time (s) and the JS heap, from CDP Performance.getMetrics. */
async function mainThread(tab) {
  const { metrics } = await withTimeout(tab.cdp.send('Performance.getMetrics'), 10_000, 'Performance.getMetrics');
  const get = (name) => metrics.find((m) => m.name === name)?.value ?? null;
  return { task: get('TaskDuration'), script: get('ScriptDuration') };
}

/** V8 heap in use after a full GC (bytes), or null when the page does not answer in time. */
async function heapAfterGc(tab) {
  try {
    await withTimeout(tab.cdp.send('HeapProfiler.collectGarbage'), 10_000, 'collectGarbage');
    const { usedSize } = await withTimeout(tab.cdp.send('Runtime.getHeapUsage'), 10_000, 'getHeapUsage');
    return usedSize;
  } catch {
    return null;
  }
}

async function collectorTotal(collector) {
  const { total, good, bad } = await collector.all();
  return { total, good, bad };
}

/**
 * Polls the collector until it has counted `target` events, or (once `settled()` is true) the
 * count has not grown for `stall` ms, or `timeout` ms have passed. Times are epoch ms.
 */
async function waitForCount(collector, target, { timeout, stall = opts.stall, interval = 5, settled = () => true, watch = null }) {
  const started = Date.now();
  let last = await collectorTotal(collector);
  let lastGrowthAt = started;
  let settledAt = settled() ? started : null;
  let watchedAt = 0;
  for (;;) {
    if (last.total >= target) return { ...last, reachedAt: Date.now(), lastGrowthAt, complete: true, timedOut: false };
    const now = Date.now();
    if (watch && now - watchedAt >= 250) {
      watchedAt = now;
      const stop = watch();
      if (stop) return { ...last, reachedAt: null, lastGrowthAt, complete: false, timedOut: false, stopped: stop };
    }
    if (settledAt === null && settled()) settledAt = now;
    if (now - started > timeout) return { ...last, reachedAt: null, lastGrowthAt, complete: false, timedOut: true };
    if (settledAt !== null && now - Math.max(lastGrowthAt, settledAt) > stall) {
      return { ...last, reachedAt: null, lastGrowthAt, complete: false, timedOut: false };
    }
    await sleep(interval);
    const next = await collectorTotal(collector);
    if (next.total > last.total) lastGrowthAt = Date.now();
    last = next;
  }
}

/**
 * Resident memory (bytes) of the browser's renderer processes (descendants of this process with
 * --type=renderer, read from /proc), or null where /proc is not there. A fresh context's page
 * gets its own renderer, and the previous ones are closed, so this follows the page under test
 * (plus a spare renderer of a few tens of MB).
 */
function rendererRss() {
  let pids;
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  const parent = new Map();
  const rss = new Map();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
      parent.set(pid, fields[1]);
      rss.set(pid, Number(fields[21]) * 4096); // field 24: resident pages
    } catch {
      // the process ended meanwhile
    }
  }
  const ours = new Set([String(process.pid)]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parent) {
      if (!ours.has(pid) && ours.has(ppid)) {
        ours.add(pid);
        grew = true;
      }
    }
  }
  let total = 0;
  for (const pid of ours) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) total += rss.get(pid) ?? 0;
    } catch {
      // gone
    }
  }
  return total;
}

/**
 * Errors and warnings the page logged (a tracker under stress may log some: that is a finding,
 * not a reason to stop): the count and the first few distinct messages, also noted on stderr.
 */
const logged = [];
function pageErrors(tab, tracker, what) {
  if (!tab.errors.length) return null;
  const distinct = [...new Set(tab.errors)].slice(0, 5);
  logged.push({ tracker, what, count: tab.errors.length, messages: distinct });
  log(`  ${tracker} ${what}: the page logged ${tab.errors.length} error(s)/warning(s), e.g. ${distinct[0].slice(0, 200)}`);
  return { count: tab.errors.length, messages: distinct };
}

// ---- measurements ---------------------------------------------------------------------------------

/** What the page fetched for its tracker, and when it was ready (in-page times, ms). */
async function loadTimes(tab, variant) {
  const t = await evaluate(tab, () => window.bench.times(), undefined, 10_000, 'times');
  const files = VARIANT_FILES[variant];
  const fetched = t.resources.filter((r) => files.some((f) => r.path === `/${f}`));
  const firstFetch = fetched.length ? Math.min(...fetched.map((r) => r.startTime)) : null;
  return {
    // t0 → t2: the page's script starts loading the tracker → newTracker returned.
    loadInitMs: t.t2 - t.t0,
    loadMs: t.t1 - t.t0,
    newTrackerMs: t.t2 - t.t1,
    readySinceNavigationMs: t.t2,
    firstFetchToReadyMs: firstFetch === null ? null : t.t2 - firstFetch,
    downloadedBytes: fetched.reduce((s, r) => s + r.encodedBodySize, 0),
    resources: t.resources,
  };
}

/**
 * One page of `tracker`: its load + init time, µs per synchronous call of each kind (after a
 * warm-up), and the main-thread time per event when events come one at a time.
 */
async function callCosts(session, tracker) {
  const { collector } = session;
  const tab = await openVariant(session, tracker);
  try {
    const load = await loadTimes(tab, tracker);
    await collector.reset();
    let expected = 0;
    const delivered = async (what) => {
      const r = await waitForCount(collector, expected, { timeout: 60_000, interval: 20 });
      if (!r.complete) log(`${tracker}: ${what}: ${r.total}/${expected} events at the collector (${r.timedOut ? 'timed out' : 'stopped growing'})`);
      return r;
    };
    const loop = (kind, n, what) => evaluate(tab, ([k, c]) => window.bench.loop(k, c), [kind, n], 120_000, what);
    const flush = () => evaluate(tab, () => window.bench.flush(), undefined, 10_000, 'flush');
    // Cold: the first calls on a fresh page (what most pages ever make).
    const cold = {};
    for (const kind of ['selfDescribing', 'pageView']) {
      cold[kind] = ((await loop(kind, opts.cold, `${kind} cold`)) * 1000) / opts.cold;
      expected += opts.cold;
    }
    await flush();
    await delivered('cold calls');
    // Warm-up in chunks, each delivered before the next (a long queue slows some trackers down).
    for (const kind of ['selfDescribing', 'pageView']) {
      for (let done = 0; done < opts.warmup; done += WARMUP_CHUNK) {
        const n = Math.min(WARMUP_CHUNK, opts.warmup - done);
        await loop(kind, n, 'warm-up');
        expected += n;
        await flush();
        await delivered('warm-up');
      }
    }
    const sync = {};
    for (const kind of ['selfDescribing', 'pageView']) {
      const ms = await loop(kind, opts.calls, `${kind} loop`);
      expected += opts.calls;
      await flush();
      await delivered(`${kind} loop`);
      sync[kind] = (ms * 1000) / opts.calls;
    }
    // Paced: the same timers without tracking first, subtracted from each tracked run.
    const pacedRun = async (kind) => {
      const before = await mainThread(tab);
      const ms = opts.paced * opts.interval * 4 + 60_000;
      await evaluate(tab, ([k, n, i]) => window.bench.paced(k, n, i), [kind, opts.paced, opts.interval], ms, 'paced');
      if (kind) {
        expected += opts.paced;
        await delivered(`paced ${kind}`);
      }
      const after = await mainThread(tab);
      return after.task - before.task;
    };
    const idle = await pacedRun(null);
    const paced = {};
    for (const kind of ['selfDescribing', 'pageView']) {
      paced[kind] = (Math.max(0, (await pacedRun(kind)) - idle) * 1e6) / opts.paced;
    }
    return { load, cold, sync, paced, pacedIdleMs: idle * 1000, events: expected, pageErrors: pageErrors(tab, tracker, 'call costs') };
  } finally {
    await tab.close();
  }
}

/** Load + init only (the snowtrack tag path). */
async function loadOnly(session, variant) {
  const tab = await openVariant(session, variant);
  try {
    const load = await loadTimes(tab, variant);
    return { load, pageErrors: pageErrors(tab, variant, 'load') };
  } finally {
    await tab.close();
  }
}

/**
 * A burst of `events` self-describing events tracked in one loop on a fresh page, then the
 * tracker's flush. Timed from the first call to the collector counting them all; when they do
 * not all arrive, until the count stopped growing (or the timeout). Then the memory.
 */
async function burst(session, tracker, events) {
  const { collector } = session;
  const tab = await openVariant(session, tracker);
  try {
    await collector.reset();
    const heapBefore = await heapAfterGc(tab);
    const wasmBefore = await evaluate(tab, () => window.bench.wasmMemory(), undefined, 10_000, 'wasmMemory');
    const before = await mainThread(tab);
    const driverStart = Date.now();
    let settled = false;
    let answer = null;
    let failure = null;
    void tab.page.evaluate((n) => window.bench.burst(n), events).then(
      (r) => { answer = r; },
      (err) => { failure = err; },
    ).finally(() => { settled = true; });
    let crashed = false;
    tab.page.once('crash', () => { crashed = true; });
    // Renderer memory, sampled while the burst runs; over --max-renderer-mb the burst is ended
    // (a tracker whose queue blows up the tab would otherwise take the machine's memory with it).
    const rssBefore = rendererRss();
    let rssPeak = rssBefore;
    const limit = opts.maxRendererMb * 1048576;
    const watch = () => {
      const now = rendererRss();
      if (now === null) return null;
      rssPeak = Math.max(rssPeak ?? 0, now);
      return now > limit ? `renderer memory over ${opts.maxRendererMb} MB` : null;
    };
    const deadline = driverStart + opts.burstTimeout;
    let count = await waitForCount(collector, events, { timeout: opts.burstTimeout, settled: () => settled || crashed, watch });
    // Stopped short with the page responsive: flush again (a tracker may have given up on a
    // request that timed out while its main thread was busy) and keep waiting.
    const flushes = [];
    while (!count.complete && !count.timedOut && !count.stopped && settled && !crashed && !failure
      && flushes.length < opts.reflush && Date.now() < deadline) {
      flushes.push({ at: Date.now() - driverStart, arrivedBefore: count.total });
      log(`  ${tracker}: ${count.total}/${events} at the collector and not growing: flushing again`);
      await evaluate(tab, () => window.bench.flush(), undefined, 10_000, 'flush');
      const lastGrowthAt = count.lastGrowthAt;
      count = await waitForCount(collector, events, { timeout: Math.max(0, deadline - Date.now()), watch });
      if (count.total === flushes.at(-1).arrivedBefore) count.lastGrowthAt = lastGrowthAt;
    }
    if (count.stopped) log(`  ${tracker}: ${count.stopped} after ${int((Date.now() - driverStart) / 1000)} s: ending the burst`);
    // A renderer that crashed (out of memory) is a result too: what arrived is counted.
    if (failure && !crashed && !/Target crashed/.test(failure.message)) throw failure;
    if (failure) crashed = true;
    // The loop's own time, from the console message when the answer is still held up.
    const told = tab.messages.find((m) => m.startsWith('bench:burst-loop '));
    const loop = answer ?? (told ? JSON.parse(told.slice('bench:burst-loop '.length)) : null);
    const startedAt = loop?.startedAt ?? driverStart;
    const endedAt = count.complete ? count.reachedAt : (count.timedOut || count.stopped ? Date.now() : count.lastGrowthAt);
    const blocked = !settled || crashed; // no answer from the page: main thread still busy, or gone
    await sleep(200); // late duplicates, if any
    const ids = await collector.request('/snowtrack/eids');
    const { requests } = await collector.request('/snowtrack/faults');
    let after = null;
    let heapAfter = null;
    let wasmAfter = null;
    if (!blocked) {
      after = await mainThread(tab);
      heapAfter = await heapAfterGc(tab);
      wasmAfter = await evaluate(tab, () => window.bench.wasmMemory(), undefined, 10_000, 'wasmMemory');
    }
    const ms = Math.max(1, endedAt - startedAt);
    return {
      events,
      arrived: ids.distinct,
      received: ids.count,
      bad: count.bad,
      complete: count.complete,
      timedOut: count.timedOut,
      blocked,
      crashed,
      aborted: count.stopped ?? null,
      flushes,
      pageErrors: pageErrors(tab, tracker, `burst ${events}`),
      rendererRssBefore: rssBefore,
      rendererRssPeak: rssPeak,
      rendererRssGrowth: rssBefore === null ? null : Math.max(0, rssPeak - rssBefore),
      ms,
      eventsPerSecond: (ids.distinct * 1000) / ms,
      loopMs: loop?.loopMs ?? null,
      loopUsPerCall: loop ? (loop.loopMs * 1000) / events : null,
      mainThreadMs: after ? (after.task - before.task) * 1000 : null,
      requests,
      heapBefore,
      heapAfter,
      wasmBefore,
      wasmAfter,
    };
  } finally {
    await tab.close();
  }
}

// ---- report ---------------------------------------------------------------------------------------

const int = (n) => Math.round(n).toLocaleString('en-US');
const fixed = (d) => (n) => n.toFixed(d);
const FORMAT = {
  B: (n) => `${int(n)} B`,
  ms: (n) => `${n.toFixed(1)} ms`,
  'µs': (n) => `${n.toFixed(1)} µs`,
  'events/s': (n) => `${int(n)}/s`,
  events: (n) => int(n),
  MB: (n) => `${(n / 1048576).toFixed(2)} MB`,
  requests: (n) => int(n),
};

/** A table cell: the median, with [min–max] when there are several samples. */
function cell(stat, unit) {
  if (stat === null || stat === undefined) return '—';
  const f = FORMAT[unit] ?? fixed(1);
  if (typeof stat === 'number') return f(stat);
  if (stat.n <= 1 || stat.min === stat.max) return f(stat.median);
  const bare = (n) => f(n).replace(/ (B|ms|µs|MB)$/, '').replace(/\/s$/, '');
  return `${f(stat.median)} [${bare(stat.min)}–${bare(stat.max)}]`;
}

const value = (stat) => (stat === null || stat === undefined ? null : typeof stat === 'number' ? stat : stat.median);

/** The rows of the table: [label, unit, snowtrack stat, Snowplow stat, 'lower' | 'higher' is better]. */
function rows(summary) {
  const s = summary;
  const out = [];
  const add = (label, unit, st, sp, better) => out.push({ label, unit, snowtrack: st ?? null, snowplow: sp ?? null, better });
  const sz = s.sizes;
  add('download, npm + esbuild: gzip -9', 'B', sz.snowtrackNpm.total.gzip, sz.snowplow.total.gzip, 'lower');
  add('download, npm + esbuild: brotli 11', 'B', sz.snowtrackNpm.total.brotli, sz.snowplow.total.brotli, 'lower');
  add('download, tag path: gzip -9', 'B', sz.snowtrackTag.total.gzip, sz.snowplow.total.gzip, 'lower');
  add('download, tag path: brotli 11', 'B', sz.snowtrackTag.total.brotli, sz.snowplow.total.brotli, 'lower');
  add('load + init, npm + esbuild (script → ready)', 'ms', s.load.snowtrack?.loadInitMs, s.load.snowplow?.loadInitMs, 'lower');
  add('load + init, tag path (tag → ready)', 'ms', s.load['snowtrack-tag']?.loadInitMs, s.load.snowplow?.loadInitMs, 'lower');
  add('newTracker alone (npm path)', 'ms', s.load.snowtrack?.newTrackerMs, s.load.snowplow?.newTrackerMs, 'lower');
  add('tracker ready since navigation start (npm path)', 'ms', s.load.snowtrack?.readySinceNavigationMs, s.load.snowplow?.readySinceNavigationMs, 'lower');
  add('first event request since navigation, slow phone (tag path vs sync bundle)', 'ms', s.firstEvent?.snowtrack, s.firstEvent?.snowplow, 'lower');
  add(`trackSelfDescribingEvent, per call (first ${opts.cold}, cold)`, 'µs', s.cold.snowtrack?.selfDescribing, s.cold.snowplow?.selfDescribing, 'lower');
  add(`trackPageView, per call (first ${opts.cold}, cold)`, 'µs', s.cold.snowtrack?.pageView, s.cold.snowplow?.pageView, 'lower');
  add('trackSelfDescribingEvent, per call (sync, warm)', 'µs', s.sync.snowtrack?.selfDescribing, s.sync.snowplow?.selfDescribing, 'lower');
  add('trackPageView, per call (sync, warm)', 'µs', s.sync.snowtrack?.pageView, s.sync.snowplow?.pageView, 'lower');
  add('main thread per self-describing event, paced', 'µs', s.paced.snowtrack?.selfDescribing, s.paced.snowplow?.selfDescribing, 'lower');
  add('main thread per page view, paced', 'µs', s.paced.snowtrack?.pageView, s.paced.snowplow?.pageView, 'lower');
  for (const n of opts.bursts) {
    const b = s.bursts[n] ?? {};
    const label = `burst ${int(n)}`;
    add(`${label}: end to end`, 'events/s', b.snowtrack?.eventsPerSecond, b.snowplow?.eventsPerSecond, 'higher');
    add(`${label}: arrived (distinct eids)`, 'events', b.snowtrack?.arrived, b.snowplow?.arrived, 'higher');
    add(`${label}: tracking loop, per call (cold page)`, 'µs', b.snowtrack?.loopUsPerCall, b.snowplow?.loopUsPerCall, 'lower');
    add(`${label}: main thread busy, whole burst`, 'ms', b.snowtrack?.mainThreadMs, b.snowplow?.mainThreadMs, 'lower');
    add(`${label}: JS heap after (after GC)`, 'MB', b.snowtrack?.heapAfter, b.snowplow?.heapAfter, 'lower');
    add(`${label}: wasm memory after`, 'MB', b.snowtrack?.wasmAfter, b.snowplow?.wasmAfter, null);
    add(`${label}: JS heap + wasm memory`, 'MB', b.snowtrack?.memoryAfter, b.snowplow?.memoryAfter, 'lower');
    add(`${label}: renderer memory growth (RSS peak)`, 'MB', b.snowtrack?.rendererRssGrowth, b.snowplow?.rendererRssGrowth, 'lower');
    add(`${label}: requests`, 'requests', b.snowtrack?.requests, b.snowplow?.requests, null);
  }
  return out;
}

function ratioOf(row) {
  const a = value(row.snowtrack);
  const b = value(row.snowplow);
  if (a === null || b === null || (a === 0 && b === 0)) return null;
  if (b === 0) return row.better ? Infinity : null; // e.g. Snowplow has no wasm memory
  return a / b;
}

function ratioText(ratio) {
  if (ratio === null) return '—';
  if (ratio === Infinity) return '∞';
  return `${ratio >= 100 ? int(ratio) : ratio.toFixed(ratio >= 10 ? 1 : 2)}×`;
}

function table(tableRows) {
  const head = ['', 'snowtrack', 'Snowplow', 'snowtrack/Snowplow', 'ahead'];
  const lines = tableRows.map((r) => {
    const ratio = ratioOf(r);
    const a = value(r.snowtrack);
    const b = value(r.snowplow);
    let ahead = '';
    if (a !== null && b !== null && r.better) {
      if (a === b) ahead = '=';
      else ahead = (r.better === 'lower' ? a < b : a > b) ? 'yes' : 'no';
    }
    return [r.label, cell(r.snowtrack, r.unit), cell(r.snowplow, r.unit), ratioText(ratio), ahead];
  });
  const all = [head, ...lines];
  const widths = head.map((_, c) => Math.max(...all.map((row) => [...row[c]].length)));
  const pad = (text, w, right) => (right ? text.padStart(w + text.length - [...text].length) : text.padEnd(w + text.length - [...text].length));
  const fmt = (row) => row.map((c, i) => pad(c, widths[i], i > 0 && i < 4)).join('  ').trimEnd();
  return [fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

/** Markdown version of the same table (for README's Performance section). */
function markdown(tableRows) {
  const lines = ['| | snowtrack | Snowplow | snowtrack/Snowplow |', '|---|---:|---:|---:|'];
  for (const r of tableRows) {
    const ratio = ratioOf(r);
    lines.push(`| ${r.label.trim()} | ${cell(r.snowtrack, r.unit)} | ${cell(r.snowplow, r.unit)} | ${ratioText(ratio)} |`);
  }
  return `${lines.join('\n')}\n\n${DOWNLOAD_SCOPE}`;
}

/** What the download rows include on each side. */
const DOWNLOAD_SCOPE = 'Download rows: snowtrack is its whole module (every method: activity tracking, link clicks, '
  + `SPA setters, screen views and engagement, getters); Snowplow is an esbuild bundle of ${SNOWPLOW_FUNCTIONS.join('; ')}.`;

// ---- main -----------------------------------------------------------------------------------------

/** Resources to release on exit, in order; each runs once. */
const cleanups = [];
let cleaning = null;
function cleanup() {
  if (!cleaning) {
    cleaning = (async () => {
      for (const fn of cleanups.reverse()) {
        try {
          await withTimeout(Promise.resolve().then(fn), 20_000, 'cleanup');
        } catch (err) {
          log(`cleanup: ${err.message}`);
        }
      }
    })();
  }
  return cleaning;
}
/**
 * Last resort, synchronous, whoever ends the process (a signal, playwright-core's own SIGINT
 * handler, the watchdog): the collector is killed and the site directory removed.
 */
const onExit = [];
process.on('exit', () => {
  for (const fn of onExit) {
    try {
      fn();
    } catch {
      // exiting anyway
    }
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    cleanup().finally(() => process.exit(130));
  });
}

async function main() {
  const started = Date.now();
  const watchdog = setTimeout(() => {
    log(`still running after ${opts.maxMinutes} min (--max-minutes): aborting`);
    cleanup().finally(() => process.exit(2));
  }, opts.maxMinutes * 60_000);
  watchdog.unref();

  const loadBefore = os.loadavg();
  log('building the pages (esbuild bundles of both trackers)');
  const site = await buildSite();
  cleanups.push(() => rmSync(site.dir, { recursive: true, force: true }));
  onExit.push(() => rmSync(site.dir, { recursive: true, force: true }));
  if (!site.npmMatchesPkgWeb) log('warning: pkg/npm is older than pkg/web (run scripts/package.sh --no-pack)');
  const collector = await Collector.start({ staticDir: site.site, args: ['--quiet', '--max-events', '200000'] });
  cleanups.push(() => collector.stop());
  onExit.push(() => {
    if (collector.child.exitCode === null && collector.child.signalCode === null) collector.child.kill('SIGKILL');
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  cleanups.push(() => browser.close());
  const session = { browser, collector };
  const trackers = opts.trackers;
  const raw = { calls: Object.fromEntries(trackers.map((t) => [t, []])), tagLoad: [], bursts: {} };

  // Load + call costs: A B (+ the snowtrack tag page) per round, a fresh context each time.
  for (let round = 0; round < opts.rounds; round += 1) {
    for (const tracker of trackers) {
      log(`round ${round + 1}/${opts.rounds}: ${tracker} load + call costs`);
      raw.calls[tracker].push(await callCosts(session, tracker));
    }
    if (trackers.includes('snowtrack')) raw.tagLoad.push(await loadOnly(session, 'snowtrack-tag'));
  }
  // Bursts: A B per round and size.
  for (const n of opts.bursts) raw.bursts[n] = Object.fromEntries(trackers.map((t) => [t, []]));
  for (let round = 0; round < opts.burstRounds; round += 1) {
    for (const n of opts.bursts) {
      for (const tracker of trackers) {
        log(`burst round ${round + 1}/${opts.burstRounds}: ${tracker} ${int(n)} events`);
        const r = await burst(session, tracker, n);
        log(`  ${r.arrived}/${n} arrived in ${int(r.ms)} ms${r.complete ? '' : r.timedOut ? ' (timed out)' : r.aborted ? ` (ended: ${r.aborted})` : ' (stopped growing)'}`
          + `${r.crashed ? ', the page crashed' : r.blocked ? ', page main thread still busy' : ''}`);
        raw.bursts[n][tracker].push(r);
      }
    }
  }
  // The first event on a throttled slow phone: tag path against Snowplow's synchronous bundle.
  raw.firstEvent = opts.trackers.length === 2 ? await firstEventTimes(browser, site.site, opts.slowRuns, log) : null;
  const chromiumVersion = browser.version();
  await cleanup();
  clearTimeout(watchdog);

  // Summaries: medians and ranges over rounds.
  const pick = (list, f) => summarize(list.map(f));
  const summary = { sizes: site.sizes, load: {}, cold: {}, sync: {}, paced: {}, bursts: {} };
  summary.firstEvent = raw.firstEvent && {
    snowtrack: summarize(raw.firstEvent.snowtrack),
    snowplow: summarize(raw.firstEvent.snowplow),
  };
  for (const t of trackers) {
    const list = raw.calls[t];
    const loadKeys = ['loadInitMs', 'loadMs', 'newTrackerMs', 'readySinceNavigationMs', 'firstFetchToReadyMs', 'downloadedBytes'];
    summary.load[t] = Object.fromEntries(loadKeys.map((k) => [k, pick(list, (r) => r.load[k])]));
    summary.cold[t] = { selfDescribing: pick(list, (r) => r.cold.selfDescribing), pageView: pick(list, (r) => r.cold.pageView) };
    summary.sync[t] = { selfDescribing: pick(list, (r) => r.sync.selfDescribing), pageView: pick(list, (r) => r.sync.pageView) };
    summary.paced[t] = { selfDescribing: pick(list, (r) => r.paced.selfDescribing), pageView: pick(list, (r) => r.paced.pageView) };
  }
  if (raw.tagLoad.length) {
    summary.load['snowtrack-tag'] = Object.fromEntries(['loadInitMs', 'loadMs', 'newTrackerMs', 'readySinceNavigationMs', 'firstFetchToReadyMs', 'downloadedBytes']
      .map((k) => [k, pick(raw.tagLoad, (r) => r.load[k])]));
  }
  for (const n of opts.bursts) {
    summary.bursts[n] = {};
    for (const t of trackers) {
      const list = raw.bursts[n][t];
      if (!list.length) continue;
      const keys = ['eventsPerSecond', 'arrived', 'ms', 'loopUsPerCall', 'mainThreadMs', 'requests', 'heapBefore', 'heapAfter', 'wasmAfter',
        'rendererRssBefore', 'rendererRssPeak', 'rendererRssGrowth'];
      summary.bursts[n][t] = Object.fromEntries(keys.map((k) => [k, pick(list, (r) => r[k])]));
      summary.bursts[n][t].memoryAfter = pick(list, (r) => (r.heapAfter === null ? null : r.heapAfter + (r.wasmAfter ?? 0)));
      summary.bursts[n][t].complete = list.filter((r) => r.complete).length;
      summary.bursts[n][t].timedOut = list.filter((r) => r.timedOut).length;
      summary.bursts[n][t].crashed = list.filter((r) => r.crashed).length;
      summary.bursts[n][t].aborted = list.filter((r) => r.aborted).length;
      summary.bursts[n][t].rounds = list.length;
    }
  }

  // What the pages fetched (resource timing) should be exactly the files whose sizes are reported.
  const expectBytes = { snowtrack: site.sizes.snowtrackNpm, 'snowtrack-tag': site.sizes.snowtrackTag, snowplow: site.sizes.snowplow };
  for (const [variant, stats] of Object.entries(summary.load)) {
    const fetched = stats.downloadedBytes?.median;
    const files = expectBytes[variant].files.filter((f) => !f.name.includes('inline'));
    const built = files.reduce((sum, f) => sum + f.raw, 0);
    if (fetched !== undefined && fetched !== built) log(`warning: the ${variant} page fetched ${fetched} B of tracker files, the reported files are ${built} B`);
  }

  // size-budget.txt: `npm <bytes>` and `tag <bytes>` lines (gzip -9), as `make size` reads them.
  const budgetFile = path.join(REPO_ROOT, 'size-budget.txt');
  const budgets = Object.fromEntries(readFileSync(budgetFile, 'utf8').split('\n')
    .map((l) => l.replace(/#.*/, '').trim().split(/\s+/)).filter(([name, bytes]) => name && bytes)
    .map(([name, bytes]) => [name, Number(bytes)]));
  const downloads = { npm: site.sizes.snowtrackNpm.total, tag: site.sizes.snowtrackTag.total };
  const tableRows = rows(summary);
  const report = {
    generatedAt: new Date().toISOString(),
    command: `scripts/bench.sh ${process.argv.slice(2).join(' ')}`.trim(),
    durationS: (Date.now() - started) / 1000,
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadBefore, loadAfter: os.loadavg(), node: process.version },
    chromium: chromiumVersion,
    versions: site.versions,
    collector: path.relative(REPO_ROOT, COLLECTOR_BIN),
    options: opts,
    trackerConfig: TRACKER_CONFIG,
    snowplowFunctions: SNOWPLOW_FUNCTIONS,
    sizeBudget: {
      file: 'size-budget.txt',
      budgets,
      downloads,
      underBudget: Object.entries(downloads).every(([name, d]) => d.gzip <= (budgets[name] ?? Infinity)),
      issueTargets: { npm: 40_000, tag: 60_000 },
    },
    pageErrors: logged,
    table: tableRows.map((r) => ({ ...r, ratio: ratioOf(r) === Infinity ? 'Infinity' : ratioOf(r) })),
    markdown: markdown(tableRows),
    summary,
    raw,
  };
  writeFileSync(opts.out, `${JSON.stringify(report, null, 2)}\n`);

  console.log(table(tableRows));
  console.log(DOWNLOAD_SCOPE);
  console.log('');
  console.log(`Medians of ${opts.rounds} rounds (load, per call: ${opts.cold} cold calls, then ${opts.calls} per loop after ${opts.warmup} warm-up calls; `
    + `paced: ${opts.paced} events ${opts.interval} ms apart) and ${opts.burstRounds} burst rounds, [min–max]; A B alternating, `
    + 'a fresh browser context each.');
  for (const n of opts.bursts) {
    const sp = summary.bursts[n]?.snowplow;
    const st = summary.bursts[n]?.snowtrack;
    for (const [name, b] of [['snowtrack', st], ['Snowplow', sp]]) {
      if (b && b.complete < b.rounds) {
        console.log(`burst ${int(n)}: ${name} did not deliver all events in ${b.rounds - b.complete} of ${b.rounds} rounds`
          + `${b.timedOut ? ` (${b.timedOut} hit --burst-timeout ${opts.burstTimeout} ms)` : ''}`
          + `${b.crashed ? ` (the page crashed in ${b.crashed})` : ''}`
          + `${b.aborted ? ` (ended in ${b.aborted}: renderer memory over --max-renderer-mb ${opts.maxRendererMb})` : ''}.`);
      }
    }
  }
  for (const l of logged) {
    console.log(`${l.tracker}, ${l.what}: the page logged ${l.count} error(s)/warning(s), e.g. "${l.messages[0].slice(0, 160)}"`);
  }
  // The bench's pages use the full build on both paths (every method the Snowplow bundle has),
  // so their downloads are not `make size`'s pages: the budgets are only quoted here.
  console.log(`Size budgets (size-budget.txt, checked by \`make size\` on its own pages: the npm one is the core `
    + `build's): ${Object.keys(downloads).map((name) => `${name} ${int(budgets[name])} B gzip -9`).join(', ')}; `
    + 'the download rows above are the full build on both paths; issue 19 targets npm ≤ 40,000 B, tag ≤ 60,000 B.');
  console.log(`snowtrack ${site.versions.snowtrack}, @snowplow/browser-tracker ${site.versions.snowplow} (esbuild ${site.versions.esbuild}: `
    + `${SNOWPLOW_FUNCTIONS.join('; ')}); Chromium ${chromiumVersion}; ${report.machine.cpus} CPUs (${report.machine.cpu}), `
    + `load ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${report.machine.loadAfter.map((l) => l.toFixed(2)).join(' ')} after; `
    + `${Math.round(report.durationS)} s; results in ${path.relative(process.cwd(), opts.out)}`);
  if (argv.markdown) console.log(`\n${markdown(tableRows)}`);
}

try {
  await main();
} catch (err) {
  log(`failed: ${err.stack ?? err}`);
  await cleanup();
  process.exit(1);
}
