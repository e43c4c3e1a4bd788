// Events sent by Snowplow's own Node tracker (@snowplow/node-tracker) must all be good.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  newTracker, buildPageView, buildPagePing, buildScreenView, buildStructEvent, buildSelfDescribingEvent,
  buildEcommerceTransaction, buildEcommerceTransactionItem,
} from '@snowplow/node-tracker';
import { startCollector, waitForTotal, assertMicroGoodShape, entity } from '../lib/helpers.mjs';

const LINK_CLICK = 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1';
const WEB_PAGE = 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0';

async function sendAll(endpoint, { eventMethod, encodeBase64 }) {
  const tracker = newTracker(
    { namespace: 'compat', appId: `node-${eventMethod}-${encodeBase64}`, encodeBase64 },
    { endpoint, eventMethod, bufferSize: eventMethod === 'post' ? 3 : 1 },
  );
  const sid = randomUUID();
  tracker.setDomainUserId(randomUUID());
  tracker.setSessionId(sid);
  tracker.setSessionIndex(4);
  tracker.setNetworkUserId('node-nuid-1');
  const ctx = [{ schema: WEB_PAGE, data: { id: randomUUID() } }];
  tracker.track(buildPageView({ pageUrl: 'http://shop.example:8080/p?q=1', pageTitle: 'Products', referrer: 'https://search.example/' }), ctx);
  tracker.track(buildPagePing({ pageUrl: 'http://shop.example:8080/p', minXOffset: 1, maxXOffset: 20, minYOffset: 5, maxYOffset: 300 }), ctx);
  tracker.track(buildScreenView({ name: 'home', id: randomUUID() }));
  tracker.track(buildStructEvent({ category: 'shop', action: 'add', label: 'sku-1', property: 'red', value: 2.5 }));
  tracker.track(buildSelfDescribingEvent({ event: { schema: LINK_CLICK, data: { targetUrl: 'https://example.com/', elementId: 'cta' } } }), ctx);
  tracker.track(buildEcommerceTransaction({ orderId: 'o-1', total: 19.99, tax: 1.5, shipping: 3, currency: 'EUR', affiliation: 'web' }));
  tracker.track(buildEcommerceTransactionItem({ orderId: 'o-1', sku: 'sku-1', name: 'Shirt', category: 'tops', price: 9.99, quantity: 2, currency: 'EUR' }));
  await tracker.flush();
  return { count: 7, sid };
}

for (const mode of [
  { eventMethod: 'post', encodeBase64: false },
  { eventMethod: 'post', encodeBase64: true },
  { eventMethod: 'get', encodeBase64: true },
]) {
  test(`@snowplow/node-tracker events (${mode.eventMethod}, base64=${mode.encodeBase64}) are all good`, async (t) => {
    const c = await startCollector();
    t.after(() => c.stop());
    const { count, sid } = await sendAll(c.base, mode);
    const all = await waitForTotal(c, count);
    assert.deepEqual(await c.bad(), []);
    assert.deepEqual(all, { total: count, good: count, bad: 0 });

    const good = await c.good();
    assert.equal(good.length, count);
    good.forEach(assertMicroGoodShape);
    const byType = Object.fromEntries(good.map((g) => [g.schema, g]));
    const expectedApi = mode.eventMethod === 'post' ? 'tp2' : 'tp1'; // GET goes to /i
    for (const g of good) {
      assert.equal(g.rawEvent.api.version, expectedApi);
      assert.equal(g.event.platform, 'srv');
      assert.equal(g.event.app_id, `node-${mode.eventMethod}-${mode.encodeBase64}`);
      assert.equal(g.event.name_tracker, 'compat');
      assert.match(g.event.v_tracker, /^node-4\./);
      assert.equal(g.event.domain_sessionid, sid);
      assert.equal(g.event.domain_sessionidx, 4);
      assert.equal(g.event.network_userid, 'node-nuid-1');
    }
    const pv = byType['iglu:com.snowplowanalytics.snowplow/page_view/jsonschema/1-0-0'];
    assert.equal(pv.eventType, 'page_view');
    assert.equal(pv.event.page_url, 'http://shop.example:8080/p?q=1');
    assert.equal(pv.event.page_urlport, 8080);
    assert.equal(pv.event.page_title, 'Products');
    assert.equal(pv.event.refr_urlhost, 'search.example');
    assert.ok(entity(pv, 'web_page'));
    const pp = byType['iglu:com.snowplowanalytics.snowplow/page_ping/jsonschema/1-0-0'];
    assert.equal(pp.event.pp_yoffset_max, 300);
    const sv = byType['iglu:com.snowplowanalytics.snowplow/screen_view/jsonschema/1-0-0'];
    assert.equal(sv.eventType, 'unstruct');
    assert.equal(sv.event.unstruct_event.data.data.name, 'home');
    const se = byType['iglu:com.google.analytics/event/jsonschema/1-0-0'];
    assert.equal(se.eventType, 'struct');
    assert.equal(se.event.se_category, 'shop');
    assert.equal(se.event.se_value, 2.5);
    const lc = byType[LINK_CLICK];
    assert.equal(lc.event.unstruct_event.data.data.elementId, 'cta');
    assert.deepEqual(lc.contexts, [WEB_PAGE]);
    const tr = byType['iglu:com.snowplowanalytics.snowplow/transaction/jsonschema/1-0-0'];
    assert.equal(tr.event.tr_orderid, 'o-1');
    assert.equal(tr.event.tr_total, 19.99);
    assert.equal(tr.event.tr_currency, 'EUR');
    const ti = byType['iglu:com.snowplowanalytics.snowplow/transaction_item/jsonschema/1-0-0'];
    assert.equal(ti.event.ti_quantity, 2);
    assert.equal(ti.event.ti_price, 9.99);

    // Micro's filters over these events.
    assert.equal((await c.good({ event_type: 'unstruct' })).length, 2);
    assert.equal((await c.good({ schema: LINK_CLICK })).length, 1);
    assert.equal((await c.good({ contexts: [WEB_PAGE] })).length, 3);
    assert.equal((await c.good({ limit: 2 })).length, 2);
    await c.reset();
    assert.deepEqual(await c.all(), { total: 0, good: 0, bad: 0 });
  });
}
