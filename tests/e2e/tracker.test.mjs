// The built package (pkg/web, with the facade the package attaches) on a real page in headless Chromium, sending to the real collector.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  COOKIE_LIFETIME_S, SCHEMAS, SESSION_TIMEOUT_S, TRACKER_VERSION,
  createTracker, domainHash, entity, flush, kind, openPage, parseIdCookie, setup, sleep,
  trackerCookies, trackerState, unstructData, uuid, waitFor,
} from './support.mjs';
import { faultReport, setFault } from './delivery-support.mjs';

const TIMEOUT = { timeout: 60_000 };

/** Asserts `actual` is within `tolerance` of `expected` (numbers). */
function assertNear(actual, expected, tolerance, what) {
  assert.ok(Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} is not within ${tolerance} of ${expected} (off by ${actual - expected})`);
}

test('tracks page view, screen views, self-describing and structured events with their entities', TIMEOUT, async (t) => {
  const { collector, page, pageErrors } = await setup(t);
  await openPage(page, collector);
  await createTracker(page);
  const flushed = await page.evaluate(async (linkClick) => {
    const tracker = window.tracker;
    tracker.trackPageView({ title: 'Catalogue' });
    tracker.trackScreenView({ name: 'Home', type: 'feed' });
    tracker.trackScreenView({ name: 'Details', transitionType: 'push' });
    tracker.trackSelfDescribingEvent({ event: { schema: linkClick, data: { targetUrl: 'https://example.com/docs' } } });
    tracker.trackStructEvent({ category: 'shop', action: 'add-to-basket', label: 'sku-1', property: 'red', value: 2.5 });
    return tracker.flush();
  }, SCHEMAS.linkClick);
  assert.equal(typeof flushed, 'boolean');
  const state = await trackerState(page);

  const good = await collector.waitForGood(6);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), ['page_view', 'screen_view', 'screen_end', 'screen_view', 'link_click', 'struct']);

  const [pageView, home, homeEnd, details, linkClick, struct] = good;
  // Screen engagement: the screen_end before a new screen view carries the ending screen's summary.
  assert.deepEqual(entity(homeEnd, SCHEMAS.screen), { name: 'Home', id: unstructData(home).id, type: 'feed' });
  assert.equal(typeof entity(homeEnd, SCHEMAS.screenSummary).foreground_sec, 'number');
  const firstEventId = pageView.event.event_id;
  good.forEach((g, i) => {
    const at = `event ${i + 1} (${kind(g)})`;
    assert.equal(g.rawEvent.parameters.tv, TRACKER_VERSION, `${at}: tv`);
    assert.equal(g.event.v_tracker, TRACKER_VERSION, `${at}: v_tracker`);
    assert.equal(g.event.app_id, 'e2e', `${at}: app_id`);
    assert.equal(g.event.domain_userid, state.duid, `${at}: domain_userid`);
    assert.equal(g.event.domain_sessionid, state.sessionId, `${at}: domain_sessionid`);
    assert.equal(g.event.domain_sessionidx, 1, `${at}: domain_sessionidx`);

    const session = entity(g, SCHEMAS.clientSession);
    assert.ok(session, `${at}: client_session entity`);
    assert.equal(session.userId, g.event.domain_userid, `${at}: client_session.userId`);
    assert.equal(session.sessionId, g.event.domain_sessionid, `${at}: client_session.sessionId`);
    assert.equal(session.sessionIndex, 1, `${at}: client_session.sessionIndex`);
    assert.equal(session.eventIndex, i + 1, `${at}: client_session.eventIndex`);
    assert.equal(session.firstEventId, firstEventId, `${at}: client_session.firstEventId`);
    assert.equal(session.previousSessionId, null, `${at}: client_session.previousSessionId`);
    assert.equal(session.storageMechanism, 'COOKIE_1', `${at}: client_session.storageMechanism`);

    const webPage = entity(g, SCHEMAS.webPage);
    assert.ok(webPage?.id, `${at}: web_page entity`);
    assert.equal(webPage.id, entity(pageView, SCHEMAS.webPage).id, `${at}: one page view id`);
  });

  assert.equal(pageView.event.page_title, 'Catalogue');
  assert.equal(entity(pageView, SCHEMAS.screen), undefined, 'no screen entity before any screen view');

  const homeData = unstructData(home);
  const detailsData = unstructData(details);
  assert.equal(homeData.name, 'Home');
  assert.equal(homeData.type, 'feed');
  assert.equal(homeData.previousName, undefined, 'the first screen view has no previous screen');
  assert.equal(detailsData.name, 'Details');
  assert.equal(detailsData.previousName, 'Home');
  assert.equal(detailsData.previousId, homeData.id);
  assert.equal(detailsData.previousType, 'feed');
  assert.equal(detailsData.transitionType, 'push');
  assert.notEqual(detailsData.id, homeData.id);

  // From a screen view on, every event carries the current screen.
  assert.deepEqual(entity(home, SCHEMAS.screen), { name: 'Home', id: homeData.id, type: 'feed' });
  for (const g of [details, linkClick, struct]) {
    assert.deepEqual(entity(g, SCHEMAS.screen), { name: 'Details', id: detailsData.id }, `screen entity on ${kind(g)}`);
  }

  assert.deepEqual(unstructData(linkClick), { targetUrl: 'https://example.com/docs' });
  assert.equal(linkClick.schema, SCHEMAS.linkClick);
  assert.deepEqual(
    [struct.event.se_category, struct.event.se_action, struct.event.se_label, struct.event.se_property, struct.event.se_value],
    ['shop', 'add-to-basket', 'sku-1', 'red', 2.5]);

  assert.equal(state.session.eventIndex, 6);
  assert.equal(state.session.firstEventId, firstEventId);
  assert.deepEqual(pageErrors, []);
});

/** Tracks `count` page views, awaits `flush()`, and returns its result with the collector's count right after. */
async function trackThenFlush(page, collector, count) {
  const flushed = await page.evaluate(async (n) => {
    for (let i = 0; i < n; i += 1) window.tracker.trackPageView();
    return window.tracker.flush();
  }, count);
  return { flushed, summary: await collector.all() };
}

test('page facts come from the browser: time zone, language, sizes, ids as UUID v4', TIMEOUT, async (t) => {
  const { collector, page } = await setup(t, {
    contextOptions: { timezoneId: 'America/New_York', locale: 'fr-FR', viewport: { width: 900, height: 700 } },
  });
  await openPage(page, collector);
  await createTracker(page);
  const browser = await page.evaluate(() => {
    window.tracker.trackPageView({ title: 'facts' });
    return {
      tz: Intl.DateTimeFormat().resolvedOptions().timeZone,
      lang: navigator.language,
      screen: [screen.width, screen.height],
      charset: document.characterSet,
      url: location.href,
    };
  });
  const [{ event }] = await collector.waitForGood(1);
  assert.equal(browser.tz, 'America/New_York');
  assert.equal(event.os_timezone, browser.tz, 'tz: the IANA id Intl gives (snowtrack reads Temporal.Now)');
  assert.equal(event.br_lang, browser.lang);
  assert.equal(event.doc_charset, browser.charset);
  assert.deepEqual([event.dvce_screenwidth, event.dvce_screenheight], browser.screen);
  assert.deepEqual([event.br_viewwidth, event.br_viewheight], [900, 700]);
  assert.equal(event.page_url, browser.url);
  const v4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  for (const id of [event.event_id, event.domain_userid, event.domain_sessionid]) assert.match(id, v4);
  assert.equal(new Set([event.event_id, event.domain_userid, event.domain_sessionid]).size, 3);
});

test('page facts follow a single-page app: url, title and referrer changed in the same task', TIMEOUT, async (t) => {
  const { collector, page } = await setup(t);
  await openPage(page, collector);
  await createTracker(page);
  const urls = await page.evaluate(() => {
    const seen = [location.href];
    window.tracker.trackPageView();
    window.tracker.trackSelfDescribingEvent({
      event: { schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', data: { targetUrl: 'https://example.com/' } },
    });
    history.pushState({}, '', '/app/second?x=1');
    document.title = 'second view';
    seen.push(location.href);
    window.tracker.trackPageView();
    history.pushState({}, '', '/app/third#h');
    seen.push(location.href);
    window.tracker.trackPageView({ title: 'third view' });
    return seen;
  });
  const events = (await collector.waitForGood(4)).map((g) => g.event);
  assert.deepEqual(events.map((e) => e.page_url), [urls[0], urls[0], urls[1], urls[2]]);
  // The first page view reads the fixture's <title>; the self-describing event carries no title.
  assert.deepEqual(events.map((e) => e.page_title), ['snowtrack e2e', null, 'second view', 'third view']);
  // Unchanged facts are reused, changed ones are read again: the third event was tracked after
  // the title changed, in the same task as the first two.
  const again = await page.evaluate(() => {
    document.title = 'later';
    window.tracker.trackPageView();
    return location.href;
  });
  const [later] = (await collector.waitForGood(5)).slice(4).map((g) => g.event);
  assert.equal(later.page_url, again);
  assert.equal(later.page_title, 'later');
});

test('flush() sends a buffered batch and resolves true once it is delivered', TIMEOUT, async (t) => {
  const { collector, page } = await setup(t);
  await openPage(page, collector);
  await createTracker(page, { bufferSize: 10 });
  // A second tracker with bufferSize 1, tracking in the same task, sends at once: once its event
  // has arrived, the buffered one would have too, had it been sent.
  await page.evaluate(() => {
    window.probe = window.snowtrack.newTracker('probe', location.origin, { cookieName: '_probe_', lifecycleAutotracking: false });
    window.tracker.trackPageView();
    window.probe.trackPageView();
  });
  const [arrived] = await collector.waitForGood(1, { settle: 500 });
  assert.equal(arrived.event.name_tracker, 'probe', 'held in the buffer until flush(): only the unbuffered event arrived');
  assert.deepEqual(await page.evaluate(() => window.tracker.getDeliveryStats().queued), 1, 'the buffered event waits');
  assert.deepEqual(await trackThenFlush(page, collector, 4), { flushed: true, summary: { total: 6, good: 6, bad: 0 } });
  assert.equal((await collector.good()).filter((g) => g.event.name_tracker === 'sp').length, 5);
});

test('flush() waits for a request already in flight before resolving', TIMEOUT, async (t) => {
  const { collector, page } = await setup(t);
  await openPage(page, collector);
  await createTracker(page); // bufferSize 1: the event's request starts at the end of the task
  // The collector holds the next request 2 s before answering: flush() is called while it is
  // in flight, with nothing left in the queue, and must wait for it.
  await setFault(collector, { delayMs: 2000, count: 1 });
  await page.evaluate(() => window.tracker.trackPageView());
  await waitFor(async () => (await faultReport(collector)).delayed >= 1, { message: 'the request held by the collector' });
  const result = await page.evaluate(async () => {
    const before = window.tracker.getDeliveryStats();
    const started = Date.now();
    const flushed = await window.tracker.flush();
    const waitedMs = Date.now() - started;
    const received = await (await fetch('/micro/all')).json();
    return { before: { queued: before.queued, inFlight: before.inFlight }, flushed, waitedMs, received };
  });
  assert.deepEqual(result.before, { queued: 0, inFlight: 1 }, 'one request in flight, nothing queued');
  assert.equal(result.flushed, true);
  assert.deepEqual(result.received, { total: 1, good: 1, bad: 0 }, 'resolved only once the held request was answered');
  assert.ok(result.waitedMs >= 500, `flush() resolved after ${result.waitedMs} ms, while the request was held 2 s`);
});

test('writes _sp_id and _sp_ses cookies in the JS tracker format', TIMEOUT, async (t) => {
  const { collector, context, page } = await setup(t);
  // Records what the tracker writes to document.cookie, to see the Expires it asks for.
  await context.addInitScript(() => {
    const property = Object.getOwnPropertyDescriptor(Document.prototype, 'cookie');
    window.cookieWrites = [];
    Object.defineProperty(Document.prototype, 'cookie', {
      configurable: true,
      get() { return property.get.call(this); },
      set(value) { window.cookieWrites.push({ value, at: Date.now() }); property.set.call(this, value); },
    });
  });
  await openPage(page, collector);
  await createTracker(page);
  await page.evaluate(() => window.tracker.trackPageView());
  const nowS = Date.now() / 1000;
  await flush(page);
  await collector.waitForGood(1);
  const state = await trackerState(page);
  const { id, ses } = await trackerCookies(context);

  assert.ok(id, '_sp_id.<hash> cookie');
  assert.ok(ses, '_sp_ses.<hash> cookie');
  const hash = domainHash(id.domain);
  assert.match(hash, /^[0-9a-f]{4}$/);
  assert.equal(id.name, `_sp_id.${hash}`);
  assert.equal(ses.name, `_sp_ses.${hash}`);
  assert.equal(ses.domain, id.domain);
  assert.equal(state.idCookieName, id.name);
  assert.equal(state.sesCookieName, ses.name);

  assert.equal(ses.value, '*');
  const fields = id.value.split('.');
  assert.equal(fields.length, 10, `10 dot-separated fields in ${id.value}`);
  const parsed = parseIdCookie(id.value);
  assert.equal(parsed.duid, state.duid);
  assert.equal(parsed.sessionId, state.sessionId);
  assert.equal(Number(parsed.sessionIndex), state.sessionIndex);
  assert.equal(parsed.eventIndex, '1');
  assert.equal(parsed.firstEventId, state.session.firstEventId);
  assertNear(Number(parsed.created), nowS, 60, 'created (s)');
  assertNear(Number(parsed.lastActivity), nowS, 60, 'last activity (s)');
  assertNear(Number(parsed.firstEventTs) / 1000, nowS, 60, 'first event timestamp (ms)');
  assert.equal(parsed.lastVisit, '');
  assert.equal(parsed.previousSessionId, '');

  for (const cookie of [id, ses]) {
    assert.equal(cookie.path, '/', `${cookie.name} path`);
    assert.equal(cookie.sameSite, 'Lax', `${cookie.name} sameSite`);
    assert.equal(cookie.secure, false, `${cookie.name} secure on http`);
    assert.equal(cookie.httpOnly, false, `${cookie.name} httpOnly`);
  }
  assertNear(ses.expires, nowS + SESSION_TIMEOUT_S, 60, '_sp_ses expires');
  // Chromium caps cookie lifetimes at 400 days, so the stored expiry is the smaller of the two;
  // the Expires the tracker wrote is checked against the full two years below.
  const maxLifetimeS = Math.min(COOKIE_LIFETIME_S, 400 * 86400);
  assertNear(id.expires, nowS + maxLifetimeS, 60, '_sp_id expires');

  const writes = await page.evaluate(() => window.cookieWrites);
  const lastWrite = (name) => writes.findLast((w) => w.value.startsWith(`${name}=`));
  const expiresOf = (write) => Date.parse(/;\s*Expires=([^;]+)/i.exec(write.value)?.[1] ?? '') / 1000;
  const idWrite = lastWrite(id.name);
  const sesWrite = lastWrite(ses.name);
  assert.ok(idWrite && sesWrite, 'the tracker wrote both cookies through document.cookie');
  assertNear(expiresOf(idWrite), idWrite.at / 1000 + COOKIE_LIFETIME_S, 60, '_sp_id Expires written');
  assertNear(expiresOf(sesWrite), sesWrite.at / 1000 + SESSION_TIMEOUT_S, 60, '_sp_ses Expires written');
  assert.doesNotMatch(idWrite.value, /Max-Age/i);
});

test('keeps the user and session across reloads and continues the event index', TIMEOUT, async (t) => {
  const { collector, context, page } = await setup(t);
  // Only the tracked events (the application_background of the reload is lifecycle.test.mjs's).
  const config = { lifecycleAutotracking: false };
  await openPage(page, collector);
  await createTracker(page, config);
  await page.evaluate(() => {
    window.tracker.trackPageView();
    window.tracker.trackStructEvent({ category: 'c', action: 'first-load' });
  });
  await flush(page);
  const before = await trackerState(page);

  await page.reload();
  await openPage(page, collector);
  await createTracker(page, config);
  const restored = await trackerState(page);
  assert.equal(restored.duid, before.duid, 'duid restored from the cookie before any event');
  assert.equal(restored.sessionId, before.sessionId);
  await page.evaluate(() => window.tracker.trackPageView());
  await flush(page);
  const after = await trackerState(page);

  assert.equal(after.duid, before.duid);
  assert.equal(after.sessionId, before.sessionId);
  assert.equal(after.sessionIndex, 1);
  assert.equal(after.session.eventIndex, 3);
  assert.equal(after.session.firstEventId, before.session.firstEventId);

  const good = await collector.waitForGood(3);
  assert.deepEqual(good.map((g) => entity(g, SCHEMAS.clientSession).eventIndex), [1, 2, 3]);
  assert.deepEqual(new Set(good.map((g) => g.event.domain_sessionid)), new Set([before.sessionId]));
  assert.notEqual(entity(good[2], SCHEMAS.webPage).id, entity(good[0], SCHEMAS.webPage).id,
    'a reload is a new page view id');
  const { id } = await trackerCookies(context);
  assert.equal(parseIdCookie(id.value).eventIndex, '3');
});

test('starts session 2 after sessionCookieTimeout, pointing back at session 1', TIMEOUT, async (t) => {
  const { collector, context, page } = await setup(t);
  const config = { sessionCookieTimeout: 1, lifecycleAutotracking: false };
  await openPage(page, collector);
  await createTracker(page, config);
  await page.evaluate(() => window.tracker.trackPageView());
  await flush(page);
  const first = await trackerState(page);
  assert.equal(first.sessionIndex, 1);

  await sleep(2000);
  await page.reload();
  await openPage(page, collector);
  await createTracker(page, config);
  const eventId = await page.evaluate(() => {
    window.tracker.trackPageView();
    return window.tracker.getSessionContext().firstEventId;
  });
  await flush(page);
  const second = await trackerState(page);

  assert.equal(second.duid, first.duid);
  assert.equal(second.sessionIndex, 2);
  assert.notEqual(second.sessionId, first.sessionId);
  assert.equal(second.session.previousSessionId, first.sessionId);
  assert.equal(second.session.eventIndex, 1);

  const good = await collector.waitForGood(2);
  const session = entity(good[1], SCHEMAS.clientSession);
  assert.equal(good[1].event.domain_sessionidx, 2);
  assert.equal(good[1].event.domain_sessionid, second.sessionId);
  assert.equal(good[1].event.event_id, eventId);
  assert.equal(session.previousSessionId, first.sessionId);
  assert.equal(session.firstEventId, eventId);
  assert.equal(session.eventIndex, 1);

  const { id } = await trackerCookies(context);
  const cookie = parseIdCookie(id.value);
  assert.equal(cookie.sessionIndex, '2');
  assert.equal(cookie.previousSessionId, first.sessionId);
  assert.notEqual(cookie.lastVisit, '', 'the last visit is recorded');
});

test('reads a cookie another writer changed since its last task (document.cookie is read once per task)', TIMEOUT, async (t) => {
  const { collector, context, page } = await setup(t);
  await openPage(page, collector);
  await createTracker(page);
  await page.evaluate(() => { window.tracker.trackPageView(); window.tracker.trackPageView(); });
  const { id } = await trackerCookies(context);
  const other = uuid();
  await sleep(100); // past the tracker's read-back of its own writes
  // Another writer (a second tab, the JS tracker) replaces the user id, in a task of its own.
  await page.evaluate(([name, value]) => { document.cookie = `${name}=${value}; path=/; SameSite=Lax`; },
    [id.name, id.value.replace(/^[^.]+/, other)]);
  await page.evaluate(() => { window.tracker.trackPageView(); window.tracker.trackPageView(); });
  const events = (await collector.waitForGood(4)).map((g) => g.event);
  const first = events[0].domain_userid;
  assert.notEqual(first, other);
  assert.deepEqual(events.map((e) => e.domain_userid), [first, first, other, other]);
  assert.equal(parseIdCookie((await trackerCookies(context)).id.value).duid, other);
});

test('continues the session of a cookie written by the Snowplow JS tracker', TIMEOUT, async (t) => {
  const { collector, context, page } = await setup(t);
  const host = new URL(collector.url).hostname;
  const hash = domainHash(host);
  const duid = uuid();
  const sessionId = uuid();
  const firstEventId = uuid();
  const nowS = Math.round(Date.now() / 1000);
  const firstEventTs = (nowS - 600) * 1000 + 123;
  const value = `${duid}.1673957921.5.${nowS - 60}..${sessionId}..${firstEventId}.${firstEventTs}.12`;
  const common = { domain: host, path: '/', sameSite: 'Lax', secure: false };
  await context.addCookies([
    { ...common, name: `_sp_id.${hash}`, value, expires: nowS + COOKIE_LIFETIME_S / 2 },
    { ...common, name: `_sp_ses.${hash}`, value: '*', expires: nowS + SESSION_TIMEOUT_S },
  ]);

  await openPage(page, collector);
  await createTracker(page);
  const restored = await trackerState(page);
  assert.equal(restored.idCookieName, `_sp_id.${hash}`);
  assert.equal(restored.duid, duid);
  assert.equal(restored.sessionId, sessionId);
  assert.equal(restored.sessionIndex, 5);

  await page.evaluate(() => window.tracker.trackPageView());
  await flush(page);
  const [good] = await collector.waitForGood(1);
  const session = entity(good, SCHEMAS.clientSession);
  assert.equal(good.event.domain_userid, duid);
  assert.equal(good.event.domain_sessionid, sessionId);
  assert.equal(good.event.domain_sessionidx, 5);
  assert.equal(session.eventIndex, 13);
  assert.equal(session.sessionIndex, 5);
  assert.equal(session.firstEventId, firstEventId);
  assert.equal(session.previousSessionId, null);

  const { id } = await trackerCookies(context);
  const cookie = parseIdCookie(id.value);
  assert.deepEqual(
    [cookie.duid, cookie.created, cookie.sessionIndex, cookie.sessionId, cookie.firstEventId, cookie.firstEventTs, cookie.eventIndex],
    [duid, '1673957921', '5', sessionId, firstEventId, String(firstEventTs), '13']);
});

test('rejects bad input with an Error naming the field and keeps tracking', TIMEOUT, async (t) => {
  const { collector, page, pageErrors } = await setup(t);
  await openPage(page, collector);
  await createTracker(page);
  const thrown = await page.evaluate(() => {
    const { snowtrack, tracker } = window;
    const attempt = (call) => {
      try {
        call();
        return 'did not throw';
      } catch (err) {
        return err instanceof Error ? err.message : `threw a non-Error: ${String(err)}`;
      }
    };
    return {
      'event.schema': attempt(() => tracker.trackSelfDescribingEvent({ event: { schema: 'nope', data: {} } })),
      'event.data': attempt(() => tracker.trackSelfDescribingEvent({ event: { schema: 'iglu:com.acme/x/jsonschema/1-0-0', data: [] } })),
      collectorUrl: attempt(() => snowtrack.newTracker('sp2', 'ftp://x')),
      cookieLifetime: attempt(() => snowtrack.newTracker('sp3', window.location.origin, { cookieLifetime: 'x' })),
      name: attempt(() => tracker.trackScreenView({})),
      category: attempt(() => tracker.trackStructEvent({ action: 'a' })),
      'context[0]': attempt(() => tracker.trackPageView({ context: [{ data: {} }] })),
    };
  });
  for (const [field, message] of Object.entries(thrown)) {
    assert.ok(message.includes(field), `the error for ${field} names it: ${JSON.stringify(message)}`);
  }

  await page.evaluate(() => {
    window.tracker.trackPageView();
    window.tracker.trackStructEvent({ category: 'after', action: 'errors' });
  });
  await flush(page);
  const good = await collector.waitForGood(2);
  assert.deepEqual(good.map(kind), ['page_view', 'struct']);
  assert.deepEqual(good.map((g) => entity(g, SCHEMAS.clientSession).eventIndex), [1, 2],
    'rejected calls do not use up event indexes');
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(pageErrors, []);
});

test('customFetch performs the requests; cookieExtensionService (or idService) is requested once, before the first', TIMEOUT, async (t) => {
  const { collector, page, pageErrors } = await setup(t);
  await openPage(page, collector);
  const calls = async () => (await (await fetch(`${collector.url}/snowtrack/cookie-extension/calls`)).json()).calls;
  const before = await calls();
  await page.evaluate(() => {
    window.fetched = [];
    window.tracker = window.snowtrack.newTracker('sp', window.location.origin, {
      appId: 'e2e',
      cookieExtensionService: `${window.location.origin}/snowtrack/cookie-extension`,
      customFetch: (request) => {
        window.fetched.push([request.method, new URL(request.url).pathname]);
        return fetch(request);
      },
    });
    window.tracker.trackPageView();
    window.tracker.trackStructEvent({ category: 'c', action: 'a' });
  });
  await collector.waitForGood(2);
  await page.evaluate(() => window.tracker.trackStructEvent({ category: 'c', action: 'b' }));
  await collector.waitForGood(3);
  const fetched = await page.evaluate(() => window.fetched);
  assert.deepEqual(fetched[0], ['GET', '/snowtrack/cookie-extension'], 'the service first');
  assert.ok(fetched.length >= 2 && fetched.slice(1).every(([method, p]) => method === 'POST' && p === '/com.snowplowanalytics.snowplow/tp2'), JSON.stringify(fetched));
  assert.equal(await calls(), before + 1, 'the collector answered the service once');

  // The older name, with fetch itself: the service once, then the events.
  await page.evaluate(() => {
    window.old = window.snowtrack.newTracker('old', window.location.origin, {
      appId: 'e2e-old', idService: `${window.location.origin}/snowtrack/cookie-extension`,
    });
    window.old.trackPageView();
    window.old.trackPageView();
  });
  await collector.waitForGood(5);
  assert.equal(await calls(), before + 2);
  assert.deepEqual(pageErrors, []);
});

test('setUserIdFromCookie reads the cookie as the JS tracker does: URI-decoded once', TIMEOUT, async (t) => {
  const { collector, page, pageErrors } = await setup(t);
  await openPage(page, collector);
  await createTracker(page);
  await page.evaluate(() => {
    document.cookie = `login=${encodeURIComponent('Jörg a%41')}; path=/`;
    window.tracker.setUserIdFromCookie('login');
    window.tracker.trackPageView();
  });
  const [view] = await collector.waitForGood(1);
  assert.equal(view.event.user_id, 'Jörg a%41', 'decoded once: a%41 stays');
  assert.deepEqual(pageErrors, []);
});
