// The async snippet (pkg/npm/snippet.min.js, exactly as shipped) on a plain HTML page served by
// the collector, loading pkg/npm/loader.js from another origin under a sub-path, as from a CDN.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { launchBrowser, parseIdCookie, trackerCookies, TRACKER_VERSION, waitFor } from './support.mjs';
import {
  LINK_CLICK, NPM_DIR, ensurePackage, fileScope, html, inlineScript, openContext, snippetTag,
  snowtrackWarnings, summary, startCollector, startStaticServer, tempDir, wasmProbe, writeTree,
} from './package-support.mjs';

const TIMEOUT = { timeout: 60_000 };
const scope = fileScope();
let collector;
let browser;
let loaderUrl;

/**
 * Run inline right after the tag, before the loader can have arrived: two trackers (each with its
 * own cookies), every kind of command, and four that fail (invalid event, unknown command,
 * throwing callback, unknown target) between the ones that must still run.
 */
function queueCommands(linkClick) {
  const st = window.snowtrack;
  const config = (appId, cookieName) => ({ appId, cookieName, contexts: { session: true, webPage: true } });
  st('newTracker', 'sp', window.location.origin, config('snippet-sp', '_sp_'));
  st('trackPageView', { title: 'queued' });
  st('trackSelfDescribingEvent', { event: { schema: linkClick, data: { targetUrl: 'https://example.com/' } } });
  st('trackSelfDescribingEvent', { event: { schema: 'not-an-iglu-uri', data: {} } }); // fails
  st('newTracker', 'sp2', window.location.origin, config('snippet-sp2', '_sp2_'));
  st('trackStructEvent', { category: 'snippet', action: 'both' }); // sp and sp2
  st('trackStructEvent:sp2', { category: 'snippet', action: 'only-sp2' });
  st(function readIds(label) {
    window.seen = { label, duid: this.sp.getDomainUserId(), sid: this.sp.getDomainSessionId(), namespaces: Object.keys(this) };
  }, 'callback-arg');
  st('noSuchCommand'); // fails
  st(function () { throw new Error('callback boom'); }); // fails
  st('trackStructEvent:sp;nope', { category: 'snippet', action: 'sp-and-missing' }); // warns about 'nope'
  st('trackPageView:sp', { title: 'last' });
  st(function () { document.body.dataset.replayed = 'true'; });
  window.queuedBeforeLoad = st.q.length;
}

before(async () => {
  const { version } = ensurePackage();
  const cdn = await startStaticServer(scope, { mounts: { [`/npm/snowtrack@${version}/`]: NPM_DIR } });
  loaderUrl = `${cdn.url}/npm/snowtrack@${version}/loader.js`;
  const site = await writeTree(await tempDir(scope), {
    'index.html': html({ title: 'snippet', head: snippetTag({ src: loaderUrl }) + inlineScript(queueCommands, [LINK_CLICK]) }),
  });
  collector = await startCollector(scope, site);
  browser = await launchBrowser(scope);
});

test('commands queued before the loader arrives run in order; failing ones are logged and skipped', TIMEOUT, async (t) => {
  await collector.reset();
  const { context, page, messages, pageErrors } = await openContext(browser, { initScripts: [wasmProbe] });
  t.after(() => collector.closeAndSettle(context));
  await page.goto(`${collector.url}/`);
  await page.waitForFunction(() => document.body.dataset.replayed === 'true', null, { timeout: 15_000 });
  assert.equal(await page.evaluate(() => window.queuedBeforeLoad), 13, 'all 13 commands were queued before load');

  const good = await collector.waitForGood(7);
  assert.deepEqual(await collector.bad(), []);
  // Command order: each tracker's event index, and device timestamps across both.
  const labelled = good.map(summary).map((e) => [`${e.appId} ${e.title ?? e.action ?? e.kind}`, e]);
  const order = [
    'snippet-sp queued', 'snippet-sp link_click', 'snippet-sp both', 'snippet-sp2 both',
    'snippet-sp2 only-sp2', 'snippet-sp sp-and-missing', 'snippet-sp last',
  ];
  // Every label once: a command run twice would show here as a repeated label.
  assert.deepEqual(labelled.map(([label]) => label).sort(), [...order].sort(), 'the events of the commands that succeeded, each once');
  const byLabel = new Map(labelled);
  const events = order.map((label) => byLabel.get(label));
  assert.deepEqual(events.map((e) => e.eventIndex), [1, 2, 3, 1, 2, 4, 5], 'event index per tracker in command order');
  events.slice(1).forEach((e, i) => assert.ok(e.dvce >= events[i].dvce, `${order[i + 1]} has a device timestamp before ${order[i]}`));
  assert.ok(events.every((e) => e.tracker === TRACKER_VERSION));

  // The callback ran in order with `this` = the trackers and its extra arguments.
  const seen = await page.evaluate(() => window.seen);
  const id = parseIdCookie((await trackerCookies(context)).id.value);
  assert.deepEqual(seen, { label: 'callback-arg', duid: id.duid, sid: id.sessionId, namespaces: ['sp', 'sp2'] });
  assert.ok(events.filter((e) => e.appId === 'snippet-sp').every((e) => e.duid === id.duid && e.sid === id.sessionId));

  const warnings = snowtrackWarnings(messages);
  const expected = [
    /'trackSelfDescribingEvent' failed for 'sp':.*event\.schema/,
    /'noSuchCommand' failed:.*unknown command 'noSuchCommand'/,
    /callback failed:.*callback boom/,
    /'trackStructEvent:sp;nope': no tracker named 'nope'/,
  ];
  assert.equal(warnings.length, expected.length, `warnings:\n${warnings.join('\n')}`);
  expected.forEach((re, i) => assert.match(warnings[i], re));
  assert.deepEqual(pageErrors, [], 'nothing was thrown into the page');

  // Loaded from another origin under a sub-path, compiled while streaming.
  assert.deepEqual(await page.evaluate(() => window.wasmProbe), { streaming: 1, streamed: 1, buffered: 0 });
});

test('after loading, commands run at once; a tag with another global name is served too', TIMEOUT, async (t) => {
  await collector.reset();
  const { context, page, messages, pageErrors } = await openContext(browser);
  t.after(() => collector.closeAndSettle(context));
  await page.goto(`${collector.url}/`);
  await page.waitForFunction(() => document.body.dataset.replayed === 'true', null, { timeout: 15_000 });
  await collector.waitForGood(7);
  await collector.reset();

  const direct = await page.evaluate(() => {
    let before;
    let after;
    window.snowtrack(function () { before = this.sp.getSessionContext().eventIndex; });
    window.snowtrack('trackStructEvent:sp', { category: 'snippet', action: 'direct' });
    window.snowtrack(function () { after = this.sp.getSessionContext().eventIndex; });
    return { before, after, pending: window.snowtrack.q.length };
  });
  assert.deepEqual(direct, { before: 5, after: 6, pending: 0 }, 'each call ran before snowtrack() returned');

  // The same tag again under another name, after the loader ran: its queue is served at once.
  const tag = snippetTag({ src: loaderUrl, name: 'lateTag' });
  await page.addScriptTag({ content: tag.replace(/^<script>|<\/script>$/g, '') });
  await page.evaluate(() => {
    window.lateTag('newTracker', 'late', window.location.origin, { appId: 'snippet-late', cookieName: '_late_' });
    window.lateTag('trackPageView', { title: 'late tag' });
    window.lateTag(function () { window.lateNamespaces = Object.keys(this); });
  });
  await waitFor(() => page.evaluate(() => window.lateNamespaces), { message: 'the late tag to be served' });
  assert.deepEqual(await page.evaluate(() => window.lateNamespaces), ['late'], 'each global name has its own trackers');
  assert.deepEqual(await page.evaluate(() => window.SnowtrackNamespace), ['snowtrack', 'lateTag']);

  const good = await collector.waitForGood(2);
  assert.deepEqual(good.map((g) => [g.event.app_id, g.event.se_action ?? g.event.page_title]),
    [['snippet-sp', 'direct'], ['snippet-late', 'late tag']]);
  assert.equal(await page.locator('script[type="module"]').count(), 2, 'each tag adds the loader once');
  assert.equal(snowtrackWarnings(messages).length, 4, 'only the 4 warnings of the queued failures');
  assert.deepEqual(pageErrors, []);
});
