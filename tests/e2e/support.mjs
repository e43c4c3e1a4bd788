// Shared helpers for the end-to-end tests: the real collector binary on a free port, a static site
// holding the built package, headless Chromium with a fresh profile, and readers for the
// collector's Micro API and the tracker's cookies.

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { attachFacade } from '../../js/facade-glue.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const PKG_DIR = path.join(REPO_ROOT, 'pkg/web');
export const FIXTURE_DIR = path.join(REPO_ROOT, 'tests/e2e/fixture');
export const DEMO_DIR = path.join(REPO_ROOT, 'www');
export const COLLECTOR_BIN = path.resolve(REPO_ROOT, process.env.COLLECTOR_BIN ?? 'target/debug/snowtrack-collector');
export const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

export const TRACKER_VERSION = 'snowtrack-0.1.0';
export const SCHEMAS = {
  clientSession: 'iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2',
  webPage: 'iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0',
  screen: 'iglu:com.snowplowanalytics.mobile/screen/jsonschema/1-0-0',
  screenView: 'iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0',
  screenSummary: 'iglu:com.snowplowanalytics.mobile/screen_summary/jsonschema/1-0-0',
  lifecycle: 'iglu:com.snowplowanalytics.mobile/application_lifecycle/jsonschema/1-0-0',
  linkClick: 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1',
  pageView: 'iglu:com.snowplowanalytics.snowplow/page_view/jsonschema/1-0-0',
};

/** The JS tracker's defaults, in seconds. */
export const SESSION_TIMEOUT_S = 1800;
export const COOKIE_LIFETIME_S = 63072000;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a truthy value, which is returned; throws `message` after `timeout` ms. */
export async function waitFor(probe, { timeout = 10_000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${message}`);
    await sleep(interval);
  }
}

// ---- the collector -------------------------------------------------------------------------------

/** A running `snowtrack-collector` on 127.0.0.1 with a free port, serving `staticDir` at `/`. */
export class Collector {
  static async start({ staticDir, args = [] } = {}) {
    if (!existsSync(COLLECTOR_BIN)) {
      throw new Error(`collector binary not found at ${COLLECTOR_BIN}: run \`cargo build -p snowtrack-collector\` or set COLLECTOR_BIN`);
    }
    const argv = ['--bind', '127.0.0.1', '--port', '0', ...(staticDir ? ['--static', staticDir] : []), ...args];
    const child = spawn(COLLECTOR_BIN, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = [];
    child.stderr.on('data', (chunk) => output.push(chunk.toString()));
    const lines = createInterface({ input: child.stdout });
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('no `listening on` line within 15 s')), 15_000);
      const fail = (err) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(`${err.message}\ncollector output:\n${output.join('')}`));
      };
      child.once('error', fail);
      child.once('exit', (code, signal) => fail(new Error(`collector exited early (code ${code}, signal ${signal})`)));
      lines.once('line', (line) => {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)\/?$/.exec(line);
        if (match) resolve(match[1]);
        else fail(new Error(`unexpected first stdout line: ${JSON.stringify(line)}`));
      });
    });
    lines.on('line', (line) => output.push(`${line}\n`));
    return new Collector(child, url, output);
  }

  constructor(child, url, output) {
    this.child = child;
    this.url = url;
    this.output = output;
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  async request(pathname, body) {
    const init = body === undefined
      ? {}
      : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    const response = await fetch(`${this.url}${pathname}`, init);
    if (!response.ok) throw new Error(`${pathname}: HTTP ${response.status} ${await response.text()}`);
    return response.headers.get('content-type')?.includes('json') ? response.json() : response.text();
  }

  /** Good events, oldest first (Micro answers newest first). */
  async good(filters) {
    return (await this.request('/micro/good', filters)).reverse();
  }

  /** Bad events, oldest first. */
  async bad(filters) {
    return (await this.request('/micro/bad', filters)).reverse();
  }

  all() {
    return this.request('/micro/all');
  }

  /**
   * Closes a browser `context` whose pages track to this collector, then waits until the events
   * they send as they go (an application_background with keepalive) have arrived: the count
   * holds still for `quiet` ms (at most `timeout`). For suites that share one collector, so that
   * a closed tab's last events do not land in the next test after its reset.
   */
  async closeAndSettle(context, { quiet = 500, timeout = 5000 } = {}) {
    await context.close();
    const deadline = Date.now() + timeout;
    let last = (await this.all()).total;
    for (let still = 0; still < quiet && Date.now() < deadline; still += 100) {
      await sleep(100);
      const now = (await this.all()).total;
      if (now !== last) {
        last = now;
        still = -100;
      }
    }
  }

  reset() {
    return this.request('/micro/reset', {});
  }

  /**
   * Waits until exactly `count` good events have arrived and stay at that count for `settle` ms,
   * and returns them oldest first. Fails (saying what arrived) as soon as more than `count`
   * arrive or anything is bad, and when a late one arrives while settling.
   */
  async waitForGood(count, { timeout = 10_000, settle = 300 } = {}) {
    const unexpected = async (what) => {
      const [good, bad] = await Promise.all([this.good(), this.bad()]);
      const seen = good.map((g) => `${kind(g)} ${g.event.event_id}`);
      return new Error(`${what}: expected exactly ${count} good events and none bad at ${this.url}, got `
        + `${good.length} good (${seen.join(', ')}) and ${bad.length} bad${bad.length ? `: ${JSON.stringify(bad[0])}` : ''}`);
    };
    await waitFor(async () => {
      const { good, bad, total } = await this.all();
      if (bad > 0 || good > count) throw await unexpected('too many or bad events');
      return good === count && total === count;
    }, { timeout, message: `${count} good events at ${this.url}` });
    await sleep(settle);
    const good = await this.good();
    const { bad } = await this.all();
    if (good.length !== count || bad > 0) throw await unexpected(`after settling ${settle} ms`);
    return good;
  }
}

// ---- static sites --------------------------------------------------------------------------------

let preparedWeb = null;

/**
 * pkg/web as the package ships it (js/build.mjs), with the module's own export names (the
 * package shortens them): its glue ends with the API of js/facade.js, imported as
 * `../facade.js`. Made once per process in a temporary directory, removed on exit.
 */
export function webWithFacade() {
  if (preparedWeb) return preparedWeb;
  const dir = mkdtempSync(path.join(tmpdir(), 'snowtrack-e2e-web-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  cpSync(PKG_DIR, path.join(dir, 'web'), { recursive: true });
  attachFacade(path.join(dir, 'web/snowtrack.js'), 'full', path.join(dir, 'web/snowtrack.d.ts'));
  copyFileSync(path.join(REPO_ROOT, 'js/facade.js'), path.join(dir, 'facade.js'));
  preparedWeb = dir;
  return dir;
}

/**
 * A temporary directory linking every entry of `sourceDir` (but its `pkg`) plus `pkg` → pkg/web
 * with the facade attached to its glue (as the package's web/ has it, the names of the module's
 * exports kept; see `webWithFacade`),
 * so the collector can serve a page and the built package from one origin.
 */
export async function makeSite(sourceDir) {
  if (!existsSync(path.join(PKG_DIR, 'snowtrack.js'))) {
    throw new Error(`${PKG_DIR}/snowtrack.js is missing: run \`make pkg\` first`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'snowtrack-e2e-site-'));
  for (const name of await readdir(sourceDir)) {
    if (name !== 'pkg' && name !== 'npm') await symlink(path.join(sourceDir, name), path.join(dir, name));
  }
  const web = webWithFacade();
  await symlink(path.join(web, 'web'), path.join(dir, 'pkg'));
  await symlink(path.join(web, 'facade.js'), path.join(dir, 'facade.js'));
  await symlink(path.join(REPO_ROOT, 'pkg/npm'), path.join(dir, 'npm'));
  return dir;
}

// ---- the browser ---------------------------------------------------------------------------------

/** Headless Chromium with a fresh profile; closed by `t.after`. */
export async function launchBrowser(t) {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  t.after(() => browser.close());
  return browser;
}

/**
 * Everything one test needs: its own collector serving `siteDir` (the fixture page by default),
 * a fresh browser context and page, with errors in the page collected in `pageErrors`.
 * All of it is torn down when the test ends.
 */
export async function setup(t, { siteDir = FIXTURE_DIR, collectorArgs = [], contextOptions = {} } = {}) {
  const site = await makeSite(siteDir);
  t.after(() => rm(site, { recursive: true, force: true }));
  const collector = await Collector.start({ staticDir: site, args: collectorArgs });
  t.after(() => collector.stop());
  const browser = await launchBrowser(t);
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const pageErrors = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') pageErrors.push(msg.text());
  });
  return { collector, browser, context, page, pageErrors };
}

/** Opens the fixture page (or `pathname`) and waits for snowtrack to be initialised. */
export async function openPage(page, collector, pathname = '/') {
  await page.goto(`${collector.url}${pathname}`);
  await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: 15_000 });
}

/**
 * Creates `window.tracker` on the fixture page: namespace `sp`, posting to the page's origin,
 * with both entities on, plus `config`.
 */
export function createTracker(page, config = {}) {
  return page.evaluate((extra) => {
    window.tracker = window.snowtrack.newTracker('sp', window.location.origin, {
      appId: 'e2e',
      contexts: { session: true, webPage: true },
      ...extra,
    });
  }, config);
}

/** The tracker's view of identity: duid, session id and index, and the client_session data. */
export function trackerState(page) {
  return page.evaluate(() => ({
    duid: window.tracker.getDomainUserId(),
    sessionId: window.tracker.getDomainSessionId(),
    sessionIndex: window.tracker.getDomainSessionIndex(),
    session: window.tracker.getSessionContext(),
    idCookieName: window.tracker.getCookieName('id'),
    sesCookieName: window.tracker.getCookieName('ses'),
  }));
}

/** Calls `window.tracker.flush()` and returns its result. */
export function flush(page) {
  return page.evaluate(() => window.tracker.flush());
}

// ---- cookies and events --------------------------------------------------------------------------

/** The 4-hex domain hash in the cookie names: sha1(domain + "/"), as the JS tracker computes it. */
export function domainHash(domain) {
  return createHash('sha1').update(`${domain.replace(/^\./, '')}/`).digest('hex').slice(0, 4);
}

export const ID_COOKIE_FIELDS = [
  'duid', 'created', 'sessionIndex', 'lastActivity', 'lastVisit',
  'sessionId', 'previousSessionId', 'firstEventId', 'firstEventTs', 'eventIndex',
];

/** Splits an `_sp_id` value into its named fields (all strings). */
export function parseIdCookie(value) {
  const parts = value.split('.');
  return Object.fromEntries(ID_COOKIE_FIELDS.map((name, i) => [name, parts[i]]));
}

/** The `_sp_id.*` and `_sp_ses.*` cookies of `context`. */
export async function trackerCookies(context) {
  const cookies = await context.cookies();
  return {
    id: cookies.find((c) => c.name.startsWith('_sp_id.')),
    ses: cookies.find((c) => c.name.startsWith('_sp_ses.')),
    all: cookies,
  };
}

/** The data of the first entity with `schema` on a good event, or undefined. */
export function entity(good, schema) {
  return good.event.contexts?.data?.find((e) => e.schema === schema)?.data;
}

/** A short name for a good event: the page_view / struct event type, or the unstruct schema's name. */
export function kind(good) {
  if (good.eventType !== 'unstruct') return good.eventType;
  return good.schema.split('/')[1];
}

/** The self-describing event's data (unstruct_event.data.data). */
export function unstructData(good) {
  return good.event.unstruct_event?.data?.data;
}

/** A fresh UUID v4 string. */
export { randomUUID as uuid } from 'node:crypto';
