// The demo page (www/) served by the collector, driven like a user would.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import {
  DEMO_DIR, SCHEMAS, entity, kind, openPage, parseIdCookie, setup, sleep, trackerCookies, unstructData, waitFor,
} from './support.mjs';

/**
 * The demo's buttons, in the order the test clicks them, with the events each one sends (a screen
 * view after the first one is preceded by the `screen_end` of the screen before).
 */
const TRACK_BUTTONS = [
  ['#btn-page-view', ['page_view']],
  ['#btn-screen-home', ['screen_view']],
  ['#btn-screen-products', ['screen_end', 'screen_view']],
  ['#btn-screen-checkout', ['screen_end', 'screen_view']],
  ['#btn-self-describing', ['link_click']],
  ['#btn-struct', ['struct']],
];

const MOBILE = 'iglu:com.snowplowanalytics.mobile';
const ENTITIES = {
  screenSummary: `${MOBILE}/screen_summary/jsonschema/1-0-0`,
  lifecycle: `${MOBILE}/application_lifecycle/jsonschema/1-0-0`,
};
/** The demo app's product list length (www/demo.js). */
const PRODUCT_COUNT = 40;

/** Text of the `.value` cell of the row `rowSelector` in the demo's tables. */
const cellText = (page, rowSelector) => page.locator(`${rowSelector} .value`).innerText();

test('the demo page tracks every event type and shows cookies, session and received events', { timeout: 90_000 }, async (t) => {
  const { collector, context, page, pageErrors } = await setup(t, { siteDir: DEMO_DIR });
  await page.setViewportSize({ width: 1280, height: 1000 });
  await openPage(page, collector);

  await page.click('#btn-reset-collector');
  for (const [selector] of TRACK_BUTTONS) await page.click(selector);
  const firstSession = parseIdCookie((await trackerCookies(context)).id.value).sessionId;
  await page.click('#btn-new-session');
  await page.click('#btn-page-view');
  await page.click('#btn-flush');

  const expected = [...TRACK_BUTTONS.flatMap(([, types]) => types), 'page_view'];
  const good = await collector.waitForGood(expected.length);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), expected);
  assert.deepEqual(good.map((g) => g.event.app_id), expected.map(() => 'snowtrack-demo'));
  assert.deepEqual(good.filter((g) => kind(g) === 'screen_view').map((g) => [unstructData(g).name, unstructData(g).previousName]),
    [['Home', undefined], ['Products', 'Home'], ['Checkout', 'Products']]);
  assert.deepEqual(good.map((g) => entity(g, SCHEMAS.clientSession).eventIndex), [1, 2, 3, 4, 5, 6, 7, 8, 1]);
  const last = good.at(-1);
  assert.equal(last.event.domain_sessionidx, 2, 'New session starts session 2');
  assert.equal(entity(last, SCHEMAS.clientSession).previousSessionId, firstSession);
  assert.ok(good.every((g) => entity(g, SCHEMAS.webPage)), 'web_page on every event');

  // The cookie panel decodes the cookie the browser holds.
  const { id, ses } = await trackerCookies(context);
  const cookie = parseIdCookie(id.value);
  await waitFor(async () => (await page.locator('#id-cookie-raw').innerText()) === id.value,
    { message: 'the raw _sp_id on the page' });
  assert.equal(await page.locator('#id-cookie-name').innerText(), id.name);
  assert.equal(await page.locator('#ses-cookie-name').innerText(), ses.name);
  assert.equal(await page.locator('#ses-cookie-raw').innerText(), '*');
  assert.equal(await page.locator('#id-cookie-fields tbody tr').count(), 10);
  assert.equal(await cellText(page, '#id-cookie-fields tr[data-field="duid"]'), cookie.duid);
  assert.equal(await cellText(page, '#id-cookie-fields tr[data-field="sessionId"]'), cookie.sessionId);
  assert.equal(await cellText(page, '#id-cookie-fields tr[data-field="sessionIndex"]'), '2');
  assert.equal(await cellText(page, '#id-cookie-fields tr[data-field="previousSessionId"]'), firstSession);
  assert.equal(await cellText(page, '#id-cookie-fields tr[data-field="eventIndex"]'), '1');

  // The client_session panel.
  assert.equal(await cellText(page, '#session-context tr[data-key="userId"]'), cookie.duid);
  assert.equal(await cellText(page, '#session-context tr[data-key="sessionId"]'), cookie.sessionId);

  // The live list catches up with the collector within a poll or two.
  await waitFor(() => page.locator('#events tbody tr[data-status="good"]').count().then((n) => n === expected.length),
    { message: `${expected.length} good rows in the events table` });
  assert.equal(await page.locator('#events tbody tr[data-status="bad"]').count(), 0);
  assert.equal(await page.locator('#count-good').innerText(), `${expected.length} good`);
  assert.match(await page.locator('#collector-status').innerText(), /connected/);
  assert.equal(await page.locator('a[href="/micro/ui"]').first().isVisible(), true);

  const activity = await page.locator('#activity').innerText();
  assert.match(activity, /Flushed/);
  assert.doesNotMatch(activity, /failed/);
  assert.deepEqual(pageErrors, []);

  if (process.env.E2E_SCREENSHOT_DIR) {
    await page.screenshot({ path: path.join(process.env.E2E_SCREENSHOT_DIR, 'demo.png'), fullPage: true });
  }
});

test('the demo app: a list scrolled between two screens, its screen summary on the page, lifecycle on leaving', { timeout: 90_000 }, async (t) => {
  const { collector, page, pageErrors } = await setup(t, { siteDir: DEMO_DIR });
  await page.setViewportSize({ width: 1280, height: 1000 });
  await openPage(page, collector);

  await page.click('#tab-home');
  await sleep(200);
  await page.click('#tab-products');
  assert.equal(await page.locator('#app-title').innerText(), 'Products');
  assert.equal(await page.locator('#tab-products').getAttribute('aria-pressed'), 'true');

  // Scroll the list to its end with the mouse wheel, as a user would: every item passes by.
  const list = page.locator('#product-scroll');
  await list.scrollIntoViewIfNeeded();
  await list.hover();
  const atEnd = () => list.evaluate((e) => e.scrollTop + e.clientHeight >= e.scrollHeight - 1);
  for (let i = 0; i < 60 && !(await atEnd()); i += 1) {
    await page.mouse.wheel(0, 150);
    await sleep(50);
  }
  assert.ok(await atEnd(), 'the list scrolled to its end');
  await waitFor(async () => (await page.locator('#live-items').innerText()).includes(`last item ${PRODUCT_COUNT} of ${PRODUCT_COUNT}`),
    { message: 'the last item reported as seen' });
  const seen = Number(/^(\d+) seen/.exec(await page.locator('#live-items').innerText())[1]);
  assert.equal(seen, PRODUCT_COUNT, 'every item was seen on the way down');
  assert.equal(await page.locator('#product-list li[data-seen]').count(), PRODUCT_COUNT);
  assert.match(await page.locator('#live-scroll').innerText(), /^100 %/);
  const { scrollHeight, clientHeight } = await list.evaluate((e) => ({ scrollHeight: e.scrollHeight, clientHeight: e.clientHeight }));

  await page.click('#tab-checkout');
  await page.click('#btn-flush');

  // List items and scrolls are folded into the summary: no events of their own.
  const good = await collector.waitForGood(5);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), ['screen_view', 'screen_end', 'screen_view', 'screen_end', 'screen_view']);
  const [, homeEnd, , productsEnd] = good;
  assert.deepEqual(good.map((g) => entity(g, SCHEMAS.screen)?.name), ['Home', 'Home', 'Products', 'Products', 'Checkout']);
  assert.ok(good.every((g) => entity(g, ENTITIES.lifecycle)?.isVisible === true && entity(g, ENTITIES.lifecycle).index === 0),
    'application_lifecycle {isVisible: true, index: 0} on every event');
  const home = entity(homeEnd, ENTITIES.screenSummary);
  assert.ok(home.foreground_sec >= 0.2, `Home's foreground_sec ${home.foreground_sec}`);
  assert.equal(home.background_sec, 0);
  assert.equal(home.items_count, undefined, 'no list on Home');
  assert.equal(home.max_y_offset, undefined, 'no scroll on Home');
  const products = entity(productsEnd, ENTITIES.screenSummary);
  assert.equal(products.items_count, PRODUCT_COUNT);
  assert.equal(products.last_item_index, PRODUCT_COUNT - 1);
  assert.equal(products.min_y_offset, 0);
  assert.equal(products.max_y_offset, scrollHeight, 'the bottom edge of the view reached the end of the list');
  assert.equal(products.content_height, scrollHeight);
  assert.ok(products.content_height > 3 * clientHeight, 'the list is taller than its frame');
  assert.ok(products.foreground_sec > 0);

  // The summaries panel shows what the collector received, newest first.
  const rows = page.locator('#summaries tbody tr[data-event="screen_end"]');
  await waitFor(() => rows.count().then((n) => n === 2), { message: 'two screen_end rows in the summaries table' });
  const cell = (screen, col) => page.locator(`#summaries tr[data-event="screen_end"][data-screen="${screen}"] td[data-col="${col}"]`).innerText();
  assert.equal(await cell('Products', 'items'), `${PRODUCT_COUNT} / ${PRODUCT_COUNT}`);
  assert.equal(await cell('Products', 'depth'), '100 %');
  assert.equal(await cell('Products', 'foreground'), `${products.foreground_sec.toFixed(1)} s`);
  assert.equal(await cell('Products', 'background'), '0.0 s');
  assert.equal(await cell('Products', 'lifecycle'), 'visible · index 0');
  assert.equal(await cell('Home', 'items'), '–');
  assert.equal(await cell('Home', 'depth'), '–');
  assert.equal(await page.locator('#summaries tbody tr').first().getAttribute('data-screen'), 'Products');
  assert.match(await page.locator('#summary-latest').innerText(),
    new RegExp(`^Latest: screen end of “Products”: .* items ${PRODUCT_COUNT} of ${PRODUCT_COUNT}, scrolled 100 %\\.$`));
  assert.equal(await page.locator('#summary-latest').getAttribute('aria-live'), 'polite');
  for (const href of ['/micro/ui/sessions', '/micro/model/views']) {
    assert.equal(await page.locator(`a[href="${href}"]`).first().isVisible(), true, `a link to ${href}`);
    assert.equal((await page.request.get(`${collector.url}${href}`)).status(), 200, href);
  }
  if (process.env.E2E_SCREENSHOT_DIR) {
    await page.screenshot({ path: path.join(process.env.E2E_SCREENSHOT_DIR, 'demo-app.png'), fullPage: true });
  }

  // Leaving the page (a reload) is the app going to the background: application_background with
  // Checkout's summary, from the browser's real pagehide; the reloaded page lists it.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 });
  // The keepalive request's answer is lost with the page, so the reloaded page may send the
  // event again (at least once, same event_id): count distinct events.
  const distinct = async () => [...new Map((await collector.good()).map((g) => [g.event.event_id, g])).values()];
  await waitFor(async () => (await distinct()).length >= 6, { message: 'the application_background event' });
  await sleep(300);
  const afterReload = await distinct();
  assert.deepEqual(await collector.bad(), []);
  assert.equal(afterReload.length, 6);
  const background = afterReload[5];
  assert.equal(kind(background), 'application_background');
  assert.equal(unstructData(background).backgroundIndex, 1);
  assert.equal(entity(background, SCHEMAS.screen)?.name, 'Checkout');
  assert.deepEqual(entity(background, ENTITIES.lifecycle), { isVisible: false, index: 1 });
  assert.ok(entity(background, ENTITIES.screenSummary).foreground_sec > 0);
  const backgroundRow = page.locator('#summaries tr[data-event="application_background"]');
  await waitFor(() => backgroundRow.count().then((n) => n > 0), { message: 'the application_background row' });
  // A copy sent again is listed once, also after the page has polled it.
  const received = (await collector.good()).length;
  await page.waitForTimeout(1500);
  assert.equal(await backgroundRow.count(), 1, `one row for the event (${received} received, ${afterReload.length} distinct)`);
  // At least once, and no more: only the background event may come twice (its answer was lost
  // with the page), every other event once.
  const copies = (await collector.good()).reduce((m, g) => m.set(g.event.event_id, (m.get(g.event.event_id) ?? 0) + 1), new Map());
  for (const [id, n] of copies) {
    const limit = id === background.event.event_id ? 2 : 1;
    assert.ok(n <= limit, `event ${id} received ${n} times (at most ${limit})`);
  }
  if (copies.get(background.event.event_id) > 1) t.diagnostic('the application_background event was received twice (sent again by the reloaded page)');
  assert.equal(await backgroundRow.getAttribute('data-screen'), 'Checkout');
  assert.equal(await backgroundRow.locator('td[data-col="lifecycle"]').innerText(), 'hidden · index 1');
  assert.match(await page.locator('#summary-latest').innerText(), /^Latest: background #1 of “Checkout”/);
  assert.deepEqual(pageErrors, []);
});
