// The snippet on a page with a strict Content-Security-Policy (served by a small node server, as
// the collector cannot set per-page headers): it works with 'wasm-unsafe-eval'; without it, or
// without WebAssembly at all, the page does not break and tracking calls are no-ops.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, test } from 'node:test';
import { launchBrowser, sleep } from './support.mjs';
import {
  NPM_DIR, consoleErrors, ensurePackage, fileScope, html, inlineScript, openContext, snippetTag,
  snowtrackWarnings, startCollector, startStaticServer, tempDir, wasmProbe, writeTree,
} from './package-support.mjs';

const TIMEOUT = { timeout: 60_000 };
const NONCE = randomBytes(12).toString('base64');
/** The global name of the tag on these pages (not the default one). */
const NAME = 'stq';
const scope = fileScope();
let collector;
let site;
let browser;

/** The page's own script: a tracker, two events, a callback reporting what the tracker saw. */
function pageScript(name, collectorUrl) {
  const st = window[name];
  st('newTracker', 'sp', collectorUrl, { appId: 'csp', contexts: { session: true, webPage: true } });
  st('trackPageView');
  st('trackStructEvent', { category: 'csp', action: 'works' });
  st(function () {
    window.result = { duid: this.sp.getDomainUserId(), index: this.sp.getDomainSessionIndex() };
  });
  window.pageScriptDone = true;
}

/** The policy: nonce'd inline scripts (the tag copies the nonce to the loader), wasm if `wasm`. */
function policy({ wasm }) {
  return [
    "default-src 'none'",
    `script-src 'nonce-${NONCE}'${wasm ? " 'wasm-unsafe-eval'" : ''}`,
    `connect-src 'self' ${collector.url}`,
    "base-uri 'none'",
  ].join('; ');
}

before(async () => {
  const { version } = ensurePackage();
  collector = await startCollector(scope);
  const dir = await tempDir(scope);
  await writeTree(dir, {
    'index.html': html({
      title: 'csp',
      head: snippetTag({ src: `/npm/snowtrack@${version}/loader.js`, name: NAME, nonce: NONCE })
        + inlineScript(pageScript, [NAME, collector.url], { nonce: NONCE }),
    }),
  });
  site = await startStaticServer(scope, {
    mounts: { [`/npm/snowtrack@${version}/`]: NPM_DIR, '/wasm-allowed/': dir, '/wasm-blocked/': dir },
    headers: (pathname) => (pathname.endsWith('/') ? { 'Content-Security-Policy': policy({ wasm: pathname.startsWith('/wasm-allowed/') }) } : {}),
  });
  browser = await launchBrowser(scope);
});

/** Opens `pathname` on the CSP site and waits for the tag's queue to be served. */
async function open(t, pathname, initScripts = []) {
  const tab = await openContext(browser, { initScripts: [wasmProbe, ...initScripts] });
  t.after(() => tab.context.close());
  await collector.reset();
  await tab.page.goto(`${site.url}${pathname}`);
  await tab.page.waitForFunction(() => window.result, null, { timeout: 15_000 });
  return tab;
}

test("with script-src 'wasm-unsafe-eval' the snippet loads and delivers events", TIMEOUT, async (t) => {
  const { page, messages, pageErrors } = await open(t, '/wasm-allowed/');
  const good = await collector.waitForGood(2);
  assert.deepEqual(good.map((g) => g.event.se_action ?? g.eventType), ['page_view', 'works']);
  const result = await page.evaluate(() => window.result);
  assert.match(result.duid, /^[0-9a-f-]{36}$/);
  assert.equal(good[0].event.domain_userid, result.duid);
  assert.deepEqual(await page.evaluate(() => window.wasmProbe), { streaming: 1, streamed: 1, buffered: 0 });
  assert.deepEqual(snowtrackWarnings(messages), []);
  assert.deepEqual(consoleErrors(messages), [], 'no CSP violation, no error');
  assert.deepEqual(pageErrors, []);
});

/** Blocked or missing WebAssembly: the page runs on, one warning, no events, no-op trackers. */
async function assertNoOps(t, page, messages, pageErrors, reason) {
  assert.equal(await page.evaluate(() => window.pageScriptDone), true, "the page's own script ran");
  assert.deepEqual(await page.evaluate(() => window.result), { duid: '', index: 0 }, 'no-op getters');
  // Later calls go straight to the no-op trackers: nothing thrown, nothing more said.
  await page.evaluate((name) => {
    window[name]('trackPageView');
    window[name]('flush');
  }, NAME);
  await sleep(500);
  assert.deepEqual(await collector.all(), { total: 0, good: 0, bad: 0 }, 'nothing sent');
  const warnings = snowtrackWarnings(messages);
  assert.equal(warnings.length, 1, `exactly one warning:\n${warnings.join('\n')}`);
  assert.match(warnings[0], reason);
  assert.match(warnings[0], /tracking calls do nothing/);
  assert.deepEqual(consoleErrors(messages), [], 'no console error');
  assert.deepEqual(pageErrors, [], 'no uncaught exception');
  t.diagnostic(`warning: ${warnings[0]}`);
}

test("without 'wasm-unsafe-eval' the page does not break: one warning, tracking calls are no-ops", TIMEOUT, async (t) => {
  const { page, messages, pageErrors } = await open(t, '/wasm-blocked/');
  await assertNoOps(t, page, messages, pageErrors, /needs 'wasm-unsafe-eval' in script-src/);
});

test('without WebAssembly in the browser the page does not break either', TIMEOUT, async (t) => {
  const { page, messages, pageErrors } = await open(t, '/wasm-allowed/', [() => { delete globalThis.WebAssembly; }]);
  await assertNoOps(t, page, messages, pageErrors, /WebAssembly is not available/);
});
