// The sessions page (/micro/ui/sessions) in headless Chromium: after tracker-protocol events are
// posted, it draws one lane per session, each view a segment as long as its time, background time
// shaded, events as ticks; it updates without a reload and requests nothing from elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { chromium } from 'playwright-core';
import { startCollector, waitForTotal } from '../lib/helpers.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN || '/usr/bin/chromium';
const PAYLOAD_DATA = 'iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4';
const UNSTRUCT = 'iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0';
const CONTEXTS = 'iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0';
const CLIENT_SESSION = 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2';
const WEB_PAGE = 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0';
const SCREEN_VIEW = 'iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0';
const SCREEN = 'iglu:com.snowplowanalytics.mobile/screen/jsonschema/1-0-0';
const SCREEN_END = 'iglu:com.snowplowanalytics.mobile/screen_end/jsonschema/1-0-0';
const SCREEN_SUMMARY = 'iglu:com.snowplowanalytics.mobile/screen_summary/jsonschema/1-0-0';
const BACKGROUND = 'iglu:com.snowplowanalytics.snowplow/application_background/jsonschema/1-0-0';
const FOREGROUND = 'iglu:com.snowplowanalytics.snowplow/application_foreground/jsonschema/1-0-0';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0);
const MOBILE_SESSION = randomUUID();
const WEB_SESSION = randomUUID();
const USER = randomUUID();
const [A, B, C] = [randomUUID(), randomUUID(), randomUUID()];

function base(e, p, atMs) {
  const t = String(T0 + atMs);
  return { e, eid: randomUUID(), tv: 'compat-1', aid: 'sessions-page', p, dtm: t, stm: t, ttm: t };
}
const sdj = (schema, data) => ({ schema, data });
let eventIndex = 0;
function mobile(atMs, event, entities) {
  eventIndex += 1;
  const session = sdj(CLIENT_SESSION, { userId: USER, sessionId: MOBILE_SESSION, sessionIndex: 1, eventIndex, storageMechanism: 'SQLITE' });
  return {
    ...base('ue', 'mob', atMs),
    ue_pr: JSON.stringify(sdj(UNSTRUCT, event)),
    co: JSON.stringify(sdj(CONTEXTS, [...entities, session])),
  };
}
const screen = (id, name) => sdj(SCREEN, { id, name });
const screenView = (atMs, id, name) => mobile(atMs, sdj(SCREEN_VIEW, { id, name }), [screen(id, name)]);
function web(e, atMs, extra) {
  return {
    ...base(e, 'web', atMs), duid: USER, sid: WEB_SESSION, vid: '1', ds: '1280x3000', vp: '1280x720', ...extra,
    co: JSON.stringify(sdj(CONTEXTS, [sdj(WEB_PAGE, { id: C })])),
  };
}

async function send(base, events) {
  const res = await fetch(`${base}/com.snowplowanalytics.snowplow/tp2`, {
    method: 'POST', headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: JSON.stringify(sdj(PAYLOAD_DATA, events)),
  });
  assert.equal(await res.text(), 'ok');
}

const skip = process.env.COMPAT_SKIP_BROWSER === '1' && 'COMPAT_SKIP_BROWSER=1';

test('the sessions page draws lanes, segments, background time and ticks, live', { skip }, async (t) => {
  assert.ok(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_BIN)`);
  const c = await startCollector(['--quiet']);
  t.after(() => c.stop());
  // Mobile: screen A for 20 s (10 s, 5 s in the background, 5 s), then screen B for 10 s.
  const mobileEvents = [
    screenView(0, A, 'Home'),
    mobile(10_000, sdj(BACKGROUND, { backgroundIndex: 1 }), [screen(A, 'Home'), sdj(SCREEN_SUMMARY, { foreground_sec: 10, background_sec: 0 })]),
    mobile(15_000, sdj(FOREGROUND, { foregroundIndex: 1 }), [screen(A, 'Home'), sdj(SCREEN_SUMMARY, { foreground_sec: 10, background_sec: 5 })]),
    mobile(20_000, sdj(SCREEN_END, {}), [screen(A, 'Home'), sdj(SCREEN_SUMMARY, { foreground_sec: 15, background_sec: 5 })]),
    screenView(20_000, B, 'Settings'),
    mobile(30_000, sdj(BACKGROUND, { backgroundIndex: 2 }), [screen(B, 'Settings'), sdj(SCREEN_SUMMARY, { foreground_sec: 10, background_sec: 0 })]),
  ];
  // Web: a page view and two pings, 15 s.
  const webEvents = [web('pv', 100_000, { page: 'Shop', url: 'http://127.0.0.1:8080/shop' }), web('pp', 105_000, { pp_may: '900' }), web('pp', 115_000, { pp_may: '1800' })];
  await send(c.base, mobileEvents);
  await send(c.base, webEvents);
  assert.deepEqual(await waitForTotal(c, 9), { total: 9, good: 9, bad: 0 });

  const profile = await mkdtemp(join(tmpdir(), 'snowtrack-compat-profile-'));
  t.after(() => rm(profile, { recursive: true, force: true }));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 700 },
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  const res = await page.goto(`${c.base}/micro/ui/sessions`);
  assert.equal(res.status(), 200);
  await page.waitForFunction(() => document.querySelectorAll('.lane').length === 2, null, { timeout: 10000 });

  // One scale (in ms) for all lanes: the longest session (mobile, 30 s) plus some room.
  const scale = Number(await page.locator('#lanes').getAttribute('data-scale-ms')) / 1000;
  assert.ok(scale >= 30 && scale < 33, `scale ${scale} s`);
  const lanes = await page.evaluate(() => [...document.querySelectorAll('.lane')].map((lane) => {
    const track = lane.querySelector('.track').getBoundingClientRect();
    const box = (el) => { const r = el.getBoundingClientRect(); return { left: (r.left - track.left) / track.width, width: r.width / track.width }; };
    return {
      session: lane.dataset.session,
      head: lane.querySelector('.lane-head').textContent,
      segments: [...lane.querySelectorAll('.seg')].map((s) => ({ view: s.dataset.view, text: s.textContent, ...box(s) })),
      background: [...lane.querySelectorAll('.bg')].map(box),
      ticks: lane.querySelectorAll('.tick').length,
    };
  }));
  const mob = lanes.find((l) => l.session === MOBILE_SESSION);
  const webLane = lanes.find((l) => l.session === WEB_SESSION);
  assert.ok(mob && webLane, JSON.stringify(lanes));
  const near = (a, b, what) => assert.ok(Math.abs(a - b) < 0.02, `${what}: ${a} ≉ ${b}`);
  assert.deepEqual(mob.segments.map((s) => s.view), [A, B]);
  assert.match(mob.segments[0].text, /Home/);
  assert.match(mob.segments[0].text, /fg 15 s · bg 5 s/);
  assert.match(mob.segments[1].text, /Settings/);
  near(mob.segments[0].left, 0, 'A starts');
  near(mob.segments[0].width, 20 / scale, 'A lasts 20 s');
  near(mob.segments[1].left, 20 / scale, 'B starts');
  near(mob.segments[1].width, 10 / scale, 'B lasts 10 s');
  assert.equal(mob.background.length, 2, 'background from 10 s to 15 s, and from 30 s on');
  near(mob.background[0].left, 10 / scale, 'background starts');
  near(mob.background[0].width, 5 / scale, 'background lasts 5 s');
  assert.equal(mob.ticks, 6);
  assert.match(mob.head, /session 1/);
  assert.deepEqual(webLane.segments.map((s) => s.view), [C]);
  assert.match(webLane.segments[0].text, /Shop/);
  near(webLane.segments[0].width, 15 / scale, 'the page view lasts 15 s');
  assert.equal(webLane.background.length, 0);
  assert.equal(webLane.ticks, 3);

  // Live: a third screen arrives while the page is open.
  await send(c.base, [screenView(40_000, randomUUID(), 'Profile')]);
  await page.waitForFunction((sid) => document.querySelectorAll(`.lane[data-session="${sid}"] .seg`).length === 3,
    MOBILE_SESSION, { timeout: 10000 });
  assert.match(await page.locator(`.lane[data-session="${MOBILE_SESSION}"] .seg`).nth(2).textContent(), /Profile/);

  if (process.env.SESSIONS_SCREENSHOT) await page.screenshot({ path: process.env.SESSIONS_SCREENSHOT, fullPage: true });
  assert.deepEqual(pageErrors, []);
  const elsewhere = requests.filter((u) => !u.startsWith(`${c.base}/`));
  assert.deepEqual(elsewhere, [], 'no external requests');
  assert.ok(requests.some((u) => u.endsWith('/micro/model/sessions')));
});
