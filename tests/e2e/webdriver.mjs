// A small W3C WebDriver client over `fetch`, for the engines playwright-core cannot drive here:
// WebKit (WebKitGTK's WebKitWebDriver and MiniBrowser, the Safari engine) and Firefox
// (geckodriver and firefox-esr). It starts the driver on a free port of 127.0.0.1, opens one
// session with headless capabilities, speaks the commands the tests need
// (https://www.w3.org/TR/webdriver2/) and always stops the driver process.
//
// Debian's MiniBrowser (WebKitGTK 2.50) has no headless mode (`--headless`: "Unknown option"),
// so without a DISPLAY a WebKit session gets its own Xvfb display, stopped with the driver.
//
//   const browser = await WebDriver.start(t, 'webkit');   // or 'firefox'; quit when `t` ends
//   await browser.goto(url);
//   const title = await browser.run(() => document.title);
//   await browser.run(async (n) => { ... }, 3);           // a promise is awaited

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './delivery-support.mjs';
import { sleep } from './support.mjs';

/** The drivers and session capabilities of each engine (paths overridable by env). */
export const ENGINES = {
  webkit: {
    display: true,
    driver: process.env.WEBKIT_DRIVER ?? '/usr/bin/WebKitWebDriver',
    args: (port) => [`--port=${port}`, '--host=local'],
    capabilities: (browserArgs) => ({
      browserName: 'MiniBrowser',
      'webkitgtk:browserOptions': {
        binary: process.env.WEBKIT_BROWSER ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
        args: ['--automation', ...browserArgs],
      },
    }),
  },
  firefox: {
    driver: process.env.GECKODRIVER ?? 'geckodriver',
    args: (port) => ['--port', String(port), '--host', '127.0.0.1'],
    capabilities: (browserArgs) => ({
      browserName: 'firefox',
      'moz:firefoxOptions': {
        binary: process.env.FIREFOX_BIN ?? '/usr/bin/firefox-esr',
        args: ['-headless', ...browserArgs],
        prefs: {
          'app.update.enabled': false,
          'browser.shell.checkDefaultBrowser': false,
          'datareporting.policy.dataSubmissionEnabled': false,
          'toolkit.telemetry.enabled': false,
        },
      },
    }),
  },
};

/** The W3C element reference key. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/**
 * An Xvfb server on a free display number (Xvfb picks it and writes it to fd 3):
 * `{display: ':N', stop()}`.
 */
async function startXvfb() {
  const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  };
  const errors = [];
  child.stderr.on('data', (chunk) => errors.push(chunk.toString()));
  let onExit;
  try {
    const display = await new Promise((resolve, reject) => {
      let text = '';
      const timer = setTimeout(() => reject(new Error('Xvfb gave no display number within 10 s')), 10_000);
      child.once('error', (err) => { clearTimeout(timer); reject(new Error(`Xvfb: ${err.message} (run \`make setup\`)`)); });
      onExit = () => { clearTimeout(timer); reject(new Error(`Xvfb exited: ${errors.join('')}`)); };
      child.once('exit', onExit);
      child.stdio[3].on('data', (chunk) => {
        text += chunk.toString();
        if (text.includes('\n')) {
          clearTimeout(timer);
          resolve(`:${text.trim()}`);
        }
      });
    });
    child.removeListener('exit', onExit);
    return { display, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** An error answered by the driver: `error` is the W3C error code. */
export class WebDriverError extends Error {
  constructor(command, value) {
    super(`${command}: ${value?.error ?? 'error'}: ${value?.message ?? JSON.stringify(value)}`);
    this.error = value?.error;
  }
}

/** One browser session through its driver process. */
export class WebDriver {
  /**
   * Starts `engine`'s driver (a key of ENGINES) and a session; both end when the test or suite
   * `t` ends (`t.after`), or at `quit()`. `browserArgs` are added to the browser's command line
   * (MiniBrowser: `--enable-itp` turns tracking prevention on); `capabilities` replace entries.
   */
  static async start(t, engine, { browserArgs = [], capabilities = {} } = {}) {
    const spec = ENGINES[engine];
    if (!spec) throw new Error(`unknown engine ${engine}`);
    if (spec.driver.includes('/') && !existsSync(spec.driver)) {
      throw new Error(`${spec.driver} is missing: run \`make setup\``);
    }
    // The driver's temporary files (geckodriver's profiles) go to a directory of our own.
    const tmp = await mkdtemp(path.join(tmpdir(), `snowtrack-${engine}-`));
    const env = { ...process.env, TMPDIR: tmp };
    let xvfb = null;
    if (spec.display && !process.env.DISPLAY) {
      try {
        xvfb = await startXvfb();
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        throw err;
      }
      env.DISPLAY = xvfb.display;
    }
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      const child = spawn(spec.driver, spec.args(port), { stdio: ['ignore', 'pipe', 'pipe'], env });
      const driver = new WebDriver(engine, child, `http://127.0.0.1:${port}`, tmp, xvfb);
      try {
        await driver.#waitReady();
        await driver.#newSession({ ...spec.capabilities(browserArgs), ...capabilities });
        t?.after(() => driver.quit());
        return driver;
      } catch (err) {
        await driver.#stopDriver();
        // Another process may have taken the port between freePort() and the driver's bind.
        if (attempt >= 3) {
          await driver.quit();
          throw new Error(`${err.message}\n${engine} driver output:\n${driver.output.join('')}`);
        }
      }
    }
  }

  constructor(engine, child, url, tmp, xvfb = null) {
    this.engine = engine;
    this.xvfb = xvfb;
    this.child = child;
    this.url = url;
    this.tmp = tmp;
    this.session = null;
    this.output = [];
    const keep = (chunk) => {
      this.output.push(chunk.toString());
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', resolve));
    child.once('error', (err) => keep(`spawn: ${err.message}\n`));
  }

  async #waitReady() {
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error('the driver exited');
      try {
        const response = await fetch(`${this.url}/status`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('the driver did not answer /status within 15 s');
      await sleep(100);
    }
  }

  async #newSession(alwaysMatch) {
    const value = await this.command('POST', '/session', { capabilities: { alwaysMatch } }, { session: false });
    this.session = value.sessionId;
    this.capabilities = value.capabilities;
    await this.command('POST', '/timeouts', { script: 60_000, pageLoad: 30_000, implicit: 0 });
  }

  /**
   * Sends one command: `path` is relative to the session unless `session` is false. Returns the
   * answer's `value`; throws a WebDriverError for an error answer.
   */
  async command(method, pathname, body, { session = true } = {}) {
    const url = `${this.url}${session ? `/session/${this.session}` : ''}${pathname}`;
    const response = await fetch(url, {
      method,
      // A browser that does not start leaves POST /session unanswered; nothing else takes this long.
      signal: AbortSignal.timeout(pathname === '/session' ? 30_000 : 120_000),
      headers: body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      throw new WebDriverError(`${method} ${pathname}`, { error: `HTTP ${response.status}`, message: text });
    }
    if (!response.ok) {
      throw new WebDriverError(`${method} ${pathname}`, json.value);
    }
    return json.value;
  }

  /** Ends the session and the driver process (SIGKILL if it lingers). */
  async #stopDriver() {
    if (this.session) {
      const session = this.session;
      this.session = null;
      try {
        await fetch(`${this.url}/session/${session}`, { method: 'DELETE', signal: AbortSignal.timeout(5_000) });
      } catch {
        // the driver is gone already, or hangs: it is killed below
      }
    }
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Ends the session, the driver process and its Xvfb; safe to call twice. */
  async quit() {
    await this.#stopDriver();
    await this.xvfb?.stop();
    await rm(this.tmp, { recursive: true, force: true });
  }

  // ---- navigation and windows ----

  /** Navigates the current window to `url` and waits for the load. */
  goto(url) {
    return this.command('POST', '/url', { url });
  }

  currentUrl() {
    return this.command('GET', '/url');
  }

  back() {
    return this.command('POST', '/back', {});
  }

  refresh() {
    return this.command('POST', '/refresh', {});
  }

  windowHandle() {
    return this.command('GET', '/window');
  }

  windowHandles() {
    return this.command('GET', '/window/handles');
  }

  /** Opens a new tab (or window) and returns its handle; the current window stays current. */
  async newWindow(type = 'tab') {
    return (await this.command('POST', '/window/new', { type })).handle;
  }

  switchTo(handle) {
    return this.command('POST', '/window', { handle });
  }

  /** Closes the current window (the page gets pagehide); returns the handles still open. */
  closeWindow() {
    return this.command('DELETE', '/window');
  }

  minimize() {
    return this.command('POST', '/window/minimize', {});
  }

  maximize() {
    return this.command('POST', '/window/maximize', {});
  }

  // ---- scripts ----

  /**
   * Runs `fn(...args)` in the page and returns its result (a promise is awaited). Through
   * /execute/async, which every driver here supports; a rejection or throw becomes an Error.
   */
  async run(fn, ...args) {
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve().then(() => (${fn}).apply(null, Array.prototype.slice.call(arguments, 0, -1)))
        .then((value) => done({ returned: value === undefined ? null : value }),
              (err) => done({ thrown: String(err instanceof Error ? err.name + ': ' + err.message : err) }));`;
    const answer = await this.command('POST', '/execute/async', { script, args });
    if (answer && typeof answer === 'object' && 'thrown' in answer) throw new Error(`in the page: ${answer.thrown}`);
    return answer?.returned;
  }

  /** `/execute/sync` with a script body (`return …`; `arguments` holds `args`). */
  executeSync(script, args = []) {
    return this.command('POST', '/execute/sync', { script, args });
  }

  /** `/execute/async` with a script body (the last argument is the callback). */
  executeAsync(script, args = []) {
    return this.command('POST', '/execute/async', { script, args });
  }

  /** Polls `fn(...args)` in the page until it returns a truthy value, which is returned. */
  async waitFor(fn, { args = [], timeout = 15_000, interval = 100, message = 'condition' } = {}) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await this.run(fn, ...args);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${message}`);
      await sleep(interval);
    }
  }

  // ---- elements ----

  /** The W3C reference of the first element matching `selector`. */
  async find(selector) {
    const value = await this.command('POST', '/element', { using: 'css selector', value: selector });
    const id = value?.[ELEMENT];
    if (!id) throw new Error(`find ${selector}: unexpected answer ${JSON.stringify(value)}`);
    return id;
  }

  /** A real click on the element matching `selector` (scrolled into view, at its centre). */
  async click(selector) {
    const id = await this.find(selector);
    return this.command('POST', `/element/${id}/click`, {});
  }

  /** Input actions (https://www.w3.org/TR/webdriver2/#actions), released afterwards. */
  async actions(actions) {
    await this.command('POST', '/actions', { actions });
    await this.command('DELETE', '/actions');
  }

  // ---- cookies ----

  /** The cookies of the current page: `{name, value, path, domain, secure, httpOnly, expiry, sameSite}`. */
  cookies() {
    return this.command('GET', '/cookie');
  }

  addCookie(cookie) {
    return this.command('POST', '/cookie', { cookie });
  }

  deleteCookies() {
    return this.command('DELETE', '/cookie');
  }
}
