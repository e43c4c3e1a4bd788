// Interop with @snowplow/browser-tracker 4.x (bundled with esbuild here) on pages served by the
// collector: same cookies for the same configuration, a session started by either tracker is
// continued by the other, and both on one page keep one session.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import {
  COOKIE_LIFETIME_S, SESSION_TIMEOUT_S, TRACKER_VERSION, launchBrowser, parseIdCookie, sleep, trackerCookies,
  waitFor,
} from './support.mjs';
import {
  NPM_DIR, bundleBrowserTracker, consoleErrors, ensurePackage, fileScope, html, inTrackingOrder, openContext,
  startCollector, tempDir, writeTree,
} from './package-support.mjs';

const TIMEOUT = { timeout: 60_000 };
const JS_TRACKER_VERSION = `js-${JSON.parse(readFileSync(
  new URL('./node_modules/@snowplow/browser-tracker/package.json', import.meta.url), 'utf8')).version}`;
/** Longer than both trackers' 50 ms cookie read-back and the JS tracker's 10 ms write delay. */
const BETWEEN_TRACKERS_MS = 120;
const scope = fileScope();
let collector;
let browser;

const JS_PAGE = '<script src="./snowplow.js"></script><script>document.body.dataset.ready = "true";</script>';
const ST_PAGE = `<script type="module">
  import { load } from './npm/load.js';
  window.snowtrackApi = await load();
  document.body.dataset.ready = 'true';
</script>`;

before(async () => {
  ensurePackage();
  const dir = await tempDir(scope);
  await bundleBrowserTracker(path.join(dir, 'snowplow.js'));
  await writeTree(dir, {
    npm: { link: NPM_DIR },
    'js.html': html({ title: 'js tracker', body: JS_PAGE }),
    'st.html': html({ title: 'snowtrack', body: ST_PAGE }),
    'both.html': html({ title: 'both', body: JS_PAGE.replace(/<script>.*<\/script>$/, '') + ST_PAGE }),
  });
  collector = await startCollector(scope, dir);
  browser = await launchBrowser(scope);
});

/** A fresh browser profile (no cookies) and an empty collector. */
async function freshContext(t) {
  await collector.reset();
  const tab = await openContext(browser);
  t.after(async () => {
    await tab.context.close();
    // Closing the tab sends its last events (application_background) with keepalive; let them
    // land before the next test resets the collector, or they would count as that test's.
    await sleep(500);
    let last = -1;
    await waitFor(async () => {
      const { total } = await collector.all();
      const stable = total === last;
      last = total;
      return stable;
    }, { interval: 300, timeout: 5_000, message: 'the closed tab\'s last events' });
  });
  return tab;
}

async function goto(page, name) {
  await page.goto(`${collector.url}/${name}.html`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 });
}

/**
 * Runs `steps` in the page against a tracker of each kind, created on first use with the same
 * configuration: `['st' | 'js', 'pv' | 'se' | 'wait', arg]`. Returns each tracker's view of
 * identity afterwards. The JS tracker's pending cookie writes are flushed after each of its events.
 */
function run(page, steps, { appIds = { st: 'interop-st', js: 'interop-js' }, init = [] } = {}) {
  return page.evaluate(async ({ steps, appIds, init, origin }) => {
    const config = (appId) => ({ appId, cookieSecure: false, contexts: { session: true, webPage: true } });
    const trackers = (window.trackers ??= {});
    const create = {
      st: () => window.snowtrackApi.newTracker('st', origin, config(appIds.st)),
      js: () => window.snowplow.newTracker('js', origin, config(appIds.js)),
    };
    const tracker = (kind) => (trackers[kind] ??= create[kind]());
    for (const kind of init) tracker(kind); // in this order, in one task
    for (const [kind, what, arg] of steps) {
      if (what === 'wait') {
        await new Promise((resolve) => setTimeout(resolve, arg));
        continue;
      }
      const t = tracker(kind);
      const event = what === 'pv' ? { title: arg } : { category: 'interop', action: arg };
      if (kind === 'st') {
        if (what === 'pv') t.trackPageView(event);
        else t.trackStructEvent(event);
      } else {
        if (what === 'pv') window.snowplow.trackPageView(event, ['js']);
        else window.snowplow.trackStructEvent(event, ['js']);
        window.snowplow.flushPendingCookies();
      }
    }
    const views = {};
    for (const [kind, t] of Object.entries(trackers)) {
      views[kind] = {
        duid: t.getDomainUserId(), sid: t.getDomainSessionId(), sidx: t.getDomainSessionIndex(),
        idCookie: t.getCookieName('id'), sesCookie: t.getCookieName('ses'),
      };
    }
    if (trackers.st) await trackers.st.flush();
    return views;
  }, { steps, appIds, init, origin: collector.url });
}

/** Both trackers' cookies, checked to be one `_sp_id.*` and one `_sp_ses.*`. */
async function cookies(context) {
  const { id, ses, all } = await trackerCookies(context);
  const ours = all.filter((c) => /^_sp_(id|ses)\./.test(c.name)).map((c) => c.name);
  assert.equal(ours.length, 2, `one id and one session cookie, not ${ours.join(', ')}`);
  return { id, ses, fields: parseIdCookie(id.value) };
}

/** The `_sp_id` value's shape: uuid.s.n.s.[s].uuid.[uuid].[uuid].[ms].n */
const ID_VALUE = /^[0-9a-f-]{36}\.\d{10}\.\d+\.\d{10}\.(\d{10})?\.[0-9a-f-]{36}\.([0-9a-f-]{36})?\.([0-9a-f-]{36})?\.(\d{13})?\.\d+$/;

/** Chromium caps a cookie's lifetime at 400 days. */
const MAX_COOKIE_LIFETIME_S = 400 * 86400;

function assertExpiry(cookie, lifetimeS, what) {
  const expected = Date.now() / 1000 + Math.min(lifetimeS, MAX_COOKIE_LIFETIME_S);
  assert.ok(Math.abs(cookie.expires - expected) < 30, `${what}: expires in ${cookie.expires - Date.now() / 1000} s, not ${lifetimeS}`);
}

test('same configuration, same cookies: names, attributes and value format', TIMEOUT, async (t) => {
  const cookieSets = {};
  for (const kind of ['js', 'st']) {
    const { context, page, pageErrors } = await freshContext(t);
    await goto(page, kind);
    const [view] = Object.values(await run(page, [[kind, 'pv', 'first']]));
    const { id, ses, fields } = await cookies(context);
    assert.equal(id.name, view.idCookie);
    assert.equal(ses.name, view.sesCookie);
    assert.match(id.value, ID_VALUE, `${kind}: _sp_id value`);
    assert.equal(ses.value, '*', `${kind}: _sp_ses value`);
    assertExpiry(id, COOKIE_LIFETIME_S, `${kind} _sp_id`);
    assertExpiry(ses, SESSION_TIMEOUT_S, `${kind} _sp_ses`);
    assert.deepEqual(pageErrors, []);
    cookieSets[kind] = {
      names: [id.name, ses.name],
      attributes: [id, ses].map((c) => ({ domain: c.domain, path: c.path, secure: c.secure, httpOnly: c.httpOnly, sameSite: c.sameSite })),
      // Field by field, with ids and times replaced by their kind.
      shape: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k,
        /^[0-9a-f-]{36}$/.test(v) ? 'uuid' : /^\d{10}$/.test(v) ? 's' : /^\d{13}$/.test(v) ? 'ms' : v])),
      // Both trackers set `created` when they start and `lastActivity` at the page view, in the
      // same second unless a second boundary falls between the two.
      closeTimes: Math.abs(Number(fields.lastActivity) - Number(fields.created)) <= 1,
    };
  }
  t.diagnostic(`cookies: ${JSON.stringify(cookieSets.st.names)} ${JSON.stringify(cookieSets.st.attributes[0])}`);
  assert.deepEqual(cookieSets.st, cookieSets.js);
});

/**
 * Asserts the events continue one session across trackers and returns them in order. With
 * `floating`, the events of that kind may come anywhere after the first `floating.after`
 * expected ones (they are left out of `expected`): a page's pagehide can run after the next page
 * started tracking (Chromium may unload the old document in parallel), so its event takes the
 * next event index then.
 */
async function assertOneSession(expected, floating) {
  const count = expected.length + (floating ? 1 : 0);
  const events = inTrackingOrder(await collector.waitForGood(count));
  assert.deepEqual(await collector.bad(), []);
  const fixed = floating ? events.filter((e) => e.kind !== floating.kind) : events;
  assert.deepEqual(fixed.map((e) => [e.tracker, e.title ?? e.action]), expected);
  if (floating) {
    const at = events.findIndex((e) => e.kind === floating.kind);
    assert.ok(at >= floating.after, `${floating.kind} after the leaving page's own events (at ${at})`);
  }
  assert.deepEqual(events.map((e) => e.eventIndex), events.map((_, i) => i + 1), 'event index continues, each once');
  const [first] = events;
  for (const e of events) {
    const at = `${e.tracker} ${e.title ?? e.action}`;
    assert.equal(e.duid, first.duid, `${at}: domain_userid`);
    assert.equal(e.sid, first.sid, `${at}: domain_sessionid`);
    assert.equal(e.sidx, 1, `${at}: domain_sessionidx`);
    assert.deepEqual([e.userId, e.sessionId, e.sessionIndex], [first.duid, first.sid, 1], `${at}: client_session ids`);
    assert.equal(e.firstEventId, first.eventId, `${at}: client_session.firstEventId`);
    assert.equal(e.previousSessionId, null, `${at}: client_session.previousSessionId`);
  }
  return events;
}

for (const [from, to] of [['js', 'st'], ['st', 'js']]) {
  const names = { js: '@snowplow/browser-tracker', st: 'snowtrack' };
  test(`a session started by ${names[from]} is continued by ${names[to]} on the next page`, TIMEOUT, async (t) => {
    const { context, page, pageErrors, messages } = await freshContext(t);
    await goto(page, from);
    const before = (await run(page, [[from, 'pv', `${from} page`], [from, 'se', `${from} action`]]))[from];
    const cookieBefore = (await cookies(context)).fields;
    assert.equal(cookieBefore.eventIndex, '2');

    await goto(page, to);
    const after = (await run(page, [[to, 'pv', `${to} page`], [to, 'se', `${to} action`]]))[to];
    assert.deepEqual({ ...after, idCookie: undefined, sesCookie: undefined }, { ...before, idCookie: undefined, sesCookie: undefined },
      'same duid, session id and index');
    assert.deepEqual([after.idCookie, after.sesCookie], [before.idCookie, before.sesCookie], 'same cookie names');

    const version = { js: JS_TRACKER_VERSION, st: TRACKER_VERSION };
    // Leaving a page, snowtrack sends application_background (lifecycle autotracking, on by
    // default): part of the same session, which the JS tracker continues after it.
    const leaving = from === 'st' ? { kind: 'application_background', after: 2 } : undefined;
    await assertOneSession([
      [version[from], `${from} page`], [version[from], `${from} action`],
      [version[to], `${to} page`], [version[to], `${to} action`],
    ], leaving);
    const cookieAfter = (await cookies(context)).fields;
    const eventIndex = String(4 + (leaving ? 1 : 0));
    assert.deepEqual({ ...cookieAfter, lastActivity: undefined }, { ...cookieBefore, lastActivity: undefined, eventIndex });
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(consoleErrors(messages), []);
  });
}

for (const first of ['js', 'st']) {
  test(`both trackers on one page with one cookie prefix keep one session (${first} created first)`, TIMEOUT, async (t) => {
    const { context, page, pageErrors } = await freshContext(t);
    await goto(page, 'both');
    const other = first === 'js' ? 'st' : 'js';
    const pause = ['', 'wait', BETWEEN_TRACKERS_MS];
    const steps = [
      [first, 'pv', `${first} 1`], pause, [other, 'pv', `${other} 2`], pause,
      [first, 'se', `${first} 3`], pause, [other, 'se', `${other} 4`], pause, [first, 'se', `${first} 5`],
    ];
    const views = await run(page, steps, { init: [first, other] });
    assert.deepEqual(views.st, views.js, 'both trackers see the same identity and cookie names');
    const version = { js: JS_TRACKER_VERSION, st: TRACKER_VERSION };
    await assertOneSession(steps.filter(([kind]) => kind).map(([kind, , label]) => [version[kind], label]));
    assert.equal((await cookies(context)).fields.eventIndex, '5');
    assert.deepEqual(pageErrors, []);
  });
}

test('two trackers with one cookie prefix on one page, events in one task: one event index', TIMEOUT, async (t) => {
  const { page } = await freshContext(t);
  await goto(page, 'both');
  const indexes = await page.evaluate(async (origin) => {
    const config = { cookieSecure: false, contexts: { session: true, webPage: true } };
    // The JS tracker's trackers share one cookie cache per page.
    const j1 = window.snowplow.newTracker('j1', origin, { ...config, appId: 'j1', cookieName: '_j_' });
    const j2 = window.snowplow.newTracker('j2', origin, { ...config, appId: 'j2', cookieName: '_j_' });
    const js = [];
    for (const [tracker, ns] of [[j1, 'j1'], [j2, 'j2'], [j1, 'j1']]) {
      window.snowplow.trackPageView({}, [ns]);
      js.push(Number(tracker.getDomainUserInfo()[10]));
    }
    const s1 = window.snowtrackApi.newTracker('s1', origin, { ...config, appId: 's1', cookieName: '_s_' });
    const s2 = window.snowtrackApi.newTracker('s2', origin, { ...config, appId: 's2', cookieName: '_s_' });
    const st = [];
    for (const tracker of [s1, s2, s1]) {
      tracker.trackPageView();
      st.push(tracker.getSessionContext().eventIndex);
    }
    return { js, st, sessions: new Set([s1.getDomainSessionId(), s2.getDomainSessionId()]).size };
  }, collector.url);
  assert.deepEqual(indexes.js, [1, 2, 3], '@snowplow/browser-tracker (reference)');
  assert.deepEqual(indexes.st, [1, 2, 3], 'snowtrack');
  assert.equal(indexes.sessions, 1);
  await sleep(200);
});
