// The demo page (www/) served by the collector, driven like a user would.

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import {
  DEMO_DIR, SCHEMAS, entity, kind, openPage, parseIdCookie, setup, trackerCookies, unstructData, waitFor,
} from './support.mjs';

/** The demo's buttons, in the order the test clicks them, with the event each one sends. */
const TRACK_BUTTONS = [
  ['#btn-page-view', 'page_view'],
  ['#btn-screen-home', 'screen_view'],
  ['#btn-screen-products', 'screen_view'],
  ['#btn-screen-checkout', 'screen_view'],
  ['#btn-self-describing', 'link_click'],
  ['#btn-struct', 'struct'],
];

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

  const expected = [...TRACK_BUTTONS.map(([, type]) => type), 'page_view'];
  const good = await collector.waitForGood(expected.length);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), expected);
  assert.deepEqual(good.map((g) => g.event.app_id), expected.map(() => 'snowtrack-demo'));
  assert.deepEqual(good.slice(1, 4).map((g) => [unstructData(g).name, unstructData(g).previousName]),
    [['Home', undefined], ['Products', 'Home'], ['Checkout', 'Products']]);
  assert.deepEqual(good.map((g) => entity(g, SCHEMAS.clientSession).eventIndex), [1, 2, 3, 4, 5, 6, 1]);
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
