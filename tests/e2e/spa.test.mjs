// A single-page app in headless Chromium against the real collector: with
// `pageViewAutotracking: 'history'`, navigation by pushState (a router's links) and back/forward
// (popstate) gives page views whose referrer is the previous URL, each with its own page view id
// and the title the app set; in-page anchors are no page views. Every event Iglu-valid.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SCHEMAS, entity, kind, openPage, setup } from './support.mjs';
import { html, tempDir, writeTree } from './package-support.mjs';

/** No favicon request (a 404 would be a console error). */
const ICON = '<link rel="icon" href="data:,">';
const TIMEOUT = { timeout: 60_000 };

/** A tiny router: links with data-route push a state and set the title, popstate restores it. */
const APP = html({
  title: 'Home',
  head: ICON,
  body: `<nav>
  <a data-route="Pricing" href="/app/pricing">pricing</a>
  <a data-route="About" href="/app/about?tab=team">about</a>
  <a id="anchor" href="#details">details</a>
</nav>
<section id="details" style="margin-top: 2000px">details</section>
<script>
  document.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-route]');
    if (!link) return;
    event.preventDefault();
    history.pushState({ title: link.dataset.route }, '', link.href);
    document.title = link.dataset.route;
  });
  addEventListener('popstate', (event) => { document.title = (event.state && event.state.title) || 'Home'; });
</script>
<script type="module">
  import init, * as snowtrack from '/pkg/snowtrack.js';
  await init();
  window.snowtrack = snowtrack;
  document.body.dataset.ready = 'true';
</script>`,
});

test('history navigation gives page views with the previous URL as referrer, titles and new ids', TIMEOUT, async (t) => {
  const dir = await tempDir(t);
  await writeTree(dir, { 'index.html': APP });
  const { collector, page, pageErrors } = await setup(t, { siteDir: dir });
  await openPage(page, collector);
  const home = page.url();
  await page.evaluate(() => {
    window.tracker = window.snowtrack.newTracker('sp', location.origin, { appId: 'spa', pageViewAutotracking: 'history' });
    window.tracker.trackPageView();
  });
  await page.click('text=pricing');
  await collector.waitForGood(2);
  await page.click('#anchor'); // /app/pricing#details: the fragment alone, no page view
  await page.click('text=about');
  await collector.waitForGood(3);
  await page.goBack(); // popstate to /app/pricing#details
  await collector.waitForGood(4);
  await page.goBack(); // popstate to /app/pricing: the fragment alone
  await page.goBack(); // popstate to the start
  const good = await collector.waitForGood(5);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), Array(5).fill('page_view'));
  const at = (path) => `${collector.url}${path}`;
  assert.deepEqual(good.map((g) => [g.event.page_url, g.event.page_referrer ?? '', g.event.page_title]), [
    [home, '', 'Home'],
    [at('/app/pricing'), home, 'Pricing'],
    // The referrer is the URL at the event before (the JS tracker's rule), not the fragment's.
    [at('/app/about?tab=team'), at('/app/pricing'), 'About'],
    [at('/app/pricing#details'), at('/app/about?tab=team'), 'Home'],
    [home, at('/app/pricing#details'), 'Home'],
  ]);
  const ids = good.map((g) => entity(g, SCHEMAS.webPage).id);
  assert.equal(new Set(ids).size, 5, 'a page view id each');
  assert.equal(await page.evaluate(() => window.tracker.getPageViewId()), ids[4]);
  assert.deepEqual(pageErrors, []);
});
