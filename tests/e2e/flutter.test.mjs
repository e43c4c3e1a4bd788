// Flutter web apps on snowtrack (issue 16): the snowtrack tag under the global name `snowplow`
// answers the sp.js calls the Snowplow Flutter tracker's web plugin makes, and the app gets the
// whole mobile model (screen entity, screen_end with screen_summary) on the web.
//
// The calls below are transcribed from the Flutter tracker 0.8.0, github.com/snowplow/
// snowplow-flutter-tracker at ed207f57640c5a9565908f2abf6e1495b58951d8 (the package's home;
// snowplow-incubator/snowplow-flutter-tracker holds only its history up to 0.1.0):
//   lib/src/web/snowplow_tracker_controller.dart  createTracker, trackEvent, setUserId, cookie getters
//   lib/src/web/readers/configurations/*_reader.dart  the newTracker options
//   lib/src/web/readers/events/*_reader.dart  each Dart event's JS call and payload
//   lib/src/web/readers/messages/event_message_reader.dart  `context` from the event's contexts
// for `Snowplow.createTracker(namespace: 'flutter', endpoint, method: Method.post,
// requestHeaders: {'X-Flutter-App': 'example'}, trackerConfig: TrackerConfiguration(appId:
// 'flutter-example', devicePlatform: DevicePlatform.web, base64Encoding: false, webPageContext:
// true, geoLocationContext: false, webActivityTracking: WebActivityTracking(minimumVisitLength: 1,
// heartbeatDelay: 1), jsMediaPluginURL: …), subjectConfig: SubjectConfiguration(userId:
// 'flutter-user'), gdprConfig: GdprConfiguration(…))` and one event of each Dart type.

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { launchBrowser, SCHEMAS, entity, kind, unstructData, waitFor } from './support.mjs';
import {
  NPM_DIR, ensurePackage, fileScope, html, openContext, snippetTag, snowtrackWarnings, startCollector,
  startStaticServer, tempDir, writeTree,
} from './package-support.mjs';
import { DETAIL_ID, HOME_ID, MOBILE_SCREEN_VIEW, flutterApp, flutterCookieGetters } from './flutter-app.mjs';

const TIMEOUT = { timeout: 60_000 };
const scope = fileScope();
let collector;
let browser;

before(async () => {
  const { version } = ensurePackage();
  const cdn = await startStaticServer(scope, { mounts: { [`/npm/snowtrack@${version}/`]: NPM_DIR } });
  const loader = `${cdn.url}/npm/snowtrack@${version}/loader.js`;
  const site = await writeTree(await tempDir(scope), {
    // The app's web/index.html: the snowtrack tag in place of sp.js's, under the same global name.
    'index.html': html({ title: 'flutter web', head: snippetTag({ src: loader, name: 'snowplow' }) }),
  });
  collector = await startCollector(scope, site);
  browser = await launchBrowser(scope);
});

test('the Flutter web plugin\'s calls through the tag named `snowplow`: every event valid, with the mobile model', TIMEOUT, async (t) => {
  await collector.reset();
  const { context, page, messages, pageErrors } = await openContext(browser);
  t.after(() => context.close());
  await page.goto(`${collector.url}/`);
  await page.evaluate(flutterApp, { screenView: MOBILE_SCREEN_VIEW, homeId: HOME_ID, detailId: DETAIL_ID });
  await page.waitForFunction(() => document.body.dataset.done === 'true', null, { timeout: 15_000 });
  await page.evaluate(() => new Promise((resolve) => window.snowplow(function () { this.flutter.flush().then(resolve); })));

  const good = await collector.waitForGood(9);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), [
    'screen_view', 'screen_end', 'screen_view', 'struct', 'link_click', 'timing', 'consent_granted', 'consent_withdrawn', 'page_view',
  ], 'list_item_view and scroll_changed are folded into the screen summary, not sent');
  const [home, end, detail, struct, , timing, granted, withdrawn, pageView] = good;

  // Every event: the tracker's identity, client_session, gdpr, the Flutter options.
  const gdpr = { basisForProcessing: 'consent', documentId: 'privacy-1', documentVersion: '1.0', documentDescription: 'Privacy policy' };
  good.forEach((g, i) => {
    const at = `event ${i + 1} (${kind(g)})`;
    assert.equal(g.event.name_tracker, 'flutter', at);
    assert.equal(g.event.app_id, 'flutter-example', at);
    assert.equal(g.event.platform, 'web', at);
    assert.equal(g.event.user_id, 'flutter-user', at);
    assert.equal(entity(g, SCHEMAS.clientSession).eventIndex, i + 1, `${at}: client_session`);
    assert.deepEqual(entity(g, 'iglu:com.snowplowanalytics.snowplow/gdpr/jsonschema/1-0-0'), gdpr, `${at}: gdpr`);
    assert.ok(entity(g, SCHEMAS.webPage)?.id, `${at}: web_page`);
    assert.ok(g.rawEvent.parameters.co && !g.rawEvent.parameters.cx, `${at}: encodeBase64 false`);
    assert.ok(g.rawEvent.context.headers.some((h) => /^x-flutter-app: example$/i.test(h)), `${at}: customHeaders`);
  });

  // Screen views sent as self-describing events are screen views: previous fields, screen entity,
  // screen engagement with the folded list item and scroll.
  assert.deepEqual(unstructData(home), { name: 'home', id: HOME_ID });
  assert.deepEqual(unstructData(detail), {
    name: 'detail', id: DETAIL_ID, type: 'product', previousName: 'home', previousId: HOME_ID, transitionType: 'push',
  });
  assert.deepEqual(entity(end, SCHEMAS.screen), { name: 'home', id: HOME_ID });
  const summary = entity(end, SCHEMAS.screenSummary);
  assert.equal(typeof summary.foreground_sec, 'number');
  assert.deepEqual(
    { last: summary.last_item_index, count: summary.items_count, minY: summary.min_y_offset, maxY: summary.max_y_offset, height: summary.content_height },
    { last: 3, count: 10, minY: 120, maxY: 920, height: 3000 });
  for (const g of [detail, struct, timing, granted, withdrawn, pageView]) {
    assert.deepEqual(entity(g, SCHEMAS.screen), { name: 'detail', id: DETAIL_ID, type: 'product' }, kind(g));
  }
  assert.deepEqual(entity(detail, 'iglu:com.snowplowanalytics.snowplow/application/jsonschema/1-0-0'), { version: '2.1.0' });

  // The JS tracker v3 events Flutter calls.
  assert.deepEqual([struct.event.se_category, struct.event.se_action, struct.event.se_label, struct.event.se_property, struct.event.se_value],
    ['shop', 'add', 'sku-1', 'red', 2]);
  assert.deepEqual(unstructData(timing), { category: 'load', variable: 'map', timing: 320 });
  const document = { id: 'privacy-1', version: '1.0', name: 'Privacy', description: 'Privacy policy' };
  assert.deepEqual(unstructData(granted), { expiry: '2030-01-01T00:00:00.000Z' });
  assert.deepEqual(entity(granted, 'iglu:com.snowplowanalytics.snowplow/consent_document/jsonschema/1-0-0'), document);
  assert.deepEqual(unstructData(withdrawn), { all: true });
  assert.deepEqual(entity(withdrawn, 'iglu:com.snowplowanalytics.snowplow/consent_document/jsonschema/1-0-0'), document);
  assert.equal(pageView.event.page_title, 'Flutter page');

  // Flutter's own cookie getters (getSessionUserId / getSessionId / getSessionIndex) match.
  const getters = await page.evaluate(flutterCookieGetters);
  assert.deepEqual(getters, { sessionUserId: home.event.domain_userid, sessionId: home.event.domain_sessionid, sessionIndex: 1 });
  assert.equal(entity(pageView, SCHEMAS.clientSession).userId, getters.sessionUserId);

  // webActivityTracking: activity after the page view gives a page ping of that page view.
  await page.mouse.move(10, 10);
  await page.mouse.move(40, 60);
  const [ping] = await waitFor(async () => {
    const pings = (await collector.good()).filter((g) => g.eventType === 'page_ping');
    return pings.length > 0 && pings;
  }, { timeout: 10_000, message: 'a page ping' });
  assert.deepEqual(await collector.bad(), []);
  assert.equal(ping.event.page_title, 'Flutter page');
  assert.equal(entity(ping, SCHEMAS.webPage).id, entity(pageView, SCHEMAS.webPage).id);
  assert.deepEqual(entity(ping, 'iglu:com.snowplowanalytics.snowplow/gdpr/jsonschema/1-0-0'), gdpr);

  // addPlugin: one clear warning, nothing failed.
  const warnings = snowtrackWarnings(messages);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /addPlugin.*does not load remote plugins.*flutter-media\.js/);
  assert.deepEqual(pageErrors, []);
});

test('a screen view given by the app keeps its previous-screen fields', TIMEOUT, async (t) => {
  await collector.reset();
  const { context, page, pageErrors } = await openContext(browser);
  t.after(() => context.close());
  await page.goto(`${collector.url}/`);
  await page.evaluate((schema) => {
    window.snowplow('newTracker', 'flutter', window.location.origin, { appId: 'flutter-prev', contexts: { session: true } });
    window.snowplow('trackSelfDescribingEvent:flutter', { event: { schema, data: { name: 'one', id: '11111111-1111-4111-8111-111111111111' } } });
    window.snowplow('trackSelfDescribingEvent:flutter', {
      event: { schema, data: { name: 'two', id: '22222222-2222-4222-8222-222222222222', previousName: 'deep-link', previousId: '33333333-3333-4333-8333-333333333333' } },
    });
  }, MOBILE_SCREEN_VIEW);
  const good = await waitFor(async () => {
    const all = await collector.good();
    return all.length >= 3 && all;
  });
  const two = good.find((g) => unstructData(g)?.name === 'two');
  assert.equal(unstructData(two).previousName, 'deep-link');
  assert.equal(unstructData(two).previousId, '33333333-3333-4333-8333-333333333333');
  assert.deepEqual(pageErrors, []);
});
