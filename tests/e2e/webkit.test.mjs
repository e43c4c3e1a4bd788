// The engine-dependent scenarios in WebKit, the Safari engine (WebKitGTK's MiniBrowser through
// WebKitWebDriver and webdriver.mjs; playwright-core cannot drive it): cookies across pages and
// on an IP host (also beside the JS tracker), cookie lifetimes with tracking prevention on,
// lifecycle on hide, pagehide and the back/forward cache, keepalive delivery on navigation and on
// tab close, link clicks, privacy cookies, the async tag and the Flutter sequence. Each test has
// its own collector on 127.0.0.1 and its own browser session (fresh cookies and storage).
//
// What WebDriver cannot make WebKitGTK do: show a background tab (a tab opened by WebDriver stays
// hidden, and switching to it does not show it), so hiding is driven by minimizing the window, as
// a user does; and scroll the document with wheel actions (the `wheel` events fire, the page does
// not move), so the document-scroll summary of lifecycle.test.mjs is Chromium's only.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import {
  Collector, COOKIE_LIFETIME_S, FIXTURE_DIR, SCHEMAS, SESSION_TIMEOUT_S, domainHash, entity, kind, makeSite,
  parseIdCookie, sleep, unstructData, waitFor,
} from './support.mjs';
import { countEids, faultReport, setFault, waitForEids } from './delivery-support.mjs';
import {
  NPM_DIR, bundleBrowserTracker, ensurePackage, html, inlineScript, snippetTag, startStaticServer, tempDir, writeTree,
} from './package-support.mjs';
import { DETAIL_ID, HOME_ID, MOBILE_SCREEN_VIEW, flutterApp } from './flutter-app.mjs';
import { WebDriver } from './webdriver.mjs';

const ENGINE = 'webkit';
const TIMEOUT = { timeout: 90_000 };
const ICON = '<link rel="icon" href="data:,">';

/**
 * One test's world: a collector serving `siteDir` (the fixture page by default, with pkg/ and
 * npm/ linked in) and a fresh WebKit session, both stopped when the test ends.
 */
async function setup(t, { siteDir = FIXTURE_DIR, collectorArgs = ['--quiet'], browserArgs = [] } = {}) {
  const site = await makeSite(siteDir);
  t.after(() => rm(site, { recursive: true, force: true }));
  const collector = await Collector.start({ staticDir: site, args: collectorArgs });
  t.after(() => collector.stop());
  const browser = await WebDriver.start(t, ENGINE, { browserArgs });
  return { collector, browser };
}

/** Opens `pathname` and waits for the page's `body[data-ready]` (the fixture page's init). */
async function openPage(browser, collector, pathname = '/') {
  await browser.goto(`${collector.url}${pathname}`);
  await browser.waitFor(() => document.body?.dataset.ready === 'true', { message: `${pathname} ready` });
}

/** `window.tracker` on the fixture page: namespace `sp`, posting to the page's origin. */
function createTracker(browser, config = {}) {
  return browser.run((extra) => {
    window.tracker = window.snowtrack.newTracker('sp', window.location.origin, {
      appId: 'webkit', contexts: { session: true, webPage: true }, ...extra,
    });
  }, config);
}

/** Runs `fn` on `window.tracker` in the page (a returned promise is awaited). */
function call(browser, fn, ...args) {
  return browser.run(`(...args) => (${fn})(window.tracker, ...args)`, ...args);
}

/** The browser's `_sp_id.*` / `_sp_ses.*` cookies (WebDriver's view: domain, expiry, sameSite). */
async function trackerCookies(browser) {
  const all = await browser.cookies();
  return {
    id: all.find((c) => c.name.startsWith('_sp_id.')),
    ses: all.find((c) => c.name.startsWith('_sp_ses.')),
    all,
  };
}

/** Seconds from now until `cookie` expires. */
const lifetime = (cookie) => cookie.expiry - Date.now() / 1000;

/**
 * Records every fetch's keepalive flag in `storage` ('sessionStorage': kept across a same-tab
 * navigation; 'localStorage': kept after the tab closes), under `fetches`.
 */
function recordKeepalive(storage) {
  const { fetch } = window;
  window.fetch = function recordingFetch(url, init) {
    const log = JSON.parse(window[storage].getItem('fetches') || '[]');
    log.push({ url: String(url instanceof Request ? url.url : url), keepalive: !!(init && init.keepalive) });
    window[storage].setItem('fetches', JSON.stringify(log));
    return fetch.apply(this, arguments);
  };
}

// ---- cookies ----------------------------------------------------------------------------------

test('WebKit: one user and one session across pages, in cookies for the whole address 127.0.0.1', TIMEOUT, async (t) => {
  const { collector, browser } = await setup(t);
  await openPage(browser, collector);
  assert.deepEqual(await browser.cookies(), [], 'a fresh profile');
  // What made the JS tracker's label walk go wrong on an IP host: WebKit keeps a cookie for
  // `Domain=0.1` on 127.0.0.1 (Chromium and Firefox refuse it).
  const accepted = await browser.run(() => {
    document.cookie = 'probe=1; Domain=0.1; Path=/';
    const kept = document.cookie.includes('probe=1');
    document.cookie = 'probe=; Domain=0.1; Path=/; Max-Age=0';
    return kept;
  });
  assert.equal(accepted, true, 'WebKit accepts Domain=0.1 on 127.0.0.1');

  const config = { lifecycleAutotracking: false };
  await createTracker(browser, config);
  await call(browser, (tracker) => { tracker.trackPageView(); return tracker.flush(); });
  await openPage(browser, collector, '/?two');
  await createTracker(browser, config);
  await call(browser, (tracker) => { tracker.trackPageView(); return tracker.flush(); });
  await browser.refresh();
  await browser.waitFor(() => document.body?.dataset.ready === 'true');
  await createTracker(browser, config);
  await call(browser, (tracker) => { tracker.trackPageView(); return tracker.flush(); });

  const good = await collector.waitForGood(3);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), ['page_view', 'page_view', 'page_view']);
  const [first] = good;
  assert.match(first.event.domain_userid, /^[0-9a-f-]{36}$/);
  good.forEach((g, i) => {
    assert.equal(g.event.domain_userid, first.event.domain_userid, `page ${i + 1}: one user`);
    assert.equal(g.event.domain_sessionid, first.event.domain_sessionid, `page ${i + 1}: one session`);
    assert.equal(entity(g, SCHEMAS.clientSession).eventIndex, i + 1, `page ${i + 1}: event index`);
  });
  assert.equal(good[1].event.page_url, `${collector.url}/?two`);

  const hash = domainHash('127.0.0.1');
  const { id, ses, all } = await trackerCookies(browser);
  assert.deepEqual(all.filter((c) => c.name.startsWith('_sp_')).map((c) => c.name).sort(),
    [`_sp_id.${hash}`, `_sp_ses.${hash}`], 'named for 127.0.0.1, no probe cookie left');
  for (const cookie of [id, ses]) {
    assert.equal(cookie.domain.replace(/^\./, ''), '127.0.0.1', `${cookie.name}: the whole address`);
    assert.equal(cookie.path, '/');
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.secure, false);
  }
  const fields = parseIdCookie(id.value);
  assert.equal(fields.duid, first.event.domain_userid);
  assert.equal(fields.eventIndex, '3');
  // Tracking prevention is off in WebKitGTK unless enabled: the lifetimes are as written.
  assert.ok(Math.abs(lifetime(id) - COOKIE_LIFETIME_S) < 120, `_sp_id for 2 years: ${lifetime(id)} s`);
  assert.ok(Math.abs(lifetime(ses) - SESSION_TIMEOUT_S) < 120, `_sp_ses for 30 min: ${lifetime(ses)} s`);
});

test('WebKit on an IP host: the JS tracker\'s cookies are for Domain=0.1, snowtrack\'s for 127.0.0.1, so they are not shared', TIMEOUT, async (t) => {
  const dir = await tempDir(t);
  await bundleBrowserTracker(path.join(dir, 'snowplow.js'));
  await writeTree(dir, {
    'both.html': html({
      title: 'both',
      head: ICON,
      body: `<script src="./snowplow.js"></script>
<script type="module">
  import init, * as snowtrack from './pkg/snowtrack.js';
  await init();
  window.snowtrack = snowtrack;
  document.body.dataset.ready = 'true';
</script>`,
    }),
  });
  const { collector, browser } = await setup(t, { siteDir: dir });
  await openPage(browser, collector, '/both.html');
  const names = await browser.run(async () => {
    const config = { cookieSecure: false, contexts: { session: true } };
    const js = window.snowplow.newTracker('js', location.origin, { appId: 'js', ...config });
    window.snowplow.trackPageView({}, ['js']);
    window.snowplow.flushPendingCookies();
    const st = window.snowtrack.newTracker('st', location.origin, { appId: 'st', ...config, lifecycleAutotracking: false });
    st.trackPageView();
    await st.flush();
    return { js: js.getCookieName('id'), st: st.getCookieName('id') };
  });
  assert.deepEqual(names, { js: `_sp_id.${domainHash('0.1')}`, st: `_sp_id.${domainHash('127.0.0.1')}` });
  const cookies = Object.fromEntries((await browser.cookies()).map((c) => [c.name, c]));
  assert.equal(cookies[names.js]?.domain.replace(/^\./, ''), '0.1', 'the JS tracker settled on Domain=0.1');
  assert.equal(cookies[names.st]?.domain.replace(/^\./, ''), '127.0.0.1');
  const good = await collector.waitForGood(2);
  assert.deepEqual(await collector.bad(), []);
  const duids = Object.fromEntries(good.map((g) => [g.event.app_id, g.event.domain_userid]));
  assert.notEqual(duids.js, duids.st, 'two users: neither tracker reads the other\'s cookie');
});

test('WebKit with tracking prevention on (--enable-itp): a first-party page\'s cookies keep their lifetimes, script-written or not', TIMEOUT, async (t) => {
  // Safari's rule for script-written cookies (deleted after 7 days of browsing without a visit
  // with user interaction) runs on days of use, which a test cannot make pass; what WebKitGTK
  // does with ITP on, on a page with no classified tracker, is pinned here: no expiry cap.
  // --cookie-insecure: the collector's cookie without Secure, as a plain-http page keeps it.
  const { collector, browser } = await setup(t, {
    browserArgs: ['--enable-itp'], collectorArgs: ['--quiet', '--cookie-insecure'],
  });
  await openPage(browser, collector);
  await createTracker(browser, { lifecycleAutotracking: false });
  await call(browser, (tracker) => { tracker.trackPageView(); return tracker.flush(); });
  const [pv] = await collector.waitForGood(1);
  assert.deepEqual(await collector.bad(), []);

  const { id, ses, all } = await trackerCookies(browser);
  assert.equal(parseIdCookie(id.value).duid, pv.event.domain_userid);
  assert.ok(Math.abs(lifetime(id) - COOKIE_LIFETIME_S) < 120, `_sp_id as written, 2 years: ${lifetime(id)} s`);
  assert.ok(Math.abs(lifetime(ses) - SESSION_TIMEOUT_S) < 120, `_sp_ses as written, 30 min: ${lifetime(ses)} s`);
  // The server-set cookie (Snowplow's advice for Safari: the collector on the site's own domain).
  const network = all.find((c) => c.name === 'sp');
  assert.ok(network, `the collector set its cookie: ${all.map((c) => c.name).join(', ')}`);
  assert.equal(network.value, pv.event.network_userid);
  assert.equal(network.httpOnly, true);
  assert.ok(Math.abs(lifetime(network) - 365 * 86_400) < 120, `the collector's cookie, a year: ${lifetime(network)} s`);
});

// ---- lifecycle --------------------------------------------------------------------------------

/** Asserts a hidden → visible round trip with screen A before and screen B after. */
function assertRoundTrip(good, { foregroundS, backgroundS }) {
  assert.deepEqual(good.map(kind), ['screen_view', 'application_background', 'application_foreground', 'screen_end', 'screen_view']);
  const [, background, foreground, end, b] = good;
  assert.deepEqual(unstructData(background), { backgroundIndex: 1 });
  assert.deepEqual(entity(background, SCHEMAS.lifecycle), { isVisible: false, index: 1 });
  assert.deepEqual(unstructData(foreground), { foregroundIndex: 1 });
  assert.deepEqual(entity(foreground, SCHEMAS.lifecycle), { isVisible: true, index: 1 });
  const away = entity(foreground, SCHEMAS.screenSummary);
  assert.ok(away.foreground_sec >= foregroundS && away.background_sec >= backgroundS,
    `foreground ${away.foreground_sec} s, background ${away.background_sec} s`);
  assert.equal(entity(end, SCHEMAS.screen).name, 'A');
  assert.equal(unstructData(b).previousName, 'A');
}

test('WebKit: a minimized window goes to the background and comes back to the foreground', TIMEOUT, async (t) => {
  const { collector, browser } = await setup(t);
  await openPage(browser, collector);
  await createTracker(browser);
  await call(browser, (tracker) => tracker.trackScreenView({ name: 'A' }));
  await sleep(500);
  await browser.minimize();
  await browser.waitFor(() => document.visibilityState === 'hidden', { message: 'hidden' });
  await sleep(800);
  await browser.maximize();
  await browser.waitFor(() => document.visibilityState === 'visible', { message: 'visible again' });
  await call(browser, (tracker) => { tracker.trackScreenView({ name: 'B' }); return tracker.flush(); });
  const good = await collector.waitForGood(5);
  assert.deepEqual(await collector.bad(), []);
  assertRoundTrip(good, { foregroundS: 0.5, backgroundS: 0.7 });
});

test('WebKit: a page left into the back/forward cache goes to the background and comes back', TIMEOUT, async (t) => {
  const { collector, browser } = await setup(t);
  await openPage(browser, collector);
  await browser.run(() => {
    window.shown = [];
    window.hid = [];
    window.addEventListener('pageshow', (e) => window.shown.push(e.persisted));
    window.addEventListener('pagehide', (e) => window.hid.push(e.persisted));
  });
  await createTracker(browser);
  await call(browser, (tracker) => tracker.trackScreenView({ name: 'A' }));
  await sleep(500);
  await browser.goto(`${collector.url}/?elsewhere`); // the fixture page creates no tracker itself
  await sleep(800);
  await browser.back();
  const { shown, hid } = await browser.waitFor(() => window.shown?.includes(true) && { shown: window.shown, hid: window.hid },
    { message: 'restored from the back/forward cache' });
  assert.deepEqual({ shown, hid }, { shown: [true], hid: [true] }, 'pagehide and pageshow with persisted: true');
  await call(browser, (tracker) => { tracker.trackScreenView({ name: 'B' }); return tracker.flush(); });
  const good = await collector.waitForGood(5);
  assert.deepEqual(await collector.bad(), []);
  assertRoundTrip(good, { foregroundS: 0.5, backgroundS: 0.7 });
});

test('WebKit: a closed tab sends its buffered events and application_background with keepalive', TIMEOUT, async (t) => {
  const { collector, browser } = await setup(t);
  const other = await browser.newWindow('tab'); // keeps the session open when the page's tab closes
  await openPage(browser, collector);
  await browser.run(recordKeepalive, 'localStorage');
  // Buffered: nothing is sent until the page goes.
  await createTracker(browser, { bufferSize: 10 });
  await call(browser, (tracker) => {
    tracker.trackScreenView({ name: 'article' });
    for (let i = 0; i < 3; i += 1) tracker.trackStructEvent({ category: 'c', action: `a${i}` });
  });
  await sleep(700);
  assert.equal((await collector.all()).total, 0, 'held in the buffer');
  // The collector holds the request 1.5 s: long after the tab is gone.
  await setFault(collector, { delayMs: 1500, count: 1 });
  const left = await browser.closeWindow();
  assert.deepEqual(left, [other]);
  await browser.switchTo(other);
  const good = await collector.waitForGood(5, { timeout: 10_000 });
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), ['screen_view', 'struct', 'struct', 'struct', 'application_background']);
  assert.equal((await faultReport(collector)).delayed, 1, 'one request, held past the tab\'s end');
  const background = good[4];
  assert.deepEqual(entity(background, SCHEMAS.lifecycle), { isVisible: false, index: 1 });
  assert.equal(entity(background, SCHEMAS.screen).name, 'article');
  assert.ok(entity(background, SCHEMAS.screenSummary).foreground_sec >= 0.6);
  // The closed tab's fetches, read from localStorage in a page of the same origin.
  await browser.goto(`${collector.url}/?after`);
  const fetches = await browser.run(() => JSON.parse(localStorage.getItem('fetches')));
  assert.deepEqual(fetches.filter((f) => f.url.endsWith('/tp2')).map((f) => f.keepalive), [true], 'one request, with keepalive');
});

// ---- delivery ---------------------------------------------------------------------------------

test('WebKit: navigation while requests are in flight and events are queued: no event lost (duplicates reported)', TIMEOUT, async (t) => {
  const { collector, browser } = await setup(t, { collectorArgs: ['--quiet', '--max-events', '200000'] });
  await openPage(browser, collector);
  const config = { appId: 'webkit-delivery', lifecycleAutotracking: false };
  await createTracker(browser, config);
  // The first two requests (both of the page's slots) are held 3 s, so the next events queue.
  await setFault(collector, { delayMs: 3000, count: 2 });
  const track = (count, label) => call(browser, (tracker, n, name) => {
    for (let i = 0; i < n; i += 1) {
      tracker.trackSelfDescribingEvent({
        event: { schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', data: { targetUrl: `https://example.com/${name}/${i}` } },
      });
    }
  }, count, label);
  await track(50, 'first');
  await waitFor(async () => (await faultReport(collector)).delayed >= 1, { message: 'a request in flight' });
  await track(150, 'queued');
  const before = await call(browser, (tracker) => tracker.getDeliveryStats());
  assert.ok(before.inFlight > 0 && before.queued > 0, `in flight and queued when leaving: ${JSON.stringify(before)}`);

  await openPage(browser, collector, '/?next');
  await createTracker(browser, config);
  const received = await waitForEids(collector, 200, { timeout: 25_000 });
  assert.equal(received.distinct, 200, 'no event lost across the navigation');
  const duplicates = [...countEids(received.eids).values()].filter((n) => n > 1);
  // The no-duplicate assertion belongs to the delivery engine's issue; until then this reports.
  const report = `WebKit delivery on navigation: ${received.count} events for 200 distinct eids, `
    + `${duplicates.length} eids sent more than once (${received.count - 200} extra)`;
  t.diagnostic(report);
  await browser.waitFor(() => Object.keys(localStorage).filter((k) => k.startsWith('snowtrack.q.'))
    .every((k) => !localStorage.getItem(k)), { message: 'the persisted queue emptied' });
  assert.deepEqual(await collector.bad(), []);
});

test('WebKit: a click on a link that navigates away arrives: its request goes with keepalive', TIMEOUT, async (t) => {
  const dir = await writeTree(await tempDir(t), {
    'index.html': html({
      title: 'from',
      head: ICON,
      body: `<a id="out" class="nav" href="/to.html">to</a>
<script type="module">
  import init, * as snowtrack from './pkg/snowtrack.js';
  await init();
  window.snowtrack = snowtrack;
  document.body.dataset.ready = 'true';
</script>`,
    }),
    'to.html': html({ title: 'to', head: ICON, body: '<p>no tracker here</p>' }),
  });
  const { collector, browser } = await setup(t, { siteDir: dir });
  await openPage(browser, collector);
  await browser.run(recordKeepalive, 'sessionStorage');
  await browser.run(() => {
    window.tracker = window.snowtrack.newTracker('sp', location.origin, { appId: 'leave', lifecycleAutotracking: false });
    window.tracker.enableLinkClickTracking();
    window.tracker.trackPageView();
  });
  await collector.waitForGood(1);
  await setFault(collector, { delayMs: 1500, count: 1 });
  await browser.click('#out');
  await waitFor(async () => (await browser.currentUrl()).endsWith('/to.html'), { message: 'the next page' });
  const [, click] = await collector.waitForGood(2, { timeout: 10_000 });
  assert.equal(click.schema, SCHEMAS.linkClick);
  assert.deepEqual(unstructData(click), {
    targetUrl: `${collector.url}/to.html`, elementId: 'out', elementClasses: ['nav'], elementTarget: '',
  });
  assert.equal(click.event.page_url, `${collector.url}/`, 'tracked on the page it left');
  const fetches = await browser.run(() => JSON.parse(sessionStorage.getItem('fetches')));
  assert.deepEqual(fetches.filter((f) => f.url.endsWith('/tp2')).map((f) => f.keepalive), [false, true],
    'the page view normally, the click with keepalive, once');
  assert.deepEqual(await collector.bad(), []);
});

// ---- privacy ----------------------------------------------------------------------------------

test('WebKit: consent recipe cookies: none while anonymous, a fresh identity on consent, removed on withdrawal', TIMEOUT, async (t) => {
  const { collector, browser } = await setup(t);
  await openPage(browser, collector);
  await createTracker(browser, { anonymousTracking: { withServerAnonymisation: true }, lifecycleAutotracking: false });
  await call(browser, (tracker) => { tracker.trackPageView({ title: 'before consent' }); return tracker.flush(); });
  const [before] = await collector.waitForGood(1);
  assert.equal(before.event.domain_userid ?? null, null);
  assert.ok(before.rawEvent.context.headers.some((h) => /^sp-anonymous: \*$/i.test(h)), 'SP-Anonymous header');
  let cookies = await trackerCookies(browser);
  assert.equal(cookies.id, undefined, 'no _sp_id while anonymous');

  const duid = await call(browser, (tracker) => {
    tracker.disableAnonymousTracking();
    tracker.trackPageView({ title: 'after consent' });
    return tracker.flush().then(() => tracker.getDomainUserId());
  });
  const [, consented] = await collector.waitForGood(2);
  assert.equal(consented.event.domain_userid, duid);
  cookies = await trackerCookies(browser);
  assert.equal(parseIdCookie(cookies.id.value).duid, duid, '_sp_id holds the new identity');

  await call(browser, (tracker) => {
    tracker.clearUserData();
    tracker.enableAnonymousTracking({ options: { withServerAnonymisation: true } });
    tracker.trackPageView({ title: 'after withdrawal' });
    return tracker.flush();
  });
  const [, , withdrawn] = await collector.waitForGood(3);
  assert.equal(withdrawn.event.domain_userid ?? null, null);
  cookies = await trackerCookies(browser);
  assert.equal(cookies.id, undefined, '_sp_id removed');
  assert.equal(cookies.ses, undefined, '_sp_ses removed');
  assert.deepEqual(await collector.bad(), []);
});

test('WebKit: the opt-out cookie stops events and removes the identity cookies', TIMEOUT, async (t) => {
  const { collector, browser } = await setup(t);
  await openPage(browser, collector);
  await createTracker(browser, { respectOptOutCookie: 'no_tracking', lifecycleAutotracking: false });
  await call(browser, (tracker) => { tracker.trackPageView({ title: 'in' }); return tracker.flush(); });
  await collector.waitForGood(1);
  assert.ok((await trackerCookies(browser)).id, 'identified before opting out');
  await browser.run(() => { document.cookie = 'no_tracking=1; path=/'; });
  await call(browser, (tracker) => { tracker.trackPageView({ title: 'out' }); return tracker.flush(); });
  await sleep(500);
  assert.deepEqual((await collector.good()).map((g) => g.event.page_title), ['in'], 'nothing after the opt-out cookie');
  const cookies = await trackerCookies(browser);
  assert.equal(cookies.id, undefined, 'the identity goes with opting out');
  assert.deepEqual(await collector.bad(), []);
});

// ---- the tag and Flutter ----------------------------------------------------------------------

/** The tag's commands, inline right after it. */
function tagCommands() {
  const st = window.snowtrack;
  st('newTracker', 'sp', window.location.origin, { appId: 'tag' });
  st('enableActivityTracking', { minimumVisitLength: 1, heartbeatDelay: 1 });
  st('enableLinkClickTracking');
  st('setCustomUrl', '/virtual/landing');
  st('setDocumentTitle', 'Virtual landing');
  st('trackPageView');
  st(function () {
    window.pageViewId = this.sp.getPageViewId();
    document.body.dataset.tagged = 'true';
  });
}

/** The package on a second origin (a "CDN"): the loader's URL. */
async function cdnLoader(t) {
  const { version } = ensurePackage();
  const cdn = await startStaticServer(t, { mounts: { [`/npm/snowtrack@${version}/`]: NPM_DIR } });
  return `${cdn.url}/npm/snowtrack@${version}/loader.js`;
}

test('WebKit: the async tag loads the package from another origin and runs the web data model commands', TIMEOUT, async (t) => {
  const loader = await cdnLoader(t);
  const dir = await writeTree(await tempDir(t), {
    'index.html': html({
      title: 'tag',
      head: ICON + snippetTag({ src: loader }) + inlineScript(tagCommands),
      body: '<a id="out" href="/next.html">next</a>',
    }),
    'next.html': html({ title: 'next', head: ICON }),
  });
  const { collector, browser } = await setup(t, { siteDir: dir });
  await browser.goto(`${collector.url}/`);
  await browser.waitFor(() => document.body.dataset.tagged === 'true', { message: 'the tag ran' });
  const pageViewId = await browser.run(() => window.pageViewId);
  // Real pointer moves are activity: a page ping follows (moving on until it does).
  let x = 10;
  await waitFor(async () => {
    x = x === 10 ? 60 : 10;
    await browser.actions([{
      type: 'pointer', id: 'mouse', parameters: { pointerType: 'mouse' },
      actions: [{ type: 'pointerMove', x, y: 40, duration: 50 }],
    }]);
    return (await collector.good()).some((g) => kind(g) === 'page_ping');
  }, { timeout: 10_000, interval: 300, message: 'a ping' });
  await browser.click('#out');
  await waitFor(async () => (await collector.good()).some((g) => kind(g) === 'link_click'), { timeout: 10_000, message: 'the click' });
  const good = await collector.good();
  assert.deepEqual(await collector.bad(), []);
  const pv = good.find((g) => kind(g) === 'page_view');
  assert.equal(pv.event.page_url, `${collector.url}/virtual/landing`);
  assert.equal(pv.event.page_title, 'Virtual landing');
  assert.equal(entity(pv, SCHEMAS.webPage).id, pageViewId);
  const ping = good.find((g) => kind(g) === 'page_ping');
  assert.equal(entity(ping, SCHEMAS.webPage).id, pageViewId);
  assert.equal(unstructData(good.find((g) => kind(g) === 'link_click')).targetUrl, `${collector.url}/next.html`);
});

test('WebKit: the Flutter web plugin\'s calls through the tag named `snowplow`: every event valid, with the mobile model', TIMEOUT, async (t) => {
  const loader = await cdnLoader(t);
  const dir = await writeTree(await tempDir(t), {
    'index.html': html({ title: 'flutter web', head: ICON + snippetTag({ src: loader, name: 'snowplow' }) }),
  });
  const { collector, browser } = await setup(t, { siteDir: dir });
  await browser.goto(`${collector.url}/`);
  await browser.run(flutterApp, { screenView: MOBILE_SCREEN_VIEW, homeId: HOME_ID, detailId: DETAIL_ID });
  await browser.waitFor(() => document.body.dataset.done === 'true', { message: 'the calls ran' });
  await browser.run(() => new Promise((resolve) => window.snowplow(function () { this.flutter.flush().then(resolve); })));
  const good = await collector.waitForGood(9);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), [
    'screen_view', 'screen_end', 'screen_view', 'struct', 'link_click', 'timing', 'consent_granted', 'consent_withdrawn', 'page_view',
  ]);
  good.forEach((g, i) => {
    assert.equal(g.event.name_tracker, 'flutter');
    assert.equal(g.event.user_id, 'flutter-user');
    assert.equal(entity(g, SCHEMAS.clientSession).eventIndex, i + 1, `event ${i + 1}: client_session`);
    assert.ok(g.rawEvent.context.headers.some((h) => /^x-flutter-app: example$/i.test(h)), `event ${i + 1}: customHeaders`);
  });
  const [home, end, detail] = good;
  assert.deepEqual(unstructData(home), { name: 'home', id: HOME_ID });
  assert.equal(unstructData(detail).previousId, HOME_ID);
  const summary = entity(end, SCHEMAS.screenSummary);
  assert.deepEqual([summary.last_item_index, summary.items_count, summary.max_y_offset], [3, 10, 920]);
  // Flutter reads the session from the _sp_id cookie itself.
  const { id } = await trackerCookies(browser);
  assert.equal(parseIdCookie(id.value).duid, home.event.domain_userid);
  assert.equal(parseIdCookie(id.value).sessionId, home.event.domain_sessionid);
});
