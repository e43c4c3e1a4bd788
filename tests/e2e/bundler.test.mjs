// The npm package as a web developer gets it: `npm pack` of pkg/npm, installed into a copy of a
// small app (tests/e2e/bundler-app), bundled with esbuild, served from a sub-path by the collector.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { SCHEMAS, TRACKER_VERSION, entity, kind, launchBrowser, parseIdCookie, trackerCookies } from './support.mjs';
import {
  E2E_DIR, bundle, consoleErrors, copyApp, ensurePackage, openContext, packPackage, sizeReport,
  snowtrackWarnings, startCollector, tempDir, wasmProbe, writeTree,
} from './package-support.mjs';

test('an esbuild app installed from the packed tarball tracks events the collector reports as good', { timeout: 120_000 }, async (t) => {
  const { version } = ensurePackage();
  const work = await tempDir(t);
  const tarball = packPackage(work);
  const app = path.join(work, 'app');
  await copyApp(path.join(E2E_DIR, 'bundler-app'), app);
  // A local tarball without dependencies: nothing is fetched.
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: app });
  const installed = JSON.parse(readFileSync(path.join(app, 'node_modules/snowtrack/package.json'), 'utf8'));
  assert.equal(installed.version, version);
  const { buildApp } = await import(pathToFileURL(path.join(app, 'build.mjs')));
  await buildApp(bundle, app);

  const assets = path.join(app, 'dist/assets');
  const wasmFile = readdirSync(assets).find((f) => f.endsWith('.wasm'));
  assert.ok(wasmFile, 'esbuild copied the .wasm into dist/assets');
  for (const line of sizeReport('bundler app (npm)', { 'assets/main.js': path.join(assets, 'main.js'), [`assets/${wasmFile}`]: path.join(assets, wasmFile) })) {
    t.diagnostic(line);
  }

  // Served from a sub-path: /shop/ → dist/.
  const site = await writeTree(await tempDir(t), { shop: { link: path.join(app, 'dist') } });
  const collector = await startCollector(t, site);
  const browser = await launchBrowser(t);
  const { context, page, messages, pageErrors } = await openContext(browser, { initScripts: [wasmProbe] });
  await page.goto(`${collector.url}/shop/`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 });
  await page.click('#buy');

  const good = await collector.waitForGood(5);
  assert.deepEqual(await collector.bad(), []);
  assert.deepEqual(good.map(kind), ['page_view', 'link_click', 'struct', 'timing', 'struct']);
  assert.deepEqual(good.map((g) => g.event.se_action ?? null), [null, null, 'view-basket', null, 'buy']);
  assert.deepEqual(good[3].event.unstruct_event.data.data, { category: 'shop', variable: 'basket', timing: 120, label: 'first' },
    'snowtrack/commands: trackTiming');
  const { duid, ready } = await page.evaluate(() => window.app);
  assert.equal(ready, true);
  const id = parseIdCookie((await trackerCookies(context)).id.value);
  assert.equal(id.duid, duid);
  good.forEach((g, i) => {
    assert.equal(g.event.app_id, 'bundler-app');
    assert.equal(g.event.v_tracker, TRACKER_VERSION);
    assert.equal(g.event.domain_userid, duid);
    assert.equal(entity(g, SCHEMAS.clientSession)?.eventIndex, i + 1);
    assert.equal(new URL(g.event.page_url).pathname, '/shop/');
  });
  assert.deepEqual(await page.evaluate(() => window.wasmProbe), { streaming: 1, streamed: 1, buffered: 0 },
    'the .wasm was compiled while streaming');
  assert.deepEqual(snowtrackWarnings(messages), []);
  assert.deepEqual(consoleErrors(messages), []);
  assert.deepEqual(pageErrors, []);
});
