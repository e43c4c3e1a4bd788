// Link click tracking in headless Chromium with real clicks, against the real collector: a click
// that navigates away still arrives (its request goes with keepalive), links added later are
// tracked (one delegated listener), filters, pseudo-clicks, content and context functions, and
// the async tag's commands for the whole web data model.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCHEMAS, entity, kind, openPage, setup, sleep, unstructData, waitFor } from './support.mjs';
import {
  NPM_DIR, ensurePackage, html, inlineScript, snippetTag, startStaticServer, tempDir, writeTree,
} from './package-support.mjs';

/** No favicon request (a 404 would be a console error). */
const ICON = '<link rel="icon" href="data:,">';
const TIMEOUT = { timeout: 90_000 };

const LOAD = `<script type="module">
  import init, * as snowtrack from './pkg/snowtrack.js';
  await init();
  window.snowtrack = snowtrack;
  document.body.dataset.ready = 'true';
</script>`;

/** Records each fetch's keepalive flag in sessionStorage (kept across the navigation), as an init script. */
function recordKeepalive() {
  const { fetch } = window;
  window.fetch = function (url, init) {
    const log = JSON.parse(sessionStorage.getItem('fetches') || '[]');
    log.push({ url: String(url), keepalive: !!(init && init.keepalive) });
    sessionStorage.setItem('fetches', JSON.stringify(log));
    return fetch.apply(this, arguments);
  };
}

async function site(t, pages) {
  const dir = await tempDir(t);
  await writeTree(dir, pages);
  return dir;
}

test('a click on a link that navigates away arrives: its request goes with keepalive', TIMEOUT, async (t) => {
  const dir = await site(t, {
    'index.html': html({ title: 'from', head: ICON, body: `<a id="out" class="nav" href="/to.html">to</a>\n${LOAD}` }),
    'to.html': html({ title: 'to', head: ICON, body: '<p>no tracker here</p>' }),
  });
  const { collector, context, page, pageErrors } = await setup(t, { siteDir: dir });
  await context.addInitScript(recordKeepalive);
  await openPage(page, collector);
  await page.evaluate(() => {
    // Lifecycle autotracking off: the page hiding would send application_background too.
    window.tracker = window.snowtrack.newTracker('sp', location.origin, { appId: 'leave', lifecycleAutotracking: false });
    window.tracker.enableLinkClickTracking();
    window.tracker.trackPageView();
  });
  await collector.waitForGood(1);
  // The collector holds the next request 1.5 s: long after the page is gone.
  await collector.request('/snowtrack/faults', { delayMs: 1500, count: 1 });
  await page.click('#out');
  await page.waitForURL('**/to.html');
  const [, click] = await collector.waitForGood(2, { timeout: 10_000 });
  assert.equal(click.schema, SCHEMAS.linkClick);
  assert.deepEqual(unstructData(click), {
    targetUrl: `${collector.url}/to.html`, elementId: 'out', elementClasses: ['nav'], elementTarget: '',
  });
  assert.equal(click.event.page_url, `${collector.url}/`, 'tracked on the page it left');
  const fetches = await page.evaluate(() => JSON.parse(sessionStorage.getItem('fetches')));
  const requests = fetches.filter((f) => f.url.endsWith('/tp2'));
  assert.deepEqual(requests.map((f) => f.keepalive), [false, true], 'the page view normally, the click with keepalive, once');
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(pageErrors, []);
});

test('one delegated listener: later links, filters, pseudo-clicks, content and context', TIMEOUT, async (t) => {
  const dir = await site(t, { 'index.html': html({ title: 'links', head: ICON, body: LOAD }) });
  const { collector, page, pageErrors } = await setup(t, { siteDir: dir });
  await openPage(page, collector);
  await page.evaluate(() => {
    const links = [
      '<a id="a1" class="track me" href="https://Shop.Example.com/a1?x=1"><span id="inner">one</span></a>',
      '<a id="a2" class="other" href="/a2">two</a>',
      '<a id="js" class="track" href="javascript:void(0)">script</a>',
    ];
    for (const markup of links) {
      const box = document.createElement('p');
      box.innerHTML = markup;
      box.firstChild.addEventListener('click', (e) => e.preventDefault());
      box.firstChild.addEventListener('auxclick', (e) => e.preventDefault());
      document.body.appendChild(box);
    }
    window.tracker = window.snowtrack.newTracker('sp', location.origin, { appId: 'links' });
    window.tracker.enableLinkClickTracking({
      options: { allowlist: ['track'] },
      trackContent: true,
      context: [
        { schema: 'iglu:com.snowplowanalytics.snowplow/application/jsonschema/1-0-0', data: { version: '1' } },
        (link) => ({ schema: 'iglu:com.snowplowanalytics.snowplow/application/jsonschema/1-0-0', data: { version: link.id } }),
        () => null,
        () => { throw new Error('dropped'); },
      ],
    });
  });
  // Added after enabling: tracked without any refresh.
  await page.evaluate(() => {
    const late = document.createElement('a');
    late.id = 'late';
    late.className = 'track';
    late.href = '/late';
    late.textContent = 'late';
    late.addEventListener('click', (e) => e.preventDefault());
    document.body.appendChild(late);
    window.tracker.refreshLinkClickTracking(); // a no-op, as in the JS tracker
  });
  await page.click('#inner'); // a child of the link
  await page.click('#a2'); // not on the allowlist
  await page.click('#js'); // a script link
  await page.click('#late');
  const [a1, late] = await collector.waitForGood(2);
  assert.deepEqual(unstructData(a1), {
    targetUrl: 'https://shop.example.com/a1?x=1', elementId: 'a1', elementClasses: ['track', 'me'],
    elementTarget: '', elementContent: '<span id="inner">one</span>',
  });
  const versions = (g) => g.event.contexts.data.filter((c) => c.schema.includes('/application/')).map((c) => c.data.version);
  assert.deepEqual(versions(a1), ['1', 'a1'], 'static entities and functions of the link; null and throws left out');
  assert.equal(unstructData(late).targetUrl, `${collector.url}/late`);

  // Pseudo-clicks: mousedown + mouseup of the left or middle button on one link; enabling again replaces.
  await page.evaluate(() => window.tracker.enableLinkClickTracking({ pseudoClicks: true }));
  await page.click('#a2', { button: 'middle' });
  await page.click('#a2', { button: 'right' });
  await page.click('#a2');
  const good = await collector.waitForGood(4);
  assert.deepEqual(good.slice(2).map((g) => unstructData(g).elementId), ['a2', 'a2'], 'middle and left, not right');
  assert.equal(unstructData(good[2]).elementContent, undefined, 'trackContent is off again');
  for (const g of good) assert.ok(entity(g, SCHEMAS.webPage), 'the web_page entity');
  await page.evaluate(() => window.tracker.disableLinkClickTracking());
  await page.click('#a2');
  await sleep(400);
  assert.equal((await collector.good()).length, 4, 'nothing after disableLinkClickTracking');
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(pageErrors, []);
});

/** The tag's commands, inline right after it. */
function tagCommands() {
  const st = window.snowtrack;
  st('newTracker', 'sp', window.location.origin, { appId: 'tag' });
  st('enableActivityTracking', { minimumVisitLength: 1, heartbeatDelay: 1 });
  st('enableLinkClickTracking');
  st('setCustomUrl', '/virtual/landing');
  st('setReferrerUrl', 'https://referrer.example/');
  st('setDocumentTitle', 'Virtual landing');
  st('preservePageViewId');
  st('trackPageView');
  st(function () {
    const sp = this.sp;
    window.getters = {
      pageViewId: sp.getPageViewId(), userId: sp.getUserId(), info: sp.getDomainUserInfo(), tabId: sp.getTabId(),
    };
    document.body.dataset.tagged = 'true';
  });
}

test('the async tag runs the web data model commands', TIMEOUT, async (t) => {
  const { version } = ensurePackage();
  const cdn = await startStaticServer(t, { mounts: { [`/npm/snowtrack@${version}/`]: NPM_DIR } });
  const dir = await site(t, {
    'index.html': html({
      title: 'tag',
      head: ICON + snippetTag({ src: `${cdn.url}/npm/snowtrack@${version}/loader.js` }) + inlineScript(tagCommands),
      body: '<a id="out" href="/next.html">next</a>',
    }),
    'next.html': html({ title: 'next', head: ICON }),
  });
  const { collector, page, pageErrors } = await setup(t, { siteDir: dir });
  await page.goto(`${collector.url}/`);
  await page.waitForSelector('body[data-tagged="true"]', { state: 'attached', timeout: 15_000 });
  const getters = await page.evaluate(() => window.getters);
  await page.mouse.move(10, 10);
  await waitFor(async () => (await collector.good()).some((g) => kind(g) === 'page_ping'), { timeout: 8_000, message: 'a ping' });
  await page.click('#out');
  await waitFor(async () => (await collector.good()).some((g) => kind(g) === 'link_click'), { timeout: 8_000, message: 'the click' });
  const good = await collector.good();
  const pv = good.find((g) => kind(g) === 'page_view');
  assert.equal(pv.event.page_url, `${collector.url}/virtual/landing`);
  assert.equal(pv.event.page_referrer, 'https://referrer.example/');
  assert.equal(pv.event.page_title, 'Virtual landing');
  const ping = good.find((g) => kind(g) === 'page_ping');
  assert.equal(entity(ping, SCHEMAS.webPage).id, entity(pv, SCHEMAS.webPage).id);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(pageErrors, []);
  assert.equal(getters.pageViewId, entity(pv, SCHEMAS.webPage).id);
  assert.equal(getters.userId, null);
  assert.equal(getters.info[0], '0');
  assert.match(getters.tabId, /^[0-9a-f-]{36}$/);
});
