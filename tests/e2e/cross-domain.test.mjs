// Cross-domain linking in headless Chromium, against the real collector, on two origins whose
// cookies are apart: the collector's pages at http://127.0.0.1:<port> and http://localhost:<port>
// (two ports of one host would share cookies). A click on a link the page's crossDomainLinker
// selects carries the first origin's identity in `_sp`; the collector reads it from the second
// page's URL as Snowplow Enrich does (`refr_domain_userid`, `refr_dvce_tstamp`, the derived
// `cross_navigation` entity for the extended value). And the value itself, field by field,
// against the one @snowplow/browser-tracker 4.10.1 writes on the same page with the same cookies.

import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import { launchBrowser, sleep } from './support.mjs';
import {
  NPM_DIR, bundleBrowserTracker, consoleErrors, ensurePackage, fileScope, html, inlineScript, openContext,
  snippetTag, startCollector, tempDir, writeTree,
} from './package-support.mjs';

const TIMEOUT = { timeout: 60_000 };
const CROSS_NAVIGATION = 'iglu:com.snowplowanalytics.snowplow/cross_navigation/jsonschema/1-0-0';
const scope = fileScope();
let collector;
let browser;
/** The collector's own origin (127.0.0.1) and the same server as `localhost`. */
let first;
let second;

const ICON = '<link rel="icon" href="data:,">';
const ST_PAGE = `<script type="module">
  import { load } from './npm/load-full.js';
  window.snowtrackApi = await load();
  document.body.dataset.ready = 'true';
</script>`;
const JS_PAGE = '<script src="./snowplow.js"></script>';

/** The async tag's commands: a tracker whose newTracker options ask for cross-domain linking. */
function tagCommands() {
  window.snowtrack('newTracker', 'sp', location.origin, {
    appId: 'tag', cookieSecure: false, lifecycleAutotracking: false,
    crossDomainLinker: (link) => link.hostname === 'localhost',
  });
  window.snowtrack('trackPageView');
}

before(async () => {
  ensurePackage();
  const dir = await tempDir(scope);
  await bundleBrowserTracker(path.join(dir, 'snowplow.js'));
  await writeTree(dir, {
    npm: { link: NPM_DIR },
    'from.html': html({ title: 'from', head: ICON, body: ST_PAGE }),
    'to.html': html({ title: 'to', head: ICON, body: ST_PAGE }),
    'both.html': html({ title: 'both', head: ICON, body: JS_PAGE + ST_PAGE }),
    'tag.html': html({
      title: 'tag',
      head: ICON + snippetTag({ src: '/npm/loader.js' }) + inlineScript(tagCommands),
      body: inlineScript(() => {
        const target = location.origin.replace('127.0.0.1', 'localhost');
        document.body.insertAdjacentHTML('beforeend', `<a id="out" href="${target}/to.html">out</a>`);
        document.addEventListener('click', (e) => e.preventDefault());
      }),
    }),
  });
  collector = await startCollector(scope, dir);
  first = collector.url;
  second = collector.url.replace('127.0.0.1', 'localhost');
  browser = await launchBrowser(scope);
});

async function fresh(t, { reset = true } = {}) {
  if (reset) await collector.reset();
  const tab = await openContext(browser);
  t.after(() => tab.context.close());
  return tab;
}

async function goto(page, url) {
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 });
}

/** Creates snowtrack's tracker on the page (`appId`, the cross-domain options given). */
function snowtrack(page, appId, options) {
  return page.evaluate(({ appId, options, target }) => {
    const linker = (link) => link.hostname === new URL(target).hostname;
    window.tracker = window.snowtrackApi.newTracker('sp', location.origin, {
      appId, cookieSecure: false, lifecycleAutotracking: false, crossDomainLinker: linker, ...options,
    });
    window.tracker.setUserId('alice@example.com');
    window.tracker.trackPageView();
    return { duid: window.tracker.getDomainUserId(), sid: window.tracker.getDomainSessionId() };
  }, { appId, options, target: second });
}

/** Follows a link to `to.html` on the other origin, from `from.html`; the events of both pages. */
async function follow(t, options) {
  const { page, messages, pageErrors } = await fresh(t);
  await goto(page, `${first}/from.html`);
  const source = await snowtrack(page, 'site-a', options);
  await page.evaluate((href) => {
    document.body.insertAdjacentHTML('beforeend', `<a id="out" href="${href}">To the checkout</a><a id="stay" href="/x">here</a>`);
  }, `${second}/to.html?step=pay#top`);
  await collector.waitForGood(1);
  const clickedAt = Date.now();
  await page.click('#out');
  await page.waitForURL(`${second}/to.html**`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 });
  const url = page.url();
  const target = await page.evaluate(() => {
    window.tracker = window.snowtrackApi.newTracker('sp', location.origin, { appId: 'site-b', cookieSecure: false, lifecycleAutotracking: false });
    window.tracker.trackPageView();
    return { duid: window.tracker.getDomainUserId() };
  });
  const good = await collector.waitForGood(2);
  const landing = good.find((g) => g.event.app_id === 'site-b');
  assert.ok(landing, 'the second page view arrived');
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(consoleErrors(messages), []);
  return { source, target, url, landing, clickedAt };
}

/** The `_sp` parameter of a URL. */
const spOf = (url) => new URL(url).searchParams.get('_sp');
/** base64url without padding, as both trackers write it. */
const b64u = (text) => Buffer.from(text, 'utf8').toString('base64url');

test('a click from 127.0.0.1 to localhost carries the first origin\'s duid: refr_domain_userid on the second', TIMEOUT, async (t) => {
  const { source, target, url, landing, clickedAt } = await follow(t, {});
  assert.notEqual(source.duid, target.duid, 'the two origins keep apart cookies');
  const [duid, ms, ...rest] = spOf(url).split('.');
  assert.equal(duid, source.duid);
  assert.deepEqual(rest, []);
  assert.ok(Math.abs(Number(ms) - clickedAt) < 5_000, `${ms} is the time of the click`);
  assert.match(url, /\/to\.html\?_sp=[^&]+&step=pay#top$/, 'put first, the query and fragment kept');
  const e = landing.event;
  assert.equal(e.domain_userid, target.duid);
  assert.equal(e.refr_domain_userid, source.duid);
  assert.equal(Date.parse(e.refr_dvce_tstamp), Number(ms));
  // Enrich's cross-navigation entity comes with the plain value too (the other fields null).
  const nav = e.derived_contexts.data.find((c) => c.schema === CROSS_NAVIGATION);
  assert.deepEqual(nav.data, {
    domain_user_id: source.duid, timestamp: e.refr_dvce_tstamp, session_id: null, user_id: null, source_id: null,
    source_platform: null, reason: null,
  });
  assert.ok(landing.contexts.includes(CROSS_NAVIGATION), '/micro/good lists the derived entity');
  // The live view shows where the user came from.
  const { page } = await fresh(t, { reset: false });
  await page.goto(`${first}/micro/ui`);
  await page.waitForSelector(`text=cross-domain from ${source.duid}`, { timeout: 10_000 });
});

test('the extended value: the cross_navigation entity carries the session, user, app, platform and reason', TIMEOUT, async (t) => {
  const options = { useExtendedCrossDomainLinker: { userId: true, sourcePlatform: true, reason: true } };
  const { source, url, landing } = await follow(t, options);
  const fields = spOf(url).split('.');
  assert.equal(fields.length, 7);
  assert.deepEqual([fields[0], ...fields.slice(2)],
    [source.duid, source.sid, b64u('alice@example.com'), b64u('site-a'), 'web', b64u('To the checkout')]);
  const e = landing.event;
  assert.equal(e.refr_domain_userid, source.duid);
  const nav = e.derived_contexts.data.find((c) => c.schema === CROSS_NAVIGATION);
  assert.deepEqual(nav.data, {
    domain_user_id: source.duid, timestamp: e.refr_dvce_tstamp, session_id: source.sid, user_id: 'alice@example.com',
    source_id: 'site-a', source_platform: 'web', reason: 'To the checkout',
  });
});

/**
 * One page, both trackers sharing the same cookies (the JS tracker first, its cookies flushed),
 * each decorating its own link (`.js` or `.st`) with the same options; the navigation is
 * prevented and each link's `href` read after a click. `anonymous`: both trackers anonymous.
 */
async function bothValues(t, options, { anonymous = false } = {}) {
  const { page, pageErrors } = await fresh(t);
  await goto(page, `${first}/both.html`);
  const values = await page.evaluate(async ({ options, anonymous, target }) => {
    document.body.insertAdjacentHTML('beforeend', `
      <a id="js" class="js" href="${target}/to.html?a=1">Go to checkout</a>
      <a id="st" class="st" href="${target}/to.html?a=1">Go to checkout</a>`);
    document.addEventListener('click', (e) => e.preventDefault());
    const ext = options.useExtendedCrossDomainLinker;
    // 'function': a reason function of the event (it cannot cross from the test as a function).
    const extended = ext && ext.reason === 'function'
      ? { ...ext, reason: (e) => `${e.currentTarget.tagName}:${e.currentTarget.textContent.trim().toUpperCase()}` }
      : ext;
    const config = (kind) => ({
      appId: 'xdomain', cookieSecure: false, contexts: { session: true, webPage: true }, ...options,
      ...(extended === undefined ? {} : { useExtendedCrossDomainLinker: extended }),
      crossDomainLinker: (link) => link.classList.contains(kind),
      ...(anonymous ? { anonymousTracking: true } : {}),
    });
    window.snowplow.newTracker('js', location.origin, config('js'));
    window.snowplow.setUserId('bob@example.com');
    window.snowplow.trackPageView();
    window.snowplow.flushPendingCookies();
    await new Promise((resolve) => setTimeout(resolve, 120));
    const tracker = window.snowtrackApi.newTracker('st', location.origin, { ...config('st'), lifecycleAutotracking: false });
    window.tracker = tracker; // kept: a tracker freed or collected stops decorating
    tracker.setUserId('bob@example.com');
    return { duid: tracker.getDomainUserId(), sid: tracker.getDomainSessionId() };
  }, { options, anonymous, target: second });
  const before = Date.now();
  await page.click('#js');
  await page.click('#st');
  const js = spOf(await page.getAttribute('#js', 'href'));
  const st = spOf(await page.getAttribute('#st', 'href'));
  assert.deepEqual(pageErrors, []);
  return { js, st, ids: values, before };
}

/** Compares the two values field by field: the timestamps within a few seconds, the rest equal. */
function sameFields(js, st, before) {
  const [a, b] = [js.split('.'), st.split('.')];
  assert.equal(b.length, a.length, `${st} vs ${js}`);
  assert.equal(b[0], a[0], 'duid');
  assert.match(b[1], /^\d{13}$/);
  assert.ok(Math.abs(Number(b[1]) - Number(a[1])) < 5_000 && Number(b[1]) >= before - 1_000, 'timestamps close');
  assert.deepEqual(b.slice(2), a.slice(2), 'sid, base64url(uid), base64url(aid), platform, base64url(reason)');
}

test('snowtrack\'s _sp equals @snowplow/browser-tracker 4.10.1\'s, field by field: plain', TIMEOUT, async (t) => {
  const { js, st, ids, before } = await bothValues(t, {});
  assert.match(js, /^[0-9a-f-]{36}\.\d{13}$/, `the JS tracker's value: ${js}`);
  assert.equal(st.split('.')[0], ids.duid, 'one duid: the shared cookie');
  sameFields(js, st, before);
});

test('snowtrack\'s _sp equals @snowplow/browser-tracker 4.10.1\'s, field by field: extended true and every field', TIMEOUT, async (t) => {
  let { js, st, ids, before } = await bothValues(t, { useExtendedCrossDomainLinker: true });
  assert.equal(js.split('.').length, 5, `the JS tracker's default extended value: ${js}`);
  assert.equal(st.split('.')[2], ids.sid);
  sameFields(js, st, before);
  const all = { userId: true, sessionId: true, sourceId: true, sourcePlatform: true, reason: true };
  ({ js, st, before } = await bothValues(t, { useExtendedCrossDomainLinker: all }));
  assert.equal(js.split('.').length, 7, js);
  assert.equal(js.split('.')[3], b64u('bob@example.com'));
  sameFields(js, st, before);
  // A reason function of the event, called with the link as the event's currentTarget.
  const reason = { reason: 'function' };
  ({ js, st, before } = await bothValues(t, { useExtendedCrossDomainLinker: reason }));
  sameFields(js, st, before);
});

test('while anonymous both trackers leave the duid out', TIMEOUT, async (t) => {
  const { js, st } = await bothValues(t, { useExtendedCrossDomainLinker: true }, { anonymous: true });
  const [a, b] = [js.split('.'), st.split('.')];
  assert.deepEqual([a[0], b[0]], ['', ''], `${st} vs ${js}`);
  assert.equal(b.length, a.length);
  // Each tracker's anonymous session is its own (the JS tracker keeps it in memory): the app id
  // after it is the same.
  assert.match(b[2], /^[0-9a-f-]{36}$/);
  assert.deepEqual(b.slice(3), a.slice(3));
});

test('crossDomainLinker(fn) replaces the linker, links added later included; other links are left alone', TIMEOUT, async (t) => {
  const { page, pageErrors } = await fresh(t);
  await goto(page, `${first}/from.html`);
  await snowtrack(page, 'site-a', {});
  await page.evaluate((target) => {
    document.addEventListener('click', (e) => e.preventDefault());
    window.tracker.crossDomainLinker((link) => link.id === 'later');
    document.body.insertAdjacentHTML('beforeend', `<a id="later" href="${target}/p"><b id="inner">later</b></a><a id="other" href="${target}/q">other</a>`);
  }, second);
  await page.click('#inner');
  await page.click('#other');
  assert.match(await page.getAttribute('#later', 'href'), /\/p\?_sp=[0-9a-f-]{36}\.\d{13}$/);
  assert.equal(await page.getAttribute('#other', 'href'), `${second}/q`);
  await sleep(100);
  assert.deepEqual(pageErrors, []);
});

test('the async tag: a newTracker option crossDomainLinker loads the full build, which decorates', TIMEOUT, async (t) => {
  const { page, pageErrors, messages } = await fresh(t);
  const requested = [];
  page.on('request', (r) => requested.push(new URL(r.url()).pathname));
  await page.goto(`${first}/tag.html`);
  const [pv] = await collector.waitForGood(1);
  assert.ok(requested.includes('/npm/web/snowtrack_bg.wasm'), requested.join(' '));
  await page.click('#out');
  const href = await page.getAttribute('#out', 'href');
  assert.match(href, new RegExp(`^${second}/to\\.html\\?_sp=${pv.event.domain_userid}\\.\\d{13}$`));
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(consoleErrors(messages), []);
});
