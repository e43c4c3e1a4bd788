// The browser calls of snowtrack's wasm module (bound in host.rs). Each function is one
// crossing that does a whole job (send a request, read the page's facts), instead of one
// web-sys binding per property: a smaller module and glue, and fewer crossings per event.
// Nothing here throws: a browser API that is missing or refuses answers with a neutral value.

/** `object[key]` (a getter may throw: the caller catches). */
export function property(object, key) {
  return object[key];
}

/** The message of something thrown. */
export function messageOf(err) {
  try { return (err && err.message) || String(err); } catch { return 'unknown error'; }
}

let cookieText = null;

/**
 * `document.cookie` ('' when cookies are unreadable, e.g. in a sandboxed frame), read once per
 * task: in Chrome a read after a write waits for the browser process (~0.3 ms), and a task
 * reads the id and session cookies one after the other.
 */
export function cookies() {
  if (cookieText === null) {
    try { cookieText = document.cookie; } catch { cookieText = ''; }
    queueMicrotask(() => { cookieText = null; });
  }
  return cookieText;
}

/** Assigns `document.cookie`. */
export function setCookie(assignment) {
  cookieText = null;
  try { document.cookie = assignment; } catch { /* refused */ }
}

/** `localStorage.getItem` (null when storage is unavailable). */
export function storageGet(key) {
  try { return localStorage.getItem(key); } catch { return null; }
}

/** `localStorage.setItem`; false when storage refused it (full, disabled). */
export function storageSet(key, value) {
  try { localStorage.setItem(key, value); return true; } catch { return false; }
}

/** `localStorage.setItem(key, …)` of `lines`, each followed by a newline; false when refused. */
export function storageSetLines(key, lines) {
  let value = '';
  for (const line of lines) value += `${line}\n`;
  return storageSet(key, value);
}

/** The lines of `text`, each of them followed by `\n` in it. */
export function splitLines(text) {
  return text.split('\n');
}

/** `localStorage.removeItem`. */
export function storageRemove(key) {
  try { localStorage.removeItem(key); } catch { /* unavailable */ }
}

/** The localStorage keys starting with `prefix`. */
export function storageKeys(prefix) {
  const keys = [];
  try {
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (key !== null && key.startsWith(prefix)) keys.push(key);
    }
  } catch { /* unavailable */ }
  return keys;
}

/** Fills `bytes` from crypto.getRandomValues (Math.random where Web Crypto is missing). */
export function fillRandom(bytes) {
  const c = globalThis.crypto;
  if (c && c.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i += 1) bytes[i] = Math.random() * 256;
}

const size = (w, h) => `${Math.max(0, Math.floor(w) || 0)}x${Math.max(0, Math.floor(h) || 0)}`;

/** The facts that stay while the page lives, by name (`BrowserFacts` in `page.rs`). */
export function browserInfo() {
  const s = globalThis.screen;
  let timeZone = '';
  // The same IANA id either way; Temporal answers at once, where building the first
  // Intl.DateTimeFormat of the page costs 10-20 ms (locale data).
  try {
    timeZone = (globalThis.Temporal && Temporal.Now.timeZoneId()) || Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch { /* neither */ }
  const nav = globalThis.navigator || {};
  return {
    protocol: globalThis.location ? location.protocol : '',
    hostname: globalThis.location ? location.hostname : '',
    timeZone,
    language: nav.language || '',
    charset: globalThis.document ? document.characterSet : '',
    resolution: s ? size(s.width, s.height) : '',
    colorDepth: s && s.colorDepth ? String(s.colorDepth) : '',
    cookieEnabled: nav.cookieEnabled ? '1' : '',
    doNotTrack: [nav.doNotTrack, globalThis.doNotTrack, nav.msDoNotTrack].some((v) => v === '1' || v === 'yes') ? '1' : '',
    globalPrivacyControl: nav.globalPrivacyControl === true ? '1' : '',
  };
}

let layout = null;
let last = null;

/**
 * The facts of each event, by name (`PageFacts` in `page.rs`), or `undefined` when they are the
 * ones this function returned last (the module keeps those: an event does not copy five
 * unchanged strings into wasm). The layout pair is measured once per task (a dozen property
 * reads, maybe a layout) and shared by its events.
 */
export function pageFacts() {
  const d = globalThis.document;
  if (!layout) {
    const w = globalThis.window || {};
    let ds = '';
    const html = d && d.documentElement;
    if (html) {
      const body = d.body || {};
      ds = size(
        Math.max(html.clientWidth, html.offsetWidth, html.scrollWidth),
        Math.max(html.clientHeight, html.offsetHeight, html.scrollHeight, body.offsetHeight || 0, body.scrollHeight || 0),
      );
    }
    layout = [size(w.innerWidth, w.innerHeight), ds];
    queueMicrotask(() => { layout = null; });
  }
  const facts = {
    url: globalThis.location ? location.href : '',
    referrer: d ? d.referrer : '',
    title: d ? d.title : '',
    viewport: layout[0],
    documentSize: layout[1],
  };
  if (last && Object.keys(facts).every((k) => facts[k] === last[k])) return undefined;
  return (last = facts);
}

let arg = null;

/**
 * Calls the wasm callback `f` (which takes no arguments: one closure shape in the module) with
 * `value`, which it reads with `callbackArg()`.
 */
export function call(f, value) {
  const outer = arg; // a call made while the module handles another (a page function that threw)
  arg = value;
  try { f(); } finally { arg = outer; }
}

/** The value of the callback being called (see `call`). */
export function callbackArg() {
  return arg;
}

const offsets = () => [Math.round(globalThis.scrollX || 0), Math.round(globalThis.scrollY || 0)];

/**
 * Follows the document's scroll with one passive listener that only updates the watcher's
 * extent here (no crossing into wasm per scroll); `takeScroll` hands it over.
 */
export function watchScroll() {
  const w = {};
  // From the current position; the sizes are read when the extent is taken (not here, where
  // reading them would force a layout while the tracker starts).
  [w.minX, w.minY] = [w.maxX, w.maxY] = offsets();
  if (globalThis.addEventListener) {
    addEventListener('scroll', () => {
      const [x, y] = offsets();
      w.minX = Math.min(w.minX, x);
      w.maxX = Math.max(w.maxX, x);
      w.minY = Math.min(w.minY, y);
      w.maxY = Math.max(w.maxY, y);
    }, { passive: true });
  }
  return w;
}

/**
 * The extent scrolled since the last call, with the view and content sizes; then starts again
 * from the current position (which counts as seen).
 */
export function takeScroll(w) {
  const html = globalThis.document && document.documentElement;
  const taken = {
    ...w,
    viewWidth: Math.round(globalThis.innerWidth || 0),
    viewHeight: Math.round(globalThis.innerHeight || 0),
    contentWidth: html ? html.scrollWidth : 0,
    contentHeight: html ? html.scrollHeight : 0,
  };
  [w.minX, w.minY] = [w.maxX, w.maxY] = offsets();
  return taken;
}

/** Whether the page is hidden. */
export function hidden() {
  return !!(globalThis.document && document.hidden);
}

/** Calls `f` on `visibilitychange` (document) or another page event (window: `pagehide`, `pageshow`, `online`). */
export function onPage(event, f) {
  const target = event === 'visibilitychange' ? globalThis.document : globalThis;
  if (target) target.addEventListener(event, () => f());
}

/** Runs `f` at the end of the current task. */
export function microtask(f) {
  queueMicrotask(() => f());
}

/**
 * Sends one request: `request` is its data as JSON (`{url, init, body, timeoutMs}`: fetch's init
 * as snowtrack decided it, and for a POST the pieces of the body: `head`, then each of `events`
 * followed by `stm`, joined by commas, then `tail`; a GET goes to `url` + `events[0]`), aborted
 * after `timeoutMs`, through `fetcher` when given (the full build's: `customFetch`, the cookie
 * extension service first), else `fetch`. `done` gets `{status, retryAfter, retryAt}` once
 * (status 0: no answer).
 */
export function send(request, events, done, fetcher) {
  const { url, init, body, timeoutMs } = JSON.parse(request);
  let timer;
  if (body) init.body = body.head + events.map((e) => e + body.stm).join(',') + body.tail;
  if (typeof AbortController === 'function') {
    const controller = new AbortController();
    init.signal = controller.signal;
    timer = setTimeout(() => controller.abort(), timeoutMs);
  }
  let sent;
  try { sent = (fetcher || fetch)(body ? url : url + events[0], init); } catch (error) { sent = Promise.reject(error); }
  sent.then(
    (response) => {
      clearTimeout(timer);
      const retryAfter = response.headers.get('Retry-After');
      call(done, { status: response.status, retryAfter, retryAt: retryAfter ? Date.parse(retryAfter) : NaN });
    },
    () => { clearTimeout(timer); call(done, { status: 0, retryAfter: null, retryAt: NaN }); },
  );
}

/** Calls a user callback with the JSON `report`; what it throws is logged, never propagated. */
export function notify(callback, report) {
  try {
    callback(JSON.parse(report));
  } catch (error) {
    console.warn(`snowtrack: a callback threw: ${messageOf(error)}`);
  }
}

/** Settles a `flush()` promise with `value`. */
export function settle(resolve, value) {
  try { resolve(value); } catch { /* a promise's resolve does not throw */ }
}

/**
 * Marks this page alive for as long as it lives: the Web Lock `name`, held until the page goes;
 * without Web Locks the key `name` rewritten with the time every `everyMs`.
 */
export function announce(name, everyMs) {
  const locks = globalThis.navigator && navigator.locks;
  if (locks) {
    locks.request(name, () => new Promise(() => {})).catch(() => {});
    return;
  }
  const beat = () => storageSet(name, String(Date.now()));
  beat();
  setInterval(beat, everyMs);
}

/** Stops announcing this page (heartbeat fallback only; a lock goes with the page). */
export function retire(name) {
  if (!(globalThis.navigator && navigator.locks)) storageRemove(name);
}

/**
 * Calls `f` while holding the origin-wide Web Lock `lock` with the names of the locks held or
 * requested that start with `prefix`, that prefix removed (a page whose tab lock is still
 * pending counts as alive); with `false` at once where Web Locks are missing; with `null` when
 * the lock was refused.
 */
export function whileLocked(lock, prefix, f) {
  const locks = globalThis.navigator && navigator.locks;
  if (!locks) {
    call(f, false);
    return;
  }
  let called = false;
  locks.request(lock, () => locks.query().then((state) => {
    const names = [...(state.held || []), ...(state.pending || [])].map((l) => l.name || '');
    called = true;
    call(f, names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)));
  })).catch(() => { if (!called) call(f, null); });
}

/** console.warn (docs of this and the functions below: host.rs; the full build's: host_full.js). */
export function warn(message) {
  try { console.warn(message); } catch { /* no console */ }
}

export function resolveUrl(url) {
  if (typeof url !== 'string') return undefined;
  try { return new URL(url, location.href).href; } catch { return url; }
}

export function tabId(key, candidate) {
  try {
    if (!sessionStorage.getItem(key)) sessionStorage.setItem(key, candidate);
    return sessionStorage.getItem(key) || null;
  } catch {
    return null;
  }
}

export function domainUserInfo(stored, value) {
  const f = value.split('.');
  const n = (i) => (f[i] ? +f[i] : undefined);
  return [stored ? '0' : '1', f[0], +f[1], +f[2], +f[3], n(4), f[5], f[6], f[7], n(8), +f[9]];
}
