// Twenty navigations in one tab (link clicks, reloads, back): each leaving page sends its
// application_background event with keepalive and rarely lives to hear the answer, so the next
// page finds it in localStorage. No event may arrive twice, and none may be lost: with the
// collector up, with the collector down while the pages change, and with the browser refusing
// the leaving page's keepalive request (its 64 KiB budget used up by other code of the page).

import assert from 'node:assert/strict';
import http from 'node:http';
import test from 'node:test';
import { countEids, deliverySetup, freePort, startCollector, settledGood } from './delivery-support.mjs';
import { kind, sleep } from './support.mjs';

const TIMEOUT = { timeout: 180_000 };
const NAVIGATIONS = 20;

/** Waits until the page's tracker started (a new document, or one back from the cache). */
async function ready(page) {
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 });
}

/**
 * Navigates `NAVIGATIONS` times from the nav page at `url`: a link click, a reload, a link
 * click, back; over again. `beforeEach` runs in the page before each navigation. Returns the
 * number of page views the tab tracked (back/forward cache restores track none).
 */
async function navigate(page, url, beforeEach = async () => {}) {
  await page.goto(url);
  await ready(page);
  for (let i = 0; i < NAVIGATIONS; i += 1) {
    await sleep(150);
    await beforeEach(page);
    switch (i % 4) {
      case 1:
        await page.reload();
        break;
      case 3:
        await page.goBack();
        break;
      default:
        await Promise.all([page.waitForURL(/n=/), page.click('#next')]);
    }
    await ready(page);
  }
  await sleep(300);
  return page.evaluate(() => Number(sessionStorage.getItem('views')));
}

/** Asserts every page's page view and every navigation's background event arrived, none twice. */
function assertDelivered(good, views, what) {
  const counts = countEids(good.map((g) => g.event.event_id));
  const twice = [...counts].filter(([, n]) => n > 1);
  const byKind = (name) => good.filter((g) => kind(g) === name).length;
  assert.equal(byKind('page_view'), views, `${what}: every page view arrived once`);
  assert.equal(byKind('application_background'), NAVIGATIONS, `${what}: every leaving page's background event`);
  assert.deepEqual(twice, [], `${what}: no eid delivered twice (${good.length} deliveries)`);
  return good.length;
}

test(`${NAVIGATIONS} navigations: every event arrives, none twice`, TIMEOUT, async (t) => {
  const env = await deliverySetup(t);
  const views = await navigate(env.page, `${env.collector.url}/nav.html`);
  const good = await settledGood(env.collector, views + NAVIGATIONS);
  const n = assertDelivered(good, views, 'collector up');
  t.diagnostic(`${views} page views, ${n} events delivered, no duplicate`);
  assert.deepEqual(env.pageErrors, []);
});

test(`${NAVIGATIONS} navigations with the collector down, then up: nothing lost, duplicates rare`, TIMEOUT, async (t) => {
  const env = await deliverySetup(t);
  // The pages come from one collector; the events go to another, which is down meanwhile.
  const port = await freePort();
  let events = await startCollector(env.site, port);
  const eventsUrl = events.url;
  await events.stop();
  const url = `${env.collector.url}/nav.html?${new URLSearchParams({ c: eventsUrl })}`;
  const views = await navigate(env.page, url);
  events = await startCollector(env.site, port);
  t.after(() => events.stop());
  const good = await settledGood(events, views + NAVIGATIONS);
  const counts = countEids(good.map((g) => g.event.event_id));
  const duplicates = good.length - counts.size;
  const byKind = (name) => new Set(good.filter((g) => kind(g) === name).map((g) => g.event.event_id)).size;
  assert.equal(byKind('page_view'), views, 'every page view arrived');
  assert.equal(byKind('application_background'), NAVIGATIONS, 'every background event arrived');
  assert.ok(duplicates * 100 <= good.length * 5, `${duplicates} duplicates in ${good.length} deliveries (at most 5 %)`);
  t.diagnostic(`${good.length} deliveries, ${duplicates} duplicates`);
});

test(`${NAVIGATIONS} navigations, each leaving page's keepalive budget used up: nothing lost, none twice`, TIMEOUT, async (t) => {
  const env = await deliverySetup(t);
  // A server that takes requests and never answers: the page's own 63 KiB keepalive request
  // to it stays in flight, so the browser refuses the tracker's keepalive request on pagehide.
  const held = [];
  const hog = http.createServer((request) => held.push(request));
  await new Promise((resolve) => hog.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const request of held) request.socket.destroy();
    hog.close();
  });
  const hogUrl = `http://127.0.0.1:${hog.address().port}/hog`;
  const useBudget = (page) => page.evaluate((target) => {
    fetch(target, { method: 'POST', body: 'x'.repeat(63 * 1024), keepalive: true, mode: 'no-cors' }).catch(() => {});
  }, hogUrl);
  // The refusal is real: a tracker keepalive request on top of the hog is refused at once.
  await env.page.goto(`${env.collector.url}/`);
  await ready(env.page);
  const refused = await env.page.evaluate(async (target) => {
    fetch(target, { method: 'POST', body: 'x'.repeat(63 * 1024), keepalive: true, mode: 'no-cors' }).catch(() => {});
    try {
      await fetch(`${location.origin}/com.snowplowanalytics.snowplow/tp2`, { method: 'POST', body: 'x'.repeat(2048), keepalive: true });
      return false;
    } catch {
      return true;
    }
  }, hogUrl);
  assert.ok(refused, 'the browser refuses a keepalive request over its budget');
  const views = await navigate(env.page, `${env.collector.url}/nav.html`, useBudget);
  const good = await settledGood(env.collector, views + NAVIGATIONS);
  const n = assertDelivered(good, views, 'keepalive refused');
  t.diagnostic(`${views} page views, ${n} events delivered`);
});
