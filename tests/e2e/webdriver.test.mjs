// The WebDriver client (webdriver.mjs) against the real drivers, in each engine it is for:
// WebKit (WebKitWebDriver, MiniBrowser on Xvfb) and Firefox (geckodriver, firefox-esr). What the
// other tests rely on: scripts and their errors, navigation, windows, cookies, and that quit()
// leaves no driver process or port behind.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import net from 'node:net';
import { test } from 'node:test';
import { WebDriver } from './webdriver.mjs';

/** A page server on 127.0.0.1: `/<name>` answers a page titled `<name>` that sets cookie `srv`. */
async function pages(t) {
  const server = createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Set-Cookie': 'srv=1; Path=/; HttpOnly' });
    res.end(`<!doctype html><title>${req.url.slice(1)}</title><a id="next" href="/next">next</a>`);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(resolve);
  }));
  return `http://127.0.0.1:${server.address().port}`;
}

/** Whether something accepts connections at `url` (host and port). */
function listening(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

for (const engine of ['webkit', 'firefox']) {
  test(`webdriver.mjs drives ${engine}: scripts, navigation, windows and cookies; quit() stops the driver`, { timeout: 60_000 }, async (t) => {
    const base = await pages(t);
    const browser = await WebDriver.start(t, engine);
    await browser.goto(`${base}/first`);
    assert.equal(await browser.run(() => document.title), 'first');
    assert.deepEqual(await browser.run((a, b) => ({ sum: a + b }), 2, 3), { sum: 5 }, 'arguments and a JSON result');
    assert.equal(await browser.run(() => new Promise((resolve) => setTimeout(() => resolve('later'), 50))), 'later');
    await assert.rejects(browser.run(() => { throw new Error('thrown in the page'); }), /thrown in the page/);
    assert.equal(await browser.executeSync('return arguments[0] * 2', [21]), 42);

    await browser.click('#next');
    await browser.waitFor(() => document.title === 'next', { message: 'the next page' });
    assert.equal(await browser.currentUrl(), `${base}/next`);
    await browser.back();
    await browser.waitFor(() => document.title === 'first', { message: 'back' });

    await browser.run(() => { document.cookie = 'js=2; Path=/; Max-Age=600'; });
    const cookies = Object.fromEntries((await browser.cookies()).map((c) => [c.name, c]));
    assert.equal(cookies.srv?.httpOnly, true, 'the server\'s HttpOnly cookie');
    assert.equal(cookies.js?.value, '2');
    assert.ok(Math.abs(cookies.js.expiry - (Date.now() / 1000 + 600)) < 30, `expiry ${cookies.js.expiry}`);
    await browser.deleteCookies();
    assert.deepEqual(await browser.cookies(), []);

    const first = await browser.windowHandle();
    const second = await browser.newWindow('tab');
    assert.deepEqual((await browser.windowHandles()).sort(), [first, second].sort());
    await browser.switchTo(second);
    await browser.goto(`${base}/second`);
    assert.equal(await browser.run(() => document.title), 'second');
    assert.deepEqual(await browser.closeWindow(), [first]);
    await browser.switchTo(first);
    assert.equal(await browser.run(() => document.title), 'first');

    await browser.quit();
    assert.ok(browser.child.exitCode !== null || browser.child.signalCode !== null, 'the driver process ended');
    assert.equal(await listening(browser.url), false, 'its port is closed');
    await browser.quit(); // twice is fine
  });
}
