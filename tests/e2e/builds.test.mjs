// snowtrack's two builds (see "Builds" in the README) in a real browser: the build each entry point
// gives a page, the clear error of a capability the page's build does not have, and a build whose
// chunk cannot load.
//
//   tag          loader.js picks the full build when a command queued before it runs needs it
//                (js/builds.js), else the core one, and fetches only that build's files
//   npm          snowtrack/load is the core build, snowtrack/load-full the full one
//   on use       the tag's sp.js command mapping (chunks/commands.js) loads on its first command

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { FULL_METHODS, FULL_OPTIONS } from '../../js/builds.js';
import { SCHEMAS, entity, kind, launchBrowser, waitFor } from './support.mjs';
import {
  NPM_DIR, ensurePackage, fileScope, html, inlineScript, openContext, snippetTag, snowtrackWarnings,
  startCollector, startStaticServer, tempDir, writeTree,
} from './package-support.mjs';

const TIMEOUT = { timeout: 60_000 };
const scope = fileScope();
let collector;
let browser;
let cdn;
let loaderUrl;

/** The commands of a page of the common calls only; `extra` (tag commands) are queued after them. */
function commonCalls(extra) {
  const st = window.snowtrack;
  st('newTracker', 'sp', window.location.origin, { appId: 'builds' });
  st('trackPageView', { title: 'builds' });
  for (const args of extra) st(...args);
  st(function () { window.build = 'served'; });
}

/** A module page that loads `entry` (load.js or load-full.js) from the package and reports what it gets. */
function npmPage(entry, fullMethods, fullOptions) {
  return `<script type="module">
  import { load } from '${entry}';
  const api = await load();
  const thrown = (f) => { try { f(); return null; } catch (e) { return String(e && e.message); } };
  const tracker = api.newTracker('sp', location.origin, { appId: 'builds-npm' });
  const methods = {};
  for (const name of ${JSON.stringify(fullMethods)}) methods[name] = thrown(() => tracker[name]());
  const options = {};
  for (const name of ${JSON.stringify(fullOptions)}) {
    const value = name === 'plugins' ? [{}] : name === 'pageViewAutotracking' ? 'history' : name === 'respectOptOutCookie' ? 'optout' : true;
    options[name] = thrown(() => api.newTracker('o' + name, location.origin, { [name]: value, cookieName: '_o' + name + '_' }));
  }
  // Every public method of the tracker that throws the "full build" error.
  const fullOnly = Object.getOwnPropertyNames(Object.getPrototypeOf(tracker))
    .filter((name) => !['constructor', 'free'].includes(name) && !name.startsWith('_') && typeof tracker[name] === 'function')
    .filter((name) => /full build/.test(thrown(() => tracker[name]()) || ''));
  tracker.trackPageView({ title: 'after the errors' });
  window.result = { ready: api.ready, build: api.build, methods, options, fullOnly: fullOnly.sort() };
</script>`;
}

before(async () => {
  const { version } = ensurePackage();
  cdn = await startStaticServer(scope, { mounts: { [`/npm/snowtrack@${version}/`]: NPM_DIR } });
  loaderUrl = `${cdn.url}/npm/snowtrack@${version}/loader.js`;
  const tag = (extra) => html({ head: snippetTag({ src: loaderUrl }) + inlineScript(commonCalls, [extra]) });
  const site = await writeTree(await tempDir(scope), {
    'core.html': tag([]),
    'full.html': tag([['enableLinkClickTracking', {}]]),
    'full-option.html': html({
      head: snippetTag({ src: loaderUrl })
        + inlineScript(() => window.snowtrack('newTracker', 'sp', window.location.origin, { respectDoNotTrack: true })),
    }),
    'asked.html': tag([['build', 'full']]),
    // The commands in the tag's own script (as the README shows it): the tag starts the core .wasm.
    'core-same-script.html': html({ head: snippetTag({ src: loaderUrl, after: `(${commonCalls})([]);` }) }),
    'asked-same-script.html': html({ head: snippetTag({ src: loaderUrl, after: `window.snowtrack('build', 'full');\n(${commonCalls})([]);` }) }),
    'full-same-script.html': html({ head: snippetTag({ src: loaderUrl, after: `(${commonCalls})(${JSON.stringify([['enableLinkClickTracking', {}]])});` }) }),
    // After loading: a page view, trackTiming (the mapping loads), a page view, while the mapping loads.
    'timing.html': html({ head: snippetTag({ src: loaderUrl }) + inlineScript(commonCalls, [[]]) }),
    'npm-core.html': html({ body: npmPage(`${cdn.url}/npm/snowtrack@${version}/load.js`, FULL_METHODS, Object.keys(FULL_OPTIONS)) }),
    'npm-full.html': html({ body: npmPage(`${cdn.url}/npm/snowtrack@${version}/load-full.js`, FULL_METHODS, Object.keys(FULL_OPTIONS)) }),
  });
  collector = await startCollector(scope, site);
  browser = await launchBrowser(scope);
});

/**
 * The page views, structured and timing events of `good` (a tab the previous test closed may still deliver its
 * application_background event after the collector was reset).
 */
const ownEvents = (good) => good.filter((g) => ['page_view', 'timing', 'struct'].includes(kind(g)));

/**
 * Waits for `count` of the page's own events (see `ownEvents`) and returns them in the order the
 * page tracked them (their `client_session` event index: two requests in flight at once may
 * reach the collector in either order).
 */
async function waitForOwn(count) {
  await waitFor(async () => ownEvents(await collector.good()).length >= count, { message: `${count} events` });
  await new Promise((resolve) => { setTimeout(resolve, 300); }); // one more would arrive by now
  const index = (g) => entity(g, SCHEMAS.clientSession)?.eventIndex ?? 0;
  return ownEvents(await collector.good()).sort((a, b) => index(a) - index(b));
}

/** A package path of a request's URL (`loader.js`, `web/snowtrack_bg.wasm`), or null. */
function packagePath(url) {
  const at = url.indexOf('/npm/snowtrack@');
  return at < 0 ? null : url.slice(at).replace(/^\/npm\/snowtrack@[^/]+\//, '');
}

/**
 * Opens `pathname` and returns the tab with the snowtrack files it requested (package paths) and
 * those whose request failed (`failed`). `block`: a path whose requests fail. `holdLoaderFor`: a
 * package path whose request loader.js waits for (`held` says whether it came; after 10 s the
 * loader goes anyway). `holdResponse`: a package path whose response never comes.
 */
async function open(t, pathname, { block, holdLoaderFor, holdResponse } = {}) {
  await collector.reset();
  const tab = await openContext(browser);
  t.after(() => collector.closeAndSettle(tab.context));
  const files = [];
  const failed = [];
  const state = { held: null };
  let requested;
  const seen = new Promise((resolve) => { requested = resolve; });
  tab.page.on('request', (request) => {
    const file = packagePath(request.url());
    if (file !== null) files.push(file);
    if (file === holdLoaderFor) requested(true);
  });
  tab.page.on('requestfailed', (request) => {
    const file = packagePath(request.url());
    if (file !== null) failed.push(file);
  });
  if (block) await tab.page.route((url) => url.pathname.endsWith(block), (route) => route.abort());
  if (holdLoaderFor) {
    await tab.page.route((url) => packagePath(url.href) === 'loader.js', async (route) => {
      state.held = await Promise.race([seen, new Promise((resolve) => { setTimeout(resolve, 10_000, false); })]);
      await route.continue();
    });
  }
  if (holdResponse) await tab.page.route((url) => packagePath(url.href) === holdResponse, () => {});
  await tab.page.goto(`${collector.url}${pathname}`);
  return { ...tab, files, failed, state };
}

test('a tag page of the common calls gets the core build; a full-build command after loading is a clear warning', TIMEOUT, async (t) => {
  const { page, files, messages, pageErrors } = await open(t, '/core.html');
  await page.waitForFunction(() => window.build === 'served', null, { timeout: 15_000 });
  assert.deepEqual(files.sort(), ['chunks/core.js', 'loader.js', 'web-core/snowtrack_bg.wasm'], 'only the core build');

  await page.evaluate(() => {
    window.snowtrack('enableLinkClickTracking');
    window.snowtrack('trackStructEvent', { category: 'builds', action: 'after' });
  });
  const good = await waitForOwn(2);
  assert.deepEqual(good.map((g) => g.event.se_action ?? g.event.page_title), ['builds', 'after'], 'tracking went on');
  const warnings = snowtrackWarnings(messages);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /'enableLinkClickTracking' failed for 'sp':.*enableLinkClickTracking is in snowtrack's full build, not in the core build/);
  assert.deepEqual(pageErrors, []);
});

for (const [pathname, why] of [
  ['/full.html', 'a full-build command'], ['/full-option.html', 'a full-build newTracker option'], ['/asked.html', "('build', 'full')"],
  ['/asked-same-script.html', "('build', 'full') first in the tag's own script (no core .wasm started)"],
]) {
  test(`a tag page that queues ${why} gets the full build`, TIMEOUT, async (t) => {
    const { page, files, messages, pageErrors } = await open(t, pathname);
    await page.waitForFunction(() => window.snowtrack.q.servedBy === 'snowtrack' && window.snowtrack.q.length === 0, null, { timeout: 15_000 });
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.endsWith('.wasm') && r.responseEnd > 0));
    assert.deepEqual(files.sort(), ['chunks/full.js', 'loader.js', 'web/snowtrack_bg.wasm'], 'only the full build');
    assert.deepEqual(snowtrackWarnings(messages), []);
    assert.deepEqual(pageErrors, []);
  });
}

test("a tag whose own script queues the common calls starts the core build's .wasm beside the loader, which takes it", TIMEOUT, async (t) => {
  const { page, files, messages, pageErrors, state } = await open(t, '/core-same-script.html', { holdLoaderFor: 'web-core/snowtrack_bg.wasm' });
  await page.waitForFunction(() => window.build === 'served', null, { timeout: 15_000 });
  assert.equal(state.held, true, 'the .wasm was requested while loader.js had not arrived');
  assert.deepEqual(files.sort(), ['chunks/core.js', 'loader.js', 'web-core/snowtrack_bg.wasm'], 'the .wasm once: the loader took the tag\'s');
  const good = await waitForOwn(1);
  assert.deepEqual(good.map((g) => g.event.page_title), ['builds']);
  assert.deepEqual(snowtrackWarnings(messages), []);
  assert.deepEqual(pageErrors, []);
});

test("a tag whose own script queues a full-build command: the loader aborts the core .wasm the tag started and loads the full build", TIMEOUT, async (t) => {
  const { page, files, failed, messages, pageErrors, state } = await open(t, '/full-same-script.html',
    { holdLoaderFor: 'web-core/snowtrack_bg.wasm', holdResponse: 'web-core/snowtrack_bg.wasm' });
  await page.waitForFunction(() => window.build === 'served', null, { timeout: 15_000 });
  assert.equal(state.held, true, 'the core .wasm was requested while loader.js had not arrived');
  await waitFor(() => failed.includes('web-core/snowtrack_bg.wasm'), { message: 'the core .wasm aborted' });
  assert.deepEqual(files.sort(), ['chunks/full.js', 'loader.js', 'web-core/snowtrack_bg.wasm', 'web/snowtrack_bg.wasm']);
  const good = await waitForOwn(1);
  assert.deepEqual(good.map((g) => g.event.page_title), ['builds']);
  assert.deepEqual(snowtrackWarnings(messages), [], 'enableLinkClickTracking ran: the full build');
  assert.deepEqual(pageErrors, []);
});

test('a build whose chunk cannot load: one warning, the page and the tag keep working', TIMEOUT, async (t) => {
  const { page, files, messages, pageErrors } = await open(t, '/core.html', { block: '/chunks/core.js' });
  await page.waitForFunction(() => window.build === 'served', null, { timeout: 15_000 });
  assert.ok(files.includes('chunks/core.js'));
  await page.evaluate(() => window.snowtrack('trackPageView'));
  const warnings = snowtrackWarnings(messages);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /the core build could not be loaded, so tracking calls do nothing/);
  assert.deepEqual(pageErrors, []);
});

/** Once the tag was served: a page view, trackTiming, a page view, in one task. */
function timingCommands() {
  const st = window.snowtrack;
  st('trackPageView', { title: 'before' });
  st('trackTiming', { category: 'load', variable: 'dom', timing: 120 });
  st('trackPageView', { title: 'after' });
  st(function () { window.timed = true; });
}

test("the sp.js command mapping loads on its first command; the commands after it wait, in order", TIMEOUT, async (t) => {
  const { page, files, messages, pageErrors } = await open(t, '/timing.html');
  await page.waitForFunction(() => window.build === 'served', null, { timeout: 15_000 });
  assert.ok(!files.includes('chunks/commands.js'), 'not loaded before a mapped command');
  await page.evaluate(timingCommands);
  await page.waitForFunction(() => window.timed === true, null, { timeout: 15_000 });
  assert.ok(files.includes('chunks/commands.js'), 'loaded on use');
  const good = await waitForOwn(4);
  const order = good.map((g) => [g.event.page_title ?? kind(g), entity(g, SCHEMAS.clientSession)?.eventIndex])
    .sort((a, b) => a[1] - b[1]).map(([what]) => what);
  assert.deepEqual(order, ['builds', 'before', 'timing', 'after'], 'in command order');
  assert.deepEqual(snowtrackWarnings(messages), []);
  assert.deepEqual(pageErrors, []);
});

test('a mapping that cannot load: one warning, its commands dropped, the others run in order', TIMEOUT, async (t) => {
  const { page, messages, pageErrors } = await open(t, '/timing.html', { block: '/chunks/commands.js' });
  await page.waitForFunction(() => window.build === 'served', null, { timeout: 15_000 });
  await page.evaluate(timingCommands);
  await page.waitForFunction(() => window.timed === true, null, { timeout: 15_000 });
  await page.evaluate(() => window.snowtrack('trackConsentGranted', { id: '1', version: '1' })); // dropped, no second warning
  const good = await waitForOwn(3);
  assert.deepEqual(good.map((g) => g.event.page_title).sort(), ['after', 'before', 'builds']);
  const warnings = snowtrackWarnings(messages);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /the sp\.js command mapping could not be loaded/);
  assert.deepEqual(pageErrors, []);
});

test('snowtrack/load is the core build: each full-build method and option throws an Error naming it', TIMEOUT, async (t) => {
  const { page, files, pageErrors } = await open(t, '/npm-core.html');
  await page.waitForFunction(() => window.result, null, { timeout: 15_000 });
  const result = await page.evaluate(() => window.result);
  assert.deepEqual([result.ready, result.build], [true, 'core']);
  assert.ok(files.includes('web-core/snowtrack_bg.wasm') && !files.includes('web/snowtrack_bg.wasm'), files.join(' '));
  for (const name of FULL_METHODS) {
    assert.match(result.methods[name] ?? '', new RegExp(`^snowtrack: ${name} is in snowtrack's full build, not in the core build this page loaded`), name);
  }
  for (const name of Object.keys(FULL_OPTIONS)) {
    assert.match(result.options[name] ?? '', new RegExp(`\`${name}\`: is in snowtrack's full build`), name);
  }
  assert.deepEqual(result.fullOnly, [...FULL_METHODS].sort(), "the tracker's full-build methods are js/builds.js's list");
  const good = await collector.waitForGood(2); // trackPageView() among the methods called, then this one
  assert.ok(good.some((g) => g.event.page_title === 'after the errors'), 'the tracker works after them');
  assert.deepEqual(pageErrors, []);
});

test('snowtrack/load-full is the full build: no method or option refers to another build', TIMEOUT, async (t) => {
  const { page, files, pageErrors } = await open(t, '/npm-full.html');
  await page.waitForFunction(() => window.result, null, { timeout: 15_000 });
  const result = await page.evaluate(() => window.result);
  assert.deepEqual([result.ready, result.build], [true, 'full']);
  assert.ok(files.includes('web/snowtrack_bg.wasm') && !files.includes('web-core/snowtrack_bg.wasm'), files.join(' '));
  for (const [name, error] of [...Object.entries(result.methods), ...Object.entries(result.options)]) {
    assert.doesNotMatch(error ?? '', /build/, name);
  }
  assert.deepEqual(result.fullOnly, []);
  assert.deepEqual(pageErrors, []);
});
