// The calls the Snowplow Flutter tracker's web plugin makes on `window.snowplow` for one example
// app, in order (see flutter.test.mjs for their source), shared by the Chromium and WebKit runs.
// `flutterApp` and `flutterCookieGetters` run in the page: they use nothing from this module.

export const MOBILE_SCREEN_VIEW = 'iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0';
export const HOME_ID = '5d79b3f0-6c3b-4a3b-9f5e-1c2d3e4f5a6b';
export const DETAIL_ID = '8f0e1d2c-3b4a-4958-8a7b-6c5d4e3f2a1b';

/** What the Flutter web plugin calls on `window.snowplow` for the app of flutter.test.mjs, in order. */
export function flutterApp({ screenView, homeId, detailId }) {
  const snowplow = window.snowplow;
  // SnowplowTrackerController.createTracker
  snowplow('newTracker', 'flutter', window.location.origin, {
    eventMethod: 'post',
    customHeaders: { 'X-Flutter-App': 'example' },
    appId: 'flutter-example',
    platform: 'web',
    encodeBase64: false,
    contexts: { geolocation: false, webPage: true, session: true },
  });
  snowplow('setUserId:flutter', 'flutter-user');
  snowplow('enableGdprContext', {
    basisForProcessing: 'consent', documentId: 'privacy-1', documentVersion: '1.0', documentDescription: 'Privacy policy',
  });
  snowplow('enableActivityTracking', { minimumVisitLength: 1, heartbeatDelay: 1 });
  snowplow('addPlugin', 'https://cdn.example/flutter-media.js', ['snowplowMedia', 'SnowplowMediaPlugin']);
  // SnowplowTrackerController.trackEvent: `${event.endpoint()}:${tracker}` with eventData().
  snowplow('trackSelfDescribingEvent:flutter', { event: { schema: screenView, data: { name: 'home', id: homeId } } });
  snowplow('trackSelfDescribingEvent:flutter', {
    event: { schema: 'iglu:com.snowplowanalytics.mobile/list_item_view/jsonschema/1-0-0', data: { index: 3, items_count: 10 } },
  });
  snowplow('trackSelfDescribingEvent:flutter', {
    event: {
      schema: 'iglu:com.snowplowanalytics.mobile/scroll_changed/jsonschema/1-0-0',
      data: { y_offset: 120, view_height: 800, content_height: 3000 },
    },
  });
  snowplow('trackSelfDescribingEvent:flutter', {
    event: { schema: screenView, data: { name: 'detail', id: detailId, type: 'product', transitionType: 'push' } },
    context: [{ schema: 'iglu:com.snowplowanalytics.snowplow/application/jsonschema/1-0-0', data: { version: '2.1.0' } }],
  });
  snowplow('trackStructEvent:flutter', { category: 'shop', action: 'add', label: 'sku-1', property: 'red', value: 2 });
  snowplow('trackSelfDescribingEvent:flutter', {
    event: { schema: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1', data: { targetUrl: 'https://example.com/terms' } },
  });
  snowplow('trackTiming:flutter', { category: 'load', variable: 'map', timing: 320, label: null });
  snowplow('trackConsentGranted:flutter', {
    id: 'privacy-1', version: '1.0', name: 'Privacy', description: 'Privacy policy', expiry: '2030-01-01T00:00:00.000Z',
  });
  snowplow('trackConsentWithdrawn:flutter', { all: true, id: 'privacy-1', version: '1.0', name: 'Privacy', description: 'Privacy policy' });
  snowplow('trackPageView:flutter', { title: 'Flutter page' });
  snowplow(() => { document.body.dataset.done = 'true'; });
}

/** SnowplowTrackerController._getSnowplowCookieParts and the three getters built on it. */
export function flutterCookieGetters() {
  const match = /_sp_id\.[a-f0-9]+=([^;]+);?/.exec(document.cookie);
  const parts = match ? match[1].split('.') : null;
  return { sessionUserId: parts?.[0], sessionId: parts?.[5], sessionIndex: parts ? Number.parseInt(parts[2], 10) : null };
}
