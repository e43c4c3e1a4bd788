// A single-page app in headless Chromium against the real collector: a small router tracks a
// page view after each pushState and back/forward (as sites do with the JS tracker); the page
// views get the previous URL as referrer, the title the app set and a new page view id each.
// Then the async tag running the new commands (activity tracking, SPA setters, getters).
// Every event Iglu-valid.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCHEMAS, entity, kind, openPage, setup, waitFor } from './support.mjs';
import {
  NPM_DIR, ensurePackage, html, inlineScript, snippetTag, startStaticServer, tempDir, writeTree,
} from './package-support.mjs';

/** No favicon request (a 404 would be a console error). */
const ICON = '<link rel="icon" href="data:,">';
const TIMEOUT = { timeout: 60_000 };

/** A tiny router: links with data-route push a state, set the title and track a page view. */
const APP = html({
  title: 'Home',
  head: ICON,
  body: `<nav>
  <a data-route="Pricing" href="/app/pricing">pricing</a>
  <a data-route="About" href="/app/about?tab=team">about</a>
</nav>
<script>
  const show = (title) => {
    document.title = title;
    window.tracker.trackPageView();
  };
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-route]');
    if (!link) return;
    event.preventDefault();
    history.pushState({ title: link.dataset.route }, '', link.href);
    show(link.dataset.route);
  });
  addEventListener('popstate', (event) => show((event.state && event.state.title) || 'Home'));
</script>
<script type="module">
  import init, * as snowtrack from '/pkg/snowtrack.js';
  await init();
  window.snowtrack = snowtrack;
  document.body.dataset.ready = 'true';
</script>`,
});

test('SPA page views get the previous URL as referrer, their title and a new id each', TIMEOUT, async (t) => {
  const dir = await tempDir(t);
  await writeTree(dir, { 'index.html': APP });
  const { collector, page, pageErrors } = await setup(t, { siteDir: dir });
  await openPage(page, collector);
  const home = page.url();
  await page.evaluate(() => {
    window.tracker = window.snowtrack.newTracker('sp', location.origin, { appId: 'spa' });
    window.tracker.trackPageView();
  });
  await page.click('text=pricing');
  await page.click('text=about');
  await page.goBack(); // popstate to /app/pricing
  const good = await collector.waitForGood(4);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), Array(4).fill('page_view'));
  const at = (path) => `${collector.url}${path}`;
  assert.deepEqual(good.map((g) => [g.event.page_url, g.event.page_referrer ?? '', g.event.page_title]), [
    [home, '', 'Home'],
    [at('/app/pricing'), home, 'Pricing'],
    [at('/app/about?tab=team'), at('/app/pricing'), 'About'],
    [at('/app/pricing'), at('/app/about?tab=team'), 'Pricing'],
  ]);
  const ids = good.map((g) => entity(g, SCHEMAS.webPage).id);
  assert.equal(new Set(ids).size, 4, 'a page view id each');
  assert.equal(await page.evaluate(() => window.tracker.getPageViewId()), ids[3]);
  assert.deepEqual(pageErrors, []);
});

/** The tag's commands, inline right after it. */
function tagCommands() {
  const st = window.snowtrack;
  st('newTracker', 'sp', window.location.origin, { appId: 'tag' });
  st('enableActivityTracking', { minimumVisitLength: 1, heartbeatDelay: 1 });
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
  const dir = await tempDir(t);
  await writeTree(dir, {
    'index.html': html({
      title: 'tag',
      head: ICON + snippetTag({ src: `${cdn.url}/npm/snowtrack@${version}/loader.js` }) + inlineScript(tagCommands),
    }),
  });
  const { collector, page, pageErrors } = await setup(t, { siteDir: dir });
  await page.goto(`${collector.url}/`);
  await page.waitForSelector('body[data-tagged="true"]', { state: 'attached', timeout: 15_000 });
  const getters = await page.evaluate(() => window.getters);
  await page.mouse.move(10, 10);
  await waitFor(async () => (await collector.good()).some((g) => kind(g) === 'page_ping'), { timeout: 8_000, message: 'a ping' });
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
