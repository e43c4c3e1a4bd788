// The twenty navigations of navigation.test.mjs in Firefox and WebKit, driven over WebDriver
// (webdriver.mjs): link clicks, reloads and back, each leaving page's application_background
// going with keepalive. Every page view and background event arrives, none twice.

import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import test from 'node:test';
import { countEids, settledGood } from './delivery-support.mjs';
import { Collector, FIXTURE_DIR, kind, makeSite, sleep } from './support.mjs';
import { WebDriver } from './webdriver.mjs';

const TIMEOUT = { timeout: 240_000 };
const NAVIGATIONS = 20;

for (const engine of ['firefox', 'webkit']) {
  test(`${engine}: ${NAVIGATIONS} navigations (links, reloads, back): every event arrives, none twice`, TIMEOUT, async (t) => {
    const site = await makeSite(FIXTURE_DIR);
    t.after(() => rm(site, { recursive: true, force: true }));
    const collector = await Collector.start({ staticDir: site, args: ['--quiet'] });
    t.after(() => collector.stop());
    const browser = await WebDriver.start(t, engine);
    // A new document (or one back from the cache) has not got the token set before leaving.
    const ready = (token) => browser.waitFor((tok) => document.body?.dataset.ready === 'true' && window.__token !== tok,
      { args: [token], message: 'the next page ready' });
    await browser.goto(`${collector.url}/nav.html`);
    await ready(-1);
    for (let i = 0; i < NAVIGATIONS; i += 1) {
      await sleep(150);
      await browser.run((tok) => { window.__token = tok; }, i);
      if (i % 4 === 1) await browser.refresh();
      else if (i % 4 === 3) await browser.back();
      else await browser.click('#next');
      await ready(i);
    }
    await sleep(300);
    const views = await browser.run(() => Number(sessionStorage.getItem('views')));
    const good = await settledGood(collector, views + NAVIGATIONS);
    const counts = countEids(good.map((g) => g.event.event_id));
    const twice = [...counts].filter(([, n]) => n > 1);
    const byKind = (name) => good.filter((g) => kind(g) === name).length;
    t.diagnostic(`${engine}: ${views} page views, ${good.length} events, ${twice.length} delivered twice`);
    assert.equal(byKind('page_view'), views, 'every page view arrived once');
    assert.equal(byKind('application_background'), NAVIGATIONS, "every leaving page's background event");
    assert.deepEqual(twice, [], 'no eid delivered twice');
  });
}
