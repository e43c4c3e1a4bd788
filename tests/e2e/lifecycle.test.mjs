// The mobile data model on the web (issue 13), end to end in headless Chromium with real page
// lifecycle signals: a tab closed (pagehide + visibilitychange: the keepalive flush must carry
// the application_background event), and a page leaving into the back/forward cache and coming
// back (a real hidden → visible round trip). Every event must be valid at the real collector.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import {
  CHROMIUM, CHROMIUM_ARGS, Collector, FIXTURE_DIR, SCHEMAS, createTracker, entity, kind, makeSite, openPage, setup,
  sleep, unstructData, waitFor,
} from './support.mjs';
import { rm } from 'node:fs/promises';

const TIMEOUT = { timeout: 60_000 };

test('a closed tab sends application_background with the last screen\'s summary (document scroll included)', TIMEOUT, async (t) => {
  const { collector, page, pageErrors } = await setup(t);
  await openPage(page, collector);
  await page.evaluate(() => { document.body.style.height = '5000px'; });
  await createTracker(page);
  await page.evaluate(() => window.tracker.trackScreenView({ name: 'article', type: 'story' }));
  // A real scroll of the document: the passive listener coalesces it, nothing crosses into wasm.
  await page.mouse.move(200, 200);
  await page.mouse.wheel(0, 1500);
  await waitFor(() => page.evaluate(() => window.scrollY >= 1000), { message: 'the page scrolled' });
  const { viewHeight, scrolled } = await page.evaluate(() => ({ viewHeight: innerHeight, scrolled: Math.round(scrollY) }));
  await sleep(700);
  assert.deepEqual(pageErrors, []);
  await page.close(); // pagehide, then visibilitychange: the tracker's last events ride the keepalive flush

  const good = await collector.waitForGood(2, { timeout: 10_000 });
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), ['screen_view', 'application_background']);
  const [view, background] = good;
  assert.deepEqual(unstructData(background), { backgroundIndex: 1 });
  assert.deepEqual(entity(background, SCHEMAS.lifecycle), { isVisible: false, index: 1 });
  assert.deepEqual(entity(view, SCHEMAS.lifecycle), { isVisible: true, index: 0 });
  assert.equal(entity(background, SCHEMAS.screen).name, 'article', 'the screen that was on');
  const summary = entity(background, SCHEMAS.screenSummary);
  assert.ok(summary.foreground_sec >= 0.6, `foreground_sec ${summary.foreground_sec}`);
  assert.equal(summary.background_sec, 0);
  assert.equal(summary.min_y_offset, 0, 'the top was seen at the screen view');
  assert.equal(summary.max_y_offset, scrolled + viewHeight, 'the far edge of what was visible');
  assert.ok(summary.content_height >= 5000, `content_height ${summary.content_height}`);
});

test('a page leaving into the back/forward cache goes to the background, and comes back to the foreground', TIMEOUT, async (t) => {
  const site = await makeSite(FIXTURE_DIR);
  t.after(() => rm(site, { recursive: true, force: true }));
  const collector = await Collector.start({ staticDir: site });
  t.after(() => collector.stop());
  // Playwright turns the back/forward cache off by default; a real browser has it on.
  const browser = await chromium.launch({
    executablePath: CHROMIUM, args: CHROMIUM_ARGS, ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
  t.after(() => browser.close());
  const page = await (await browser.newContext()).newPage();
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  await openPage(page, collector);
  await page.evaluate(() => {
    window.shown = [];
    window.addEventListener('pageshow', (e) => window.shown.push(e.persisted));
  });
  await createTracker(page);
  await page.evaluate(() => window.tracker.trackScreenView({ name: 'A' }));
  await sleep(500);
  await page.goto(`${collector.url}/?elsewhere`); // the fixture page creates no tracker of its own
  await sleep(800);
  await page.goBack({ waitUntil: 'commit' });
  await waitFor(() => page.evaluate(() => window.shown?.includes(true)), { message: 'restored from the back/forward cache' });
  await sleep(200);
  await page.evaluate(() => window.tracker.trackScreenView({ name: 'B' }));
  await page.evaluate(() => window.tracker.flush());

  const good = await collector.waitForGood(5, { timeout: 10_000 });
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), ['screen_view', 'application_background', 'application_foreground', 'screen_end', 'screen_view']);
  const [, background, foreground, end, b] = good;
  assert.deepEqual(unstructData(background), { backgroundIndex: 1 });
  assert.deepEqual(unstructData(foreground), { foregroundIndex: 1 });
  assert.deepEqual(entity(foreground, SCHEMAS.lifecycle), { isVisible: true, index: 1 });
  const away = entity(foreground, SCHEMAS.screenSummary);
  assert.ok(away.foreground_sec >= 0.5 && away.background_sec >= 0.7, `foreground ${away.foreground_sec} s, background ${away.background_sec} s`);
  const summary = entity(end, SCHEMAS.screenSummary);
  assert.equal(entity(end, SCHEMAS.screen).name, 'A');
  assert.ok(summary.background_sec >= away.background_sec && summary.foreground_sec >= away.foreground_sec);
  assert.equal(unstructData(b).previousName, 'A');
  assert.deepEqual(pageErrors, []);
});
