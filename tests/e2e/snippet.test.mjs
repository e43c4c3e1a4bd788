// The async snippet (pkg/npm/snippet.min.js, exactly as shipped) on a plain HTML page served by
// the collector, loading pkg/npm/loader.js from another origin under a sub-path, as from a CDN.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { kind, launchBrowser, parseIdCookie, trackerCookies, TRACKER_VERSION, waitFor } from './support.mjs';
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

/**
 * Every command of sp.js 4.x: the browser tracker's API (its core commands) and the commands of
 * the plugins sp.js bundles (read from snowplow-javascript-tracker's sources: trackers/browser-tracker
 * api.ts, and each plugin's exports), each with arguments it accepts. '\u0000f' stands for a
 * function (built in the page).
 */
const SP_JS_COMMANDS = {
  core: [
    ['newSession'], ['getDomainSessionId'], ['setReferrerUrl', 'https://ref.example/'], ['setCustomUrl', '/custom'],
    ['setDocumentTitle', 'Title'], ['discardHashTag', true], ['discardBrace', true], ['setCookiePath', '/'],
    ['setVisitorCookieTimeout', 63072000], ['crossDomainLinker', '\u0000f'],
    ['enableActivityTracking', { minimumVisitLength: 30, heartbeatDelay: 10 }],
    ['enableActivityTrackingCallback', { minimumVisitLength: 30, heartbeatDelay: 10, callback: '\u0000f' }],
    ['disableActivityTracking'], ['disableActivityTrackingCallback'], ['updatePageActivity'], ['setOptOutCookie', 'opted-out'],
    ['setUserId', 'user'], ['setUserIdFromLocation', 'uid'], ['setUserIdFromReferrer', 'uid'], ['setUserIdFromCookie', 'uid'],
    ['setCollectorUrl', 'COLLECTOR'], ['setBufferSize', 1], ['flushBuffer', { newBufferSize: 1 }], ['trackPageView', {}],
    ['trackStructEvent', { category: 'walk', action: 'walk' }],
    ['trackSelfDescribingEvent', { event: { schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', data: { targetUrl: 'https://example.com/' } } }],
    ['addGlobalContexts', []], ['removeGlobalContexts', []], ['clearGlobalContexts'], ['preservePageViewId'],
    ['enableAnonymousTracking'], ['disableAnonymousTracking'], ['clearUserData'], ['addPlugin', { plugin: {} }],
  ],
  'link-click-tracking': [['enableLinkClickTracking'], ['refreshLinkClickTracking'], ['trackLinkClick', { targetUrl: 'https://example.com/' }], ['disableLinkClickTracking']],
  'site-tracking': [['trackTiming', { category: 'walk', variable: 'walk', timing: 1 }], ['trackSiteSearch', { terms: ['x'] }], ['trackSocialInteraction', { action: 'like', network: 'x' }]],
  'ad-tracking': [['trackAdImpression', {}], ['trackAdClick', { targetUrl: 'https://example.com/' }], ['trackAdConversion', {}]],
  'button-click-tracking': [['enableButtonClickTracking'], ['disableButtonClickTracking'], ['trackButtonClick', { label: 'x' }]],
  'enhanced-consent': ['trackCmpVisible', 'trackConsentAllow', 'trackConsentSelected', 'trackConsentPending', 'trackConsentImplicit', 'trackConsentDeny', 'trackConsentExpired'].map((c) => [c, {}]),
  'error-tracking': [['enableErrorTracking'], ['trackError', { message: 'x' }]],
  'form-tracking': [['enableFormTracking'], ['disableFormTracking']],
  'snowplow-ecommerce': [
    'setPageType', 'setEcommerceUser', 'trackCheckoutStep', 'trackProductListView', 'trackProductListClick', 'trackPromotionView',
    'trackPromotionClick', 'trackProductView', 'trackAddToCart', 'trackRemoveFromCart', 'trackTransaction', 'trackRefund',
    'trackTransactionError', 'trackEnhancedEcommercePromoView', 'trackEnhancedEcommercePromoClick', 'trackEnhancedEcommerceAddToCart',
    'trackEnhancedEcommerceRemoveFromCart', 'trackEnhancedEcommerceProductDetail', 'trackEnhancedEcommerceProductListView',
    'trackEnhancedEcommerceProductListClick', 'trackEnhancedEcommerceCheckoutStep', 'trackEnhancedEcommercePurchase',
    'trackGA4ViewCart', 'trackGA4ViewPromotion', 'trackGA4SelectPromotion', 'trackGA4AddToCart', 'trackGA4RemoveFromCart',
    'trackGA4ViewItem', 'trackGA4ViewItemList', 'trackGA4SelectItem', 'trackGA4BeginCheckout', 'trackGA4AddShippingInfo',
    'trackGA4AddPaymentOptions', 'trackGA4Transaction',
  ].map((c) => [c, {}]),
};
/** The plugins whose commands snowtrack runs (the rest are refused, naming the plugin). */
const SUPPORTED = new Set(['core', 'link-click-tracking']);
const SUPPORTED_COMMANDS = new Set(['trackTiming']);

/** Run in the page: a tracker on the full build, and a function that sends one command. */
function walkPage() {
  window.snowtrack('build', 'full');
  window.snowtrack('newTracker', 'sp', window.location.origin, { appId: 'walk' });
  window.snowtrack(function () { document.body.dataset.ready = 'true'; });
}

before(async () => {
  const { version } = ensurePackage();
  const cdn = await startStaticServer(scope, { mounts: { [`/npm/snowtrack@${version}/`]: NPM_DIR } });
  loaderUrl = `${cdn.url}/npm/snowtrack@${version}/loader.js`;
  const site = await writeTree(await tempDir(scope), {
    'index.html': html({ title: 'snippet', head: snippetTag({ src: loaderUrl }) + inlineScript(queueCommands, [LINK_CLICK]) }),
    'walk.html': html({ title: 'walk', head: snippetTag({ src: loaderUrl }) + inlineScript(walkPage) }),
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

  // The unknown command's warning comes once the list of sp.js's plugin commands has loaded.
  await waitFor(() => snowtrackWarnings(messages).length >= 4, { message: 'four warnings' });
  const warnings = snowtrackWarnings(messages);
  const expected = [
    /'trackSelfDescribingEvent' failed for 'sp':.*event\.schema/,
    /unknown command 'noSuchCommand': ignored/,
    /callback failed:.*callback boom/,
    /'trackStructEvent:sp;nope': no tracker named 'nope'/,
  ];
  assert.equal(warnings.length, expected.length, `warnings:\n${warnings.join('\n')}`);
  expected.forEach((re) => assert.equal(warnings.filter((w) => re.test(w)).length, 1, `${re} once in:\n${warnings.join('\n')}`));
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

test('every sp.js command runs, or is refused once per page with a warning naming it (and its sp.js plugin)', TIMEOUT, async (t) => {
  await collector.reset();
  const { context, page, messages, pageErrors } = await openContext(browser);
  t.after(() => collector.closeAndSettle(context));
  await page.goto(`${collector.url}/walk.html`);
  await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 15_000 });
  const all = Object.entries(SP_JS_COMMANDS).flatMap(([plugin, commands]) => commands.map((c) => [plugin, ...c]));
  // Each command twice: a refusal is said once per command name.
  await page.evaluate(({ list, collectorUrl }) => {
    const real = (arg) => {
      if (arg === '\u0000f') return () => false;
      if (arg === 'COLLECTOR') return collectorUrl;
      if (arg && typeof arg === 'object' && !Array.isArray(arg)) {
        return Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, real(v)]));
      }
      return arg;
    };
    for (let round = 0; round < 2; round += 1) {
      for (const [, command, ...args] of list) window.snowtrack(command, ...args.map(real));
    }
    window.snowtrack(function () { document.body.dataset.walked = 'true'; });
  }, { list: all, collectorUrl: collector.url });
  await page.waitForFunction(() => document.body.dataset.walked === 'true', null, { timeout: 15_000 });
  const refusedCommands = all.filter(([plugin, command]) => !SUPPORTED.has(plugin) && !SUPPORTED_COMMANDS.has(command));
  await waitFor(() => snowtrackWarnings(messages).length >= refusedCommands.length, { message: 'a warning per refused command' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const warnings = snowtrackWarnings(messages);
  for (const [plugin, command] of all) {
    const naming = warnings.filter((w) => w.includes(`'${command}'`));
    if (SUPPORTED.has(plugin) || SUPPORTED_COMMANDS.has(command)) {
      assert.deepEqual(naming, [], `${command} runs without a warning`);
    } else {
      assert.equal(naming.length, 1, `${command}: one warning, got:\n${naming.join('\n')}`);
      assert.match(naming[0], new RegExp(`'${command}' is a command of sp\\.js's ${plugin} plugin, which snowtrack does not have: ignored`));
    }
  }
  assert.equal(warnings.length, refusedCommands.length, `no other warning:\n${warnings.join('\n')}`);
  assert.deepEqual(pageErrors, []);
  // The commands that track did, in both rounds: a page view, a structured event, two link
  // clicks (trackSelfDescribingEvent's and trackLinkClick's) and a timing event.
  const good = await collector.waitForGood(10);
  const kinds = good.map((g) => kind(g)).sort();
  assert.deepEqual(kinds, ['link_click', 'link_click', 'link_click', 'link_click', 'page_view', 'page_view', 'struct', 'struct', 'timing', 'timing']);
  assert.deepEqual(await collector.bad(), []);
});
