// Activity tracking (page pings) in headless Chromium with real input (Playwright's mouse and
// wheel), against the real collector: pings with the right scroll extents, none without
// activity, no crossing into wasm per DOM event, and the same ping fields as
// @snowplow/browser-tracker's activity tracking running beside snowtrack on one page.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCHEMAS, entity, kind, openPage, setup, sleep, waitFor } from './support.mjs';
import { bundleBrowserTracker, html, tempDir, writeTree } from './package-support.mjs';

const TIMEOUT = { timeout: 90_000 };

/** A page 4000 px wide and 6000 px tall loading pkg/web as window.snowtrack (as the fixture does). */
const LONG_PAGE = html({
  title: 'long page',
  head: '<link rel="icon" href="data:,"><style>body { margin: 0; width: 4000px; height: 6000px; } a { display: block; margin: 40px; }</style>',
  body: `<a id="docs" href="/elsewhere.html">docs</a>
<script type="module">
  import init, * as snowtrack from './pkg/snowtrack.js';
  await init();
  window.snowtrack = snowtrack;
  document.body.dataset.ready = 'true';
</script>`,
});

/**
 * Counts the calls from JS into the wasm module (init script): `window.wasmCalls` counts every
 * call of an export; `window.wasmEntries` lists the calls into the tracker's code from outside
 * the module: not nested in another call (as the glue's allocations during a call into JS are),
 * and not wasm-bindgen's own bookkeeping (`__wbindgen_*`: allocation, freeing a one-shot
 * closure after it ran).
 */
function countWasmCalls() {
  const { instantiateStreaming } = WebAssembly;
  window.wasmCalls = 0;
  window.wasmEntries = [];
  let depth = 0;
  WebAssembly.instantiateStreaming = async (...args) => {
    const { module, instance } = await instantiateStreaming.apply(WebAssembly, args);
    const exports = {};
    for (const [name, value] of Object.entries(instance.exports)) {
      exports[name] = typeof value === 'function'
        ? (...a) => {
          window.wasmCalls += 1;
          if (depth === 0 && !name.startsWith('__wbindgen_')) window.wasmEntries.push({ name, at: performance.now() });
          depth += 1;
          try {
            return value(...a);
          } finally {
            depth -= 1;
          }
        }
        : value;
    }
    return { module, instance: { exports } };
  };
}

async function longPageSetup(t, extra = {}) {
  const dir = await tempDir(t);
  await writeTree(dir, { 'index.html': LONG_PAGE, ...extra });
  const s = await setup(t, { siteDir: dir, contextOptions: { viewport: { width: 800, height: 600 } } });
  return s;
}

/** Scrolls with the wheel by (dx, dy) at the mouse position and waits until the page stops moving. */
async function wheel(page, dx, dy) {
  await page.mouse.wheel(dx, dy);
  let last = '';
  await waitFor(async () => {
    const now = await page.evaluate(() => `${scrollX},${scrollY}`);
    const still = now === last;
    last = now;
    return still;
  }, { interval: 120, message: 'the scroll to settle' });
  return page.evaluate(() => [scrollX, scrollY]);
}

const offsets = (ping) => [ping.event.pp_xoffset_min, ping.event.pp_xoffset_max, ping.event.pp_yoffset_min, ping.event.pp_yoffset_max];

test('real mouse moves and wheel scrolls give pings with the scroll extents since the last ping', TIMEOUT, async (t) => {
  const { collector, page, pageErrors } = await longPageSetup(t);
  await openPage(page, collector);
  await page.mouse.move(400, 300);
  const started = await page.evaluate(() => {
    window.tracker = window.snowtrack.newTracker('sp', location.origin, { appId: 'pings' });
    window.tracker.enableActivityTracking({ minimumVisitLength: 3, heartbeatDelay: 3 });
    window.tracker.trackPageView();
    return Date.now();
  });
  // First window: down 900, back up 300.
  const [, down] = await wheel(page, 0, 900);
  const [, up] = await wheel(page, 0, -300);
  assert.ok(down > 300 && up === down - 300, `scrolled to ${down} then ${up}`);
  const [pageView, first] = await collector.waitForGood(2, { timeout: 8_000 });
  assert.equal(kind(pageView), 'page_view');
  assert.equal(kind(first), 'page_ping');
  assert.ok(Date.parse(first.event.dvce_created_tstamp) - started >= 2_900, 'after the minimum visit length');
  assert.deepEqual(offsets(first), [null, null, null, down], 'x 0 and y min 0 are left out (0 is not sent)');
  // Second window: right 250, down 500, from where the first ping was.
  const [right, further] = await wheel(page, 250, 500);
  const second = (await collector.waitForGood(3, { timeout: 8_000 }))[2];
  assert.deepEqual(offsets(second), [null, right, up, further].map((v) => v || null));
  // A window without activity: no ping.
  await sleep(3_500);
  assert.equal((await collector.good()).length, 3, 'no activity, no ping');
  await page.mouse.move(200, 200);
  const third = (await collector.waitForGood(4, { timeout: 8_000 }))[3];
  assert.deepEqual(offsets(third), [right, right, further, further], 'no scroll: the position');

  const pvId = entity(pageView, SCHEMAS.webPage).id;
  for (const ping of [first, second, third]) {
    assert.equal(entity(ping, SCHEMAS.webPage).id, pvId, 'the page view they belong to');
    assert.equal(ping.event.page_url, pageView.event.page_url);
    assert.equal(ping.event.page_title, 'long page');
  }
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(pageErrors, []);
});

test('no ping while the page is hidden; activity resumes them once it is visible', TIMEOUT, async (t) => {
  const { collector, page } = await longPageSetup(t);
  await openPage(page, collector);
  await page.evaluate(() => {
    window.tracker = window.snowtrack.newTracker('sp', location.origin, { appId: 'hidden', lifecycleAutotracking: false });
    window.tracker.enableActivityTracking({ minimumVisitLength: 0, heartbeatDelay: 1 });
    window.tracker.trackPageView();
  });
  await page.mouse.move(100, 100);
  await collector.waitForGood(2, { timeout: 5_000 }); // page view, ping
  const setHidden = (hidden) => page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { get: () => h, configurable: true });
    Object.defineProperty(document, 'visibilityState', { get: () => (h ? 'hidden' : 'visible'), configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  await page.mouse.move(150, 150);
  await setHidden(true);
  await page.evaluate(() => { window.tracker.updatePageActivity(); window.scrollTo(0, 500); });
  await sleep(2_500);
  assert.equal((await collector.good()).filter((g) => kind(g) === 'page_ping').length, 1, 'no ping while hidden');
  await setHidden(false);
  await sleep(1_500);
  assert.equal((await collector.good()).filter((g) => kind(g) === 'page_ping').length, 1, 'activity while hidden does not count');
  await page.mouse.move(120, 120);
  await waitFor(async () => (await collector.good()).filter((g) => kind(g) === 'page_ping').length === 2,
    { timeout: 5_000, message: 'a ping after new activity' });
});

test('mouse moves, scrolls, keys and touches cost no call into wasm; pings cost one, a link\'s mousedown and mouseup one each', TIMEOUT, async (t) => {
  const dir = await tempDir(t);
  await writeTree(dir, { 'index.html': LONG_PAGE });
  const { collector, context, page } = await setup(t, { siteDir: dir });
  await context.addInitScript(countWasmCalls);
  await openPage(page, collector);
  await page.evaluate(() => {
    window.tracker = window.snowtrack.newTracker('sp', location.origin, { appId: 'calls', screenEngagementScroll: false, lifecycleAutotracking: false });
    window.tracker.enableActivityTracking({ minimumVisitLength: 30, heartbeatDelay: 30 });
    window.tracker.enableLinkClickTracking({ pseudoClicks: true });
    window.tracker.trackPageView();
    // The link stays on this page when clicked (the tracker's listeners still see the click).
    document.getElementById('docs').addEventListener('click', (event) => event.preventDefault());
  });
  await collector.waitForGood(1);
  await sleep(500); // the page view's delivery is over
  const before = await page.evaluate(() => window.wasmCalls);
  assert.ok(before > 0, 'the counter sees the module');
  await page.mouse.move(10, 10);
  await page.mouse.move(700, 500, { steps: 200 });
  for (let i = 0; i < 10; i += 1) await page.mouse.wheel(0, 120);
  await page.keyboard.press('ArrowDown');
  await page.keyboard.type('hello');
  await page.mouse.click(700, 500); // not on a link
  await sleep(300);
  assert.equal(await page.evaluate(() => window.wasmCalls), before, 'no crossing for 200 moves, 10 wheels, keys, a click');

  /**
   * The calls into wasm from outside while `act` runs and until `events` good events have
   * arrived and 500 ms passed, in bursts (calls less than 150 ms apart): one call and what it
   * caused. The module's own periodic timers (looking for a closed tab's events every 10 s) are
   * bursts of one call of their own.
   */
  const burstsDuring = async (act, events) => {
    await page.evaluate(() => { window.wasmEntries = []; });
    await act();
    if (events) await collector.waitForGood(events, { settle: 500 });
    const entries = await page.evaluate(() => window.wasmEntries);
    const bursts = [];
    entries.forEach((e, i) => {
      if (i === 0 || e.at - entries[i - 1].at > 150) bursts.push([]);
      bursts.at(-1).push(e.name.replace(/^wasm_bindgen__convert__closures_____/, ''));
    });
    return bursts;
  };
  /** The one burst bigger than a lone timer call (asserted), or the biggest. */
  const main = (bursts) => {
    const sorted = [...bursts].sort((a, b) => b.length - a.length);
    assert.ok(sorted.slice(1).every((b) => b.length === 1), `one burst of work, the rest lone timer calls: ${JSON.stringify(bursts)}`);
    return sorted[0] ?? [];
  };
  // What tracking one event costs when JS calls the tracker: one call, plus its delivery.
  const byHand = main(await burstsDuring(() => page.evaluate(() => window.tracker.trackLinkClick({ targetUrl: 'https://example.com/by-hand' })), 2));
  const delivery = byHand.length - 1;
  assert.ok(delivery >= 1, `the delivery of an event calls the module (${byHand.join(', ')})`);
  // A real click on a link (pseudo-clicks: its mousedown and its mouseup): the tracker's listener
  // calls the module once for each, the module decides it is a click, then the same delivery.
  const click = main(await burstsDuring(() => page.locator('#docs').click(), 3)); // scrolled into view, then clicked
  assert.equal(click.length, 2 + delivery, `a click: a call per mousedown and mouseup, and a delivery (${click.join(', ')})`);
  assert.equal(kind((await collector.good())[2]), 'link_click');

  // Pings: checks at 2 s, then every 30 s from the next page view on (a configuration in force
  // is kept, as in the JS tracker: disabled first).
  await page.evaluate(() => {
    window.tracker.disableActivityTracking();
    window.tracker.enableActivityTracking({ minimumVisitLength: 2, heartbeatDelay: 30 });
    window.tracker.trackPageView();
  });
  await collector.waitForGood(4, { settle: 500 });
  // A check with no activity in its window: one call, nothing sent.
  const idle = await burstsDuring(() => sleep(2_500));
  assert.ok(idle.length >= 1 && idle.every((b) => b.length === 1), `an idle check: one call (${JSON.stringify(idle)})`);
  assert.equal((await collector.good()).length, 4, 'no ping without activity');
  // A check after activity: one call and the ping's delivery.
  await page.evaluate(() => window.tracker.trackPageView());
  await collector.waitForGood(5, { settle: 500 });
  const ping = main(await burstsDuring(() => page.mouse.move(300, 300), 6));
  assert.equal(ping.length, 1 + delivery, `a ping: one call and a delivery (${ping.join(', ')})`);
  assert.equal(kind((await collector.good())[5]), 'page_ping');
});

test('the JS tracker and snowtrack side by side: their pings carry the same fields', TIMEOUT, async (t) => {
  const dir = await tempDir(t);
  await bundleBrowserTracker(`${dir}/snowplow.js`);
  await writeTree(dir, {
    'index.html': LONG_PAGE.replace('<script type="module">', '<script src="./snowplow.js"></script>\n<script type="module">'),
  });
  const { collector, page, pageErrors } = await setup(t, { siteDir: dir, contextOptions: { viewport: { width: 800, height: 600 } } });
  await openPage(page, collector);
  await page.mouse.move(400, 300);
  await page.evaluate(() => {
    const config = (appId) => ({ appId, cookieSecure: false, contexts: { session: true, webPage: true } });
    window.snowplow.newTracker('js', location.origin, config('interop-js'));
    window.snowplow.enableActivityTracking({ minimumVisitLength: 2, heartbeatDelay: 2 }, ['js']);
    window.st = window.snowtrack.newTracker('st', location.origin, { ...config('interop-st'), lifecycleAutotracking: false });
    window.st.enableActivityTracking({ minimumVisitLength: 2, heartbeatDelay: 2 });
    window.snowplow.trackPageView({}, ['js']);
    window.st.trackPageView();
  });
  await wheel(page, 130, 700);
  await wheel(page, 0, -200);
  await waitFor(async () => (await collector.good()).filter((g) => kind(g) === 'page_ping').length >= 2,
    { timeout: 8_000, message: 'a ping from each tracker' });
  const good = await collector.good();
  assert.deepEqual(await collector.bad(), []);
  const ping = (app) => good.find((g) => kind(g) === 'page_ping' && g.event.app_id === app);
  const [js, st] = [ping('interop-js'), ping('interop-st')];
  const fields = (g) => {
    const p = g.rawEvent.parameters;
    return { e: p.e, url: p.url, page: p.page, refr: p.refr, pp_mix: p.pp_mix, pp_max: p.pp_max, pp_miy: p.pp_miy, pp_may: p.pp_may };
  };
  t.diagnostic(`JS tracker ping: ${JSON.stringify(fields(js))}`);
  assert.deepEqual(fields(st), fields(js));
  assert.ok(js.rawEvent.parameters.pp_may > 0);
  const pvOf = (app) => entity(good.find((g) => kind(g) === 'page_view' && g.event.app_id === app), SCHEMAS.webPage).id;
  assert.equal(entity(st, SCHEMAS.webPage).id, pvOf('interop-st'));
  assert.equal(entity(js, SCHEMAS.webPage).id, pvOf('interop-js'));
  assert.deepEqual(pageErrors, []);
});

test('activityMetrics: each ping carries what real input did since the last one, as a valid activity_metrics entity', TIMEOUT, async (t) => {
  const { collector, page, pageErrors } = await longPageSetup(t);
  await openPage(page, collector);
  await page.mouse.move(100, 100);
  const calls = await page.evaluate(() => {
    window.metricsCalls = [];
    window.tracker = window.snowtrack.newTracker('sp', location.origin, { appId: 'metrics', lifecycleAutotracking: false });
    window.tracker.enableActivityTracking({ minimumVisitLength: 3, heartbeatDelay: 3, activityMetrics: true });
    window.tracker.trackPageView();
    // Another tracker whose callback asks for them.
    window.cb = window.snowtrack.newTracker('cb', location.origin, { appId: 'metrics-cb', cookieName: '_cb_', lifecycleAutotracking: false });
    window.cb.enableActivityTrackingCallback({ minimumVisitLength: 3, heartbeatDelay: 3, activityMetrics: true, callback: (a) => window.metricsCalls.push(a) });
    window.cb.trackPageView();
    return window.metricsCalls.length;
  });
  assert.equal(calls, 0);
  // 300 px right and 400 px down in five straight steps of 100 px (the first one, from where no
  // move was seen yet, does not count, as in the JS tracker), two clicks, three keys, a scroll.
  await page.mouse.move(400, 500, { steps: 5 });
  await page.mouse.click(400, 500);
  await page.mouse.click(400, 500);
  await page.keyboard.press('a');
  await page.keyboard.press('b');
  await page.keyboard.press('c');
  const [, scrolled] = await wheel(page, 0, 600);
  const ping = (await waitFor(async () => {
    const good = (await collector.good()).filter((g) => g.event.app_id === 'metrics');
    return good.length >= 2 && good;
  }, { timeout: 8_000, message: `the first ping: ${JSON.stringify((await collector.good()).map((g) => [g.event.app_id, kind(g)]))} errors ${JSON.stringify(pageErrors)}` }))[1];
  assert.equal(kind(ping), 'page_ping');
  const metrics = entity(ping, 'iglu:com.snowplowanalytics.snowplow/activity_metrics/jsonschema/1-0-0');
  assert.ok(metrics, 'the activity_metrics entity');
  assert.ok(Math.abs(metrics.mouseDistance - 400) <= 2, `mouseDistance ${metrics.mouseDistance}`);
  assert.equal(metrics.clicks, 2);
  assert.equal(metrics.keyPresses, 3);
  assert.equal(metrics.touches, 0);
  assert.equal(metrics.scrollDistance, scrolled, 'the scroll from the top, where tracking started');
  // The next ping starts over: a short move only.
  await page.mouse.move(400, 530);
  const next = (await waitFor(async () => {
    const good = (await collector.good()).filter((g) => g.event.app_id === 'metrics');
    return good.length >= 3 && good;
  }, { timeout: 8_000, message: 'the second ping' }))[2];
  const again = entity(next, 'iglu:com.snowplowanalytics.snowplow/activity_metrics/jsonschema/1-0-0');
  assert.deepEqual(again, { mouseDistance: 30, scrollDistance: 0, keyPresses: 0, clicks: 0, touches: 0 });
  // The callback got them too, as `activityMetrics` and as the one entity of its `context`.
  const [first] = await page.evaluate(() => window.metricsCalls);
  assert.equal(first.activityMetrics.clicks, 2, JSON.stringify(first));
  assert.equal(first.activityMetrics.keyPresses, 3);
  assert.deepEqual(first.context, [{ schema: 'iglu:com.snowplowanalytics.snowplow/activity_metrics/jsonschema/1-0-0', data: first.activityMetrics }]);
  assert.deepEqual(await collector.bad(), [], 'valid against the official schema');
  assert.deepEqual(pageErrors, []);
});
