// Privacy and extensibility (issue 15) on a real page in headless Chromium, checked at the real
// collector: anonymous tracking with server anonymisation and the consent switch, the opt-out
// cookie, Global Privacy Control and Do Not Track (emulated), global contexts and plugins.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  SCHEMAS, createTracker, entity, flush, kind, openPage, parseIdCookie, setup, sleep, trackerCookies,
  trackerState, waitFor,
} from './support.mjs';
import { clearFaults, faultReport, setFault } from './delivery-support.mjs';

const TIMEOUT = { timeout: 60_000 };
const NIL = '00000000-0000-0000-0000-000000000000';
const APPLICATION = 'iglu:com.snowplowanalytics.mobile/application/jsonschema/1-0-0';
const DOCUMENT = 'iglu:com.snowplowanalytics.snowplow/consent_document/jsonschema/1-0-0';

/** Whether the request that carried `good` had the `SP-Anonymous` header. */
function serverAnonymous(good) {
  return good.rawEvent.context.headers.some((h) => /^sp-anonymous: \*$/i.test(h));
}

/** Asserts `good` carries no user identifier and reached the collector anonymised. */
function assertAnonymous(good, at) {
  assert.equal(good.event.domain_userid ?? null, null, `${at}: no domain_userid`);
  assert.equal(good.event.user_id ?? null, null, `${at}: no user_id`);
  assert.ok(serverAnonymous(good), `${at}: SP-Anonymous header`);
  assert.equal(good.event.network_userid, NIL, `${at}: the collector set no network user id`);
  assert.equal(good.event.user_ipaddress ?? null, null, `${at}: IP dropped`);
  assert.equal(good.rawEvent.context.ipAddress ?? null, null, `${at}: no IP in the raw event`);
  const session = entity(good, SCHEMAS.clientSession);
  assert.equal(session.userId, NIL, `${at}: client_session.userId`);
  assert.equal(session.previousSessionId, null, `${at}: client_session.previousSessionId`);
}

test('consent recipe: anonymous with server anonymisation, consent gives a fresh identity, withdrawal clears it', TIMEOUT, async (t) => {
  const { collector, context, page, pageErrors } = await setup(t);
  await openPage(page, collector);
  await createTracker(page, { anonymousTracking: { withServerAnonymisation: true } });
  await page.evaluate(() => {
    window.tracker.setUserId('someone@example.com');
    window.tracker.trackPageView({ title: 'before consent' });
    return window.tracker.flush();
  });
  const [before] = await collector.waitForGood(1);
  assertAnonymous(before, 'before consent');
  let cookies = await trackerCookies(context);
  assert.equal(cookies.id, undefined, 'no _sp_id while anonymous');
  assert.equal(cookies.all.find((c) => c.name === 'sp'), undefined, 'no collector cookie');

  // Consent: identified from the next event, with a new domain user id.
  await page.evaluate(() => {
    window.tracker.disableAnonymousTracking();
    window.tracker.trackPageView({ title: 'after consent' });
    return window.tracker.flush();
  });
  const state = await trackerState(page);
  const [, consented] = await collector.waitForGood(2);
  assert.ok(!serverAnonymous(consented), 'no SP-Anonymous once consented');
  assert.match(state.duid, /^[0-9a-f-]{36}$/);
  assert.equal(consented.event.domain_userid, state.duid);
  assert.equal(consented.event.user_id, 'someone@example.com', 'the user id set before consent applies now');
  assert.notEqual(consented.event.network_userid, NIL);
  assert.equal(entity(consented, SCHEMAS.clientSession).userId, state.duid);
  cookies = await trackerCookies(context);
  assert.equal(parseIdCookie(cookies.id.value).duid, state.duid, '_sp_id holds the new identity');
  assert.ok(cookies.all.find((c) => c.name === 'sp'), 'the collector set its cookie');

  // Withdrawal: the stored identity goes, anonymous again.
  await page.evaluate(() => {
    window.tracker.clearUserData();
    window.tracker.enableAnonymousTracking({ options: { withServerAnonymisation: true } });
    window.tracker.trackPageView({ title: 'after withdrawal' });
    return window.tracker.flush();
  });
  const [, , withdrawn] = await collector.waitForGood(3);
  assertAnonymous(withdrawn, 'after withdrawal');
  cookies = await trackerCookies(context);
  assert.equal(cookies.id, undefined, '_sp_id removed');
  assert.equal(cookies.ses, undefined, '_sp_ses removed');
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(pageErrors, []);
});

test('anonymous session tracking keeps the session across pages without _sp_id', TIMEOUT, async (t) => {
  const { collector, context, page } = await setup(t);
  // The first page's application_background (sent on leaving it, at least once) is the lifecycle
  // tests' business: these two page views are the events under test.
  const anonymous = { anonymousTracking: { withSessionTracking: true }, lifecycleAutotracking: false };
  await openPage(page, collector);
  await createTracker(page, anonymous);
  await page.evaluate(() => { window.tracker.trackPageView(); return window.tracker.flush(); });
  await openPage(page, collector, '/?second');
  await createTracker(page, anonymous);
  await page.evaluate(() => { window.tracker.trackPageView(); return window.tracker.flush(); });
  const [first, second] = await collector.waitForGood(2);
  for (const good of [first, second]) {
    assert.equal(good.event.domain_userid ?? null, null);
    assert.ok(!serverAnonymous(good), 'no server anonymisation unless asked');
    assert.equal(entity(good, SCHEMAS.clientSession).userId, NIL);
  }
  assert.equal(second.event.domain_sessionid, first.event.domain_sessionid, 'one session across the pages');
  assert.equal(entity(second, SCHEMAS.clientSession).eventIndex, 2);
  const cookies = await trackerCookies(context);
  assert.equal(cookies.id, undefined, 'no _sp_id');
  assert.ok(cookies.ses.value.includes(first.event.domain_sessionid), 'the session lives in _sp_ses');
  assert.deepEqual(await collector.bad(), []);
});

test('the opt-out cookie stops events and drops the events still waiting', TIMEOUT, async (t) => {
  const { collector, context, page, pageErrors } = await setup(t);
  await openPage(page, collector);
  await createTracker(page, { respectOptOutCookie: 'no_tracking', retryBaseDelay: 60_000, retryMaxDelay: 60_000 });
  await page.evaluate(() => {
    window.dropped = [];
    window.tracker.trackPageView();
    return window.tracker.flush();
  });
  await collector.waitForGood(1);
  assert.ok((await trackerCookies(context)).id, 'identified before opting out');
  // The collector refuses for a while: three events wait in the queue (and in localStorage).
  await setFault(collector, { status: 503 });
  await page.evaluate(() => {
    for (const action of ['a', 'b', 'c']) window.tracker.trackStructEvent({ category: 'c', action });
  });
  await waitFor(async () => (await faultReport(collector)).refused >= 1, { message: 'a refused request' });
  const dropped = await page.evaluate(async () => {
    document.cookie = 'no_tracking=1; path=/';
    window.tracker.trackPageView({ title: 'while opted out' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    return {
      stats: window.tracker.getDeliveryStats(),
      keys: Object.keys(localStorage).filter((k) => k.startsWith('snowtrack.q.sp.')),
    };
  });
  assert.equal(dropped.stats.queued + dropped.stats.inFlight, 0, 'nothing left to send');
  assert.equal(dropped.stats.dropped, 3, 'the waiting events are dropped and counted');
  assert.deepEqual(dropped.keys, [], 'their storage is removed');
  assert.equal((await trackerCookies(context)).id, undefined, 'the identity goes with opting out');
  await clearFaults(collector);
  await page.evaluate(() => window.tracker.flush());
  await sleep(500);
  assert.equal((await collector.good()).length, 1, 'nothing arrived after opting out');
  // Opting back in (the cookie removed): tracking resumes.
  await page.evaluate(() => {
    document.cookie = 'no_tracking=; path=/; max-age=0';
    window.tracker.trackPageView({ title: 'back' });
    return window.tracker.flush();
  });
  const good = await collector.waitForGood(2);
  assert.equal(good[1].event.page_title, 'back');
  assert.deepEqual(pageErrors.filter((e) => !/status of 503/.test(e)), [], 'only the refused requests logged');
});

test('Global Privacy Control respected: anonymous with server anonymisation; Do Not Track respected: nothing', TIMEOUT, async (t) => {
  const { collector, context, page } = await setup(t);
  await context.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true, configurable: true });
    Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1', configurable: true });
  });
  await openPage(page, collector);
  await page.evaluate((origin) => {
    const gpc = window.snowtrack.newTracker('gpc', origin, { respectGlobalPrivacyControl: true });
    const dnt = window.snowtrack.newTracker('dnt', origin, { respectDoNotTrack: true, cookieName: '_dnt_' });
    gpc.trackPageView({ title: 'gpc' });
    dnt.trackPageView({ title: 'dnt' });
    return Promise.all([gpc.flush(), dnt.flush()]);
  }, collector.url);
  // Exactly one event (waitForGood fails on a second): the GPC tracker's, none from the DNT one.
  const [good] = await collector.waitForGood(1, { settle: 1000 });
  assert.equal(good.event.name_tracker, 'gpc', 'the Do Not Track tracker sent nothing');
  assertAnonymous(good, 'with GPC');
  const cookies = await trackerCookies(context);
  assert.equal(cookies.id, undefined);
  assert.equal(cookies.all.filter((c) => c.name.startsWith('_dnt_')).length, 0, 'Do Not Track: nothing stored');
  assert.deepEqual(await collector.bad(), []);
});

test('global contexts and plugins attach where they should; a throwing generator or plugin loses no event', TIMEOUT, async (t) => {
  const { collector, page, pageErrors } = await setup(t);
  const warnings = [];
  page.on('console', (msg) => { if (msg.type() === 'warning') warnings.push(msg.text()); });
  await openPage(page, collector);
  await createTracker(page);
  const result = await page.evaluate(async ({ application, document, linkClick }) => {
    const tracker = window.tracker;
    const seen = [];
    tracker.addGlobalContexts([
      { schema: application, data: { version: 'static', build: '1' } },
      ({ eventType }) => ({ schema: application, data: { version: `generated-${eventType}`, build: '2' } }),
      () => { throw new Error('generator boom'); },
      () => ({ schema: 'not a schema', data: {} }),
      [{ accept: ['iglu:com.snowplowanalytics.snowplow/*/jsonschema/1-*-*'] }, { schema: document, data: { id: 'links', version: '1' } }],
      [({ eventType }) => eventType === 'se', [{ schema: document, data: { id: 'structured', version: '1' } }]],
    ]);
    tracker.addGlobalContexts({ named: { schema: document, data: { id: 'named', version: '1' } } });
    tracker.addPlugin({
      plugin: {
        contexts: () => [{ schema: document, data: { id: 'plugin', version: '1' } }],
        beforeTrack(pb) { pb.add('aid', 'plugged'); },
        filter: (payload) => payload.se_ac !== 'dropped',
        afterTrack: (payload) => seen.push(payload.eid),
      },
    });
    tracker.addPlugin({
      plugin: {
        contexts() { throw new Error('contexts boom'); },
        beforeTrack() { throw new Error('beforeTrack boom'); },
        filter() { throw new Error('filter boom'); },
        afterTrack() { throw new Error('afterTrack boom'); },
      },
    });
    tracker.trackPageView({ title: 'pv' });
    tracker.trackSelfDescribingEvent({ event: { schema: linkClick, data: { targetUrl: 'https://a.example/' } } });
    tracker.trackStructEvent({ category: 'c', action: 'kept' });
    tracker.trackStructEvent({ category: 'c', action: 'dropped' });
    tracker.removeGlobalContexts(['named']);
    tracker.trackStructEvent({ category: 'c', action: 'after removal' });
    tracker.clearGlobalContexts();
    tracker.trackStructEvent({ category: 'c', action: 'after clear' });
    await tracker.flush();
    return { seen, stats: tracker.getDeliveryStats() };
  }, { application: APPLICATION, document: DOCUMENT, linkClick: SCHEMAS.linkClick });
  const good = await collector.waitForGood(5);
  assert.deepEqual(await collector.bad(), [], 'every event Iglu-valid');
  assert.deepEqual(good.map(kind), ['page_view', 'link_click', 'struct', 'struct', 'struct']);
  const documents = (g) => (g.event.contexts.data.filter((e) => e.schema === DOCUMENT)).map((e) => e.data.id);
  const applications = (g) => (g.event.contexts.data.filter((e) => e.schema === APPLICATION)).map((e) => e.data.version);
  const [pv, link, kept, afterRemoval, afterClear] = good;
  assert.deepEqual(applications(pv), ['static', 'generated-pv']);
  assert.deepEqual(documents(pv), ['plugin', 'named']);
  assert.deepEqual(applications(link), ['static', 'generated-ue']);
  assert.deepEqual(documents(link), ['plugin', 'named', 'links']);
  assert.deepEqual(documents(kept), ['plugin', 'named', 'structured']);
  assert.deepEqual(documents(afterRemoval), ['plugin', 'structured']);
  assert.deepEqual(documents(afterClear), ['plugin']);
  assert.deepEqual(applications(afterClear), []);
  for (const g of good) assert.equal(g.event.app_id, 'plugged', `${kind(g)}: beforeTrack's field`);
  assert.deepEqual(result.seen, good.map((g) => g.event.event_id), 'afterTrack once per kept event');
  assert.equal(result.stats.filtered, 1, 'the filtered event is counted');
  const ours = warnings.filter((w) => w.startsWith('snowtrack:'));
  assert.ok(ours.length >= 1 && ours.length <= 2, `rate-limited warnings: ${JSON.stringify(ours)}`);
  assert.match(ours[0], /boom|invalid/);
  assert.deepEqual(pageErrors, []);
});

test('invalid global contexts and plugins throw an Error naming the field', TIMEOUT, async (t) => {
  const { collector, page } = await setup(t);
  await openPage(page, collector);
  await createTracker(page);
  const errors = await page.evaluate(() => {
    const attempt = (f) => { try { f(); return null; } catch (e) { return e.message; } };
    const t = window.tracker;
    return [
      attempt(() => t.addGlobalContexts([[{ accept: 'iglu:com.acme/x*/jsonschema/1-0-0' }, []]])),
      attempt(() => t.addGlobalContexts([(a, b) => [a, b]])),
      attempt(() => t.addGlobalContexts({ geo: { schema: 'iglu:com.acme/geo/jsonschema/1-0-0', data: 5 } })),
      attempt(() => t.addPlugin({})),
      attempt(() => t.enableAnonymousTracking({ options: 'yes' })),
      attempt(() => window.snowtrack.newTracker('bad', window.location.origin, { anonymousTracking: 1 })),
    ];
  });
  assert.match(errors[0], /addGlobalContexts\[0\]\[0\].*iglu:com\.acme\/x\*/);
  assert.match(errors[1], /addGlobalContexts\[0\].*one parameter/);
  assert.match(errors[2], /addGlobalContexts\.geo\.data/);
  assert.match(errors[3], /addPlugin\.plugin/);
  assert.match(errors[4], /enableAnonymousTracking\.options/);
  assert.match(errors[5], /anonymousTracking/);
});

test("a plugin that tracks from inside the tracker's own call: the call waits for the end of the task, then is tracked once", TIMEOUT, async (t) => {
  const { collector, page } = await setup(t);
  await openPage(page, collector);
  await createTracker(page);
  const order = await page.evaluate(async () => {
    const tracker = window.tracker;
    const order = [];
    let nested = false;
    tracker.addPlugin({
      plugin: {
        afterTrack(payload) {
          order.push(payload.se_ac);
          // The tracker is busy with this event: the call runs once its task ends.
          if (!nested) { nested = true; tracker.trackStructEvent({ category: 'c', action: 'nested' }); order.push('asked'); }
        },
      },
    });
    tracker.trackStructEvent({ category: 'c', action: 'outer' });
    order.push('returned');
    await Promise.resolve();
    await tracker.flush();
    return order;
  });
  assert.deepEqual(order, ['outer', 'asked', 'returned', 'nested']);
  const good = await collector.waitForGood(2);
  assert.deepEqual(good.map((g) => g.event.se_action).sort(), ['nested', 'outer']);
});
