// Events sent by Snowplow's own browser tracker (@snowplow/browser-tracker 4.x), bundled with
// esbuild and running in headless Chromium (playwright-core), must all be good. The page and the
// bundle are served by the collector itself (--static), so everything is same-origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { startCollector, waitForTotal, assertMicroGoodShape, entity } from '../lib/helpers.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const LINK_CLICK = 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1';
const CLIENT_SESSION = 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2';
const WEB_PAGE = 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0';

const ENTRY = `
import { newTracker, trackPageView, trackSelfDescribingEvent, trackStructEvent, newSession } from '@snowplow/browser-tracker';
const common = { appId: 'browser-compat', cookieSecure: false, contexts: { session: true, webPage: true } };
newTracker('post', location.origin, { ...common, eventMethod: 'post', bufferSize: 1 });
newTracker('get', location.origin, { ...common, eventMethod: 'get', cookieName: '_sp_get_' });
const posted = [];
trackPageView({}, ['post']);
trackSelfDescribingEvent({ event: { schema: '${LINK_CLICK}', data: { targetUrl: location.href, elementId: 'cta' } } }, ['post']);
trackStructEvent({ category: 'shop', action: 'add', label: 'sku-1', value: 3 }, ['post']);
newSession(['post']);
trackPageView({ title: 'after new session' }, ['post']);
trackPageView({}, ['get']);
trackStructEvent({ category: 'get', action: 'ping' }, ['get']);
window.__tracked = 6;
`;

const skip = process.env.COMPAT_SKIP_BROWSER === '1' && 'COMPAT_SKIP_BROWSER=1';

test('@snowplow/browser-tracker events from headless Chromium are all good', { skip }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_BIN)`);
  const site = await mkdtemp(join(tmpdir(), 'snowtrack-compat-site-'));
  const profile = await mkdtemp(join(tmpdir(), 'snowtrack-compat-profile-'));
  t.after(() => Promise.all([rm(site, { recursive: true, force: true }), rm(profile, { recursive: true, force: true })]));
  await build({
    stdin: { contents: ENTRY, resolveDir: join(here, '..'), loader: 'js' },
    bundle: true, format: 'iife', platform: 'browser', target: 'es2019', outfile: join(site, 'bundle.js'), logLevel: 'warning',
  });
  await writeFile(join(site, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>compat page</title></head>' +
    '<body><h1>compat</h1><script src="/bundle.js"></script></body></html>');

  const c = await startCollector(['--static', site]);
  t.after(() => c.stop());
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const res = await page.goto(`${c.base}/index.html?utm_source=compat#frag`);
  assert.equal(res.status(), 200);
  assert.equal(await page.evaluate(() => window.__tracked), 6);
  const all = await waitForTotal(c, 6);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(await c.bad(), []);
  assert.deepEqual(all, { total: 6, good: 6, bad: 0 });

  const good = (await c.good()).reverse(); // oldest first
  good.forEach(assertMicroGoodShape);
  const post = good.filter((g) => g.rawEvent.api.version === 'tp2');
  const get = good.filter((g) => g.rawEvent.api.version === 'tp1');
  assert.equal(post.length, 4);
  assert.equal(get.length, 2);
  assert.equal(post[0].rawEvent.contentType, 'application/json; charset=utf-8');
  for (const g of good) {
    assert.equal(g.event.app_id, 'browser-compat');
    assert.equal(g.event.platform, 'web');
    assert.match(g.event.v_tracker, /^js-4\./);
    assert.equal(g.event.page_urlhost, '127.0.0.1');
    assert.equal(g.event.page_urlquery, 'utm_source=compat');
    assert.match(g.event.useragent, /Chrome/);
    assert.ok(g.event.domain_userid);
    assert.ok(g.event.network_userid);
    assert.ok(entity(g, 'web_page'), 'web_page entity');
    const session = entity(g, 'client_session');
    assert.equal(session.schema, CLIENT_SESSION);
    assert.equal(session.data.sessionId, g.event.domain_sessionid);
    assert.equal(session.data.sessionIndex, g.event.domain_sessionidx);
    assert.equal(session.data.userId, g.event.domain_userid);
  }
  assert.deepEqual(post.map((g) => g.eventType), ['page_view', 'unstruct', 'struct', 'page_view']);
  assert.deepEqual(post.map((g) => entity(g, 'client_session').data.eventIndex), [1, 2, 3, 1]);
  assert.equal(post[1].schema, LINK_CLICK);
  assert.equal(post[1].event.unstruct_event.data.data.elementId, 'cta');
  assert.equal(post[2].event.se_value, 3);
  assert.notEqual(post[3].event.domain_sessionid, post[0].event.domain_sessionid, 'newSession() starts a new session');
  assert.equal(post[3].event.domain_sessionidx, post[0].event.domain_sessionidx + 1);
  assert.equal(post[3].event.page_title, 'after new session');
  assert.deepEqual(get.map((g) => g.eventType), ['page_view', 'struct']);
  assert.ok(get[0].rawEvent.parameters.cx, 'GET sends base64 cx');
  assert.equal((await c.good({ contexts: [WEB_PAGE, CLIENT_SESSION] })).length, 6);
  assert.equal((await c.good({ event_type: 'page_view' })).length, 3);

  // The live view renders these events without reloading.
  await page.goto(`${c.base}/micro/ui`);
  await page.waitForFunction(() => document.querySelectorAll('#rows tr').length === 6, null, { timeout: 10000 });
  assert.equal(await page.locator('#good').textContent(), '6');
  await fetch(`${c.base}/i?e=pv&p=web&tv=x`); // a bad event arrives while the page is open
  await page.waitForFunction(() => document.querySelectorAll('#rows tr.bad').length === 1, null, { timeout: 10000 });
  const errorsText = await page.locator('#rows tr.bad ul.errors').textContent();
  assert.match(errorsText, /eid: required/);
});
