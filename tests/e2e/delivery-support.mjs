// Helpers for the delivery tests (delivery.test.mjs): a collector on a fixed port that can be
// stopped and restarted, the collector's snowtrack-only test API (fault injection and event ids),
// and a tracker whose delivery callbacks are recorded in the page.

import { rm } from 'node:fs/promises';
import net from 'node:net';
import { Collector, FIXTURE_DIR, launchBrowser, makeSite, openPage, waitFor } from './support.mjs';

/** Arguments every delivery test gives the collector: no per-event lines, room for big bursts. */
export const COLLECTOR_ARGS = ['--quiet', '--max-events', '200000'];

/** Console errors Chromium logs for failed requests (the faults the tests inject). */
const EXPECTED_NETWORK_ERROR = /^Failed to load resource: (net::ERR_|the server responded with a status of)/;

/** A TCP port free on 127.0.0.1 right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts a collector serving `site` on `port` (the collector takes the last `--port`). */
export function startCollector(site, port, args = COLLECTOR_ARGS) {
  return Collector.start({ staticDir: site, args: [...args, ...(port ? ['--port', String(port)] : [])] });
}

/**
 * Like support.mjs's `setup`, but on a fixed free port and with the site directory returned, so
 * the collector can be stopped and started again at the same URL (`restart()`); also gives a
 * `newPage()` in the same browser context.
 */
export async function deliverySetup(t, { args = COLLECTOR_ARGS } = {}) {
  const site = await makeSite(FIXTURE_DIR);
  t.after(() => rm(site, { recursive: true, force: true }));
  const port = await freePort();
  const env = { site, port, pageErrors: [] };
  env.collector = await startCollector(site, port, args);
  t.after(() => env.collector.stop());
  /** Stops the collector and starts it again on the same port (with other arguments if given). */
  env.restart = async ({ args: restartArgs = args } = {}) => {
    await env.collector.stop();
    env.collector = await startCollector(site, port, restartArgs);
    return env.collector;
  };
  const browser = await launchBrowser(t);
  env.browser = browser;
  env.context = await browser.newContext();
  env.newPage = async () => {
    const page = await env.context.newPage();
    page.on('pageerror', (err) => env.pageErrors.push(err.message));
    page.on('console', (msg) => {
      // The browser logs every refused request and error status; the tests cause those on purpose.
      if (msg.type() === 'error' && !EXPECTED_NETWORK_ERROR.test(msg.text())) env.pageErrors.push(msg.text());
    });
    return page;
  };
  env.page = await env.newPage();
  return env;
}

// ---- the collector's snowtrack-only test API ---------------------------------------------------

/** `POST /snowtrack/faults`: puts `spec` in force; returns the fault report. */
export function setFault(collector, spec) {
  return collector.request('/snowtrack/faults', spec);
}

/** `DELETE /snowtrack/faults`: ends the fault in force; returns the report (counters, log). */
export async function clearFaults(collector) {
  const response = await fetch(`${collector.url}/snowtrack/faults`, { method: 'DELETE' });
  if (!response.ok) throw new Error(`DELETE /snowtrack/faults: HTTP ${response.status}`);
  return response.json();
}

/** `GET /snowtrack/faults`: `{active, requests, refused, delayed, log: [{atMs, method, path, status}]}`. */
export function faultReport(collector) {
  return collector.request('/snowtrack/faults');
}

/** `GET /snowtrack/eids`: `{count, distinct, eids}` of the events the collector holds. */
export function eventIds(collector) {
  return collector.request('/snowtrack/eids');
}

/**
 * Waits until the collector holds at least `distinct` distinct event ids and the count has not
 * changed for `settle` ms (late duplicates show up too); returns `{count, distinct, eids}`.
 */
export async function waitForEids(collector, distinct, { timeout = 30_000, settle = 500 } = {}) {
  let last;
  try {
    await waitFor(async () => {
      last = await eventIds(collector);
      return last.distinct >= distinct;
    }, { timeout, interval: 200, message: `${distinct} distinct eids at ${collector.url}` });
  } catch (err) {
    err.message += ` (${last?.distinct} arrived, ${last?.count} events)`;
    throw err;
  }
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, settle));
    const now = await eventIds(collector);
    if (now.count === last.count) return now;
    last = now;
  }
}

/**
 * The good events at `collector` (oldest first) once there are at least `atLeast` and their
 * number has not changed for 2 s (late duplicates show up too).
 */
export async function settledGood(collector, atLeast) {
  let last = -1;
  let good = [];
  await waitFor(async () => {
    good = await collector.good();
    const stable = good.length === last && good.length >= atLeast;
    last = good.length;
    return stable;
  }, { timeout: 60_000, interval: 2000, message: `at least ${atLeast} events, then no more` });
  return good;
}

/** `eids` with each id counted: `Map<eid, n>`. */
export function countEids(eids) {
  const counts = new Map();
  for (const eid of eids) counts.set(eid, (counts.get(eid) ?? 0) + 1);
  return counts;
}

// ---- the tracker in the page --------------------------------------------------------------------

/** Opens the fixture page and, optionally, makes `localStorage.setItem` throw before any tracker starts. */
export async function openFixture(page, collector, { storageThrows = false } = {}) {
  await openPage(page, collector);
  if (storageThrows) {
    await page.evaluate(() => {
      Storage.prototype.setItem = function setItem() {
        throw new DOMException('setItem refused by the test', 'QuotaExceededError');
      };
    });
  }
}

/**
 * Creates `window.tracker` (namespace `sp`, posting to the page's origin) with `config`, recording
 * every delivery callback with its time in `window.delivery`: `{success, failure, dropped}`.
 */
export function createRecordingTracker(page, config = {}) {
  return page.evaluate((extra) => {
    const delivery = { success: [], failure: [], dropped: [] };
    window.delivery = delivery;
    const record = (list) => (report) => list.push({ ...report, at: Date.now() });
    window.tracker = window.snowtrack.newTracker('sp', window.location.origin, {
      appId: 'e2e-delivery',
      contexts: { session: true, webPage: true },
      // These tests count their own events exactly; a closing page's application_background
      // event is the lifecycle tests' business (lifecycle.test.mjs).
      lifecycleAutotracking: false,
      onRequestSuccess: record(delivery.success),
      onRequestFailure: record(delivery.failure),
      onEventDropped: record(delivery.dropped),
      ...extra,
    });
  }, config);
}

/**
 * Tracks `count` self-describing events in the page, `chunk` per task (the page stays responsive
 * between chunks); returns the ms spent.
 */
export function trackMany(page, count, { chunk = count, label = 'e' } = {}) {
  return page.evaluate(async ({ count, chunk, label }) => {
    const start = performance.now();
    for (let i = 0; i < count; i += 1) {
      window.tracker.trackSelfDescribingEvent({
        event: {
          schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1',
          data: { targetUrl: `https://example.com/${label}/${i}` },
        },
      });
      if ((i + 1) % chunk === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return performance.now() - start;
  }, { count, chunk, label });
}

/** `tracker.getDeliveryStats()`. */
export function deliveryStats(page) {
  return page.evaluate(() => window.tracker.getDeliveryStats());
}

/** The recorded delivery callbacks (`window.delivery`). */
export function deliveryReports(page) {
  return page.evaluate(() => window.delivery);
}

/** How many events the queue keys (`snowtrack.q.*`, one chunk of events per line each) hold. */
export function persistedEvents(page) {
  return page.evaluate(() => Object.keys(localStorage)
    .filter((k) => k.startsWith('snowtrack.q.'))
    .reduce((n, k) => n + localStorage.getItem(k).split('\n').filter(Boolean).length, 0));
}
