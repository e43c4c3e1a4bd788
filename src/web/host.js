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
function call(f, value) {
  arg = value;
  try { f(); } finally { arg = null; }
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
  takeScroll(w);
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
 * The extent scrolled since the last call, with the view and content sizes, or `undefined` when
 * the document does not scroll (its content fits the view: an app drawing into a canvas, such
 * as Flutter, reports its own scrolls); then starts again from the current position (which
 * counts as seen).
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
  const scrolls = taken.contentWidth > taken.viewWidth || taken.contentHeight > taken.viewHeight;
  return scrolls ? taken : undefined;
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
 * Sends one request, aborted after `timeoutMs`, and calls `done` once with
 * `{status, retryAfter, retryAt}`: status 0 for a network error, timeout or abort;
 * `retryAfter` the `Retry-After` header as sent (null without one) and `retryAt` the browser's
 * reading of it as a date (`Date.parse`, NaN when it is none): what to make of them is the core's. `headers`: the
 * page's custom request headers, or undefined; `anonymous` adds `SP-Anonymous: *` (server
 * anonymisation). POST when `head` is
 * a string: the body is `head`, the `events` each followed by `stm` and joined by commas, then
 * `tail`. GET otherwise, to `url` + `events[0]`.
 */
export function send(url, events, head, stm, tail, credentials, keepalive, timeoutMs, headers, anonymous, done) {
  let timer;
  const post = typeof head === 'string';
  const body = post ? head + events.map((e) => e + stm).join(',') + tail : undefined;
  if (!post) url += events[0];
  const init = { method: post ? 'POST' : 'GET', mode: 'cors', credentials, keepalive };
  if (typeof AbortController === 'function') {
    const controller = new AbortController();
    init.signal = controller.signal;
    timer = setTimeout(() => controller.abort(), timeoutMs);
  }
  if (anonymous) headers = { ...headers, 'SP-Anonymous': '*' };
  if (headers) init.headers = { ...headers };
  if (body !== undefined) {
    init.body = body;
    init.headers = { ...headers, 'Content-Type': 'application/json; charset=UTF-8' };
  }
  let request;
  try { request = fetch(url, init); } catch (error) { request = Promise.reject(error); }
  request.then(
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

let quietUntil = 0;
let untold = 0;

/**
 * Tells that the page's code failed (`what` threw or answered something invalid: `why`), once,
 * then at most once every 10 s with the count of those not told: a generator failing on every
 * event must not flood the console.
 */
export function failed(what, why) {
  const now = Date.now();
  if (now < quietUntil) { untold += 1; return; }
  quietUntil = now + 10_000;
  const more = untold ? ` (${untold} more not shown)` : '';
  untold = 0;
  console.warn(`snowtrack: ${what}: ${why}; left out${more}`);
}

/** Calls the page's function `f` on `arg` (with `self` as `this`); `fallback` when it throws. */
function attempt(what, f, self, arg, fallback) {
  try { return f.call(self, arg); } catch (error) { failed(what, `threw ${messageOf(error)}`); return fallback; }
}

/** A tracker's registry of the page's code: generators and filters by handle, plugins in order. */
export function pageCode() {
  return { functions: [], plugins: [] };
}

/** The handle of a generator or filter: its index (the same function keeps it). */
export function register(code, f) {
  const at = code.functions.indexOf(f);
  return at < 0 ? code.functions.push(f) - 1 : at;
}

/** Adds a plugin object. */
export function addPlugin(code, plugin) {
  code.plugins.push(plugin);
}

const contextArg = (event, eventType, eventSchema) => ({ event: JSON.parse(event), eventType, eventSchema });

/** Calls generator `handle` on the event (`{event, eventType, eventSchema}`): what it answered. */
export function generate(code, handle, event, eventType, eventSchema) {
  return attempt('a global context generator', code.functions[handle], undefined, contextArg(event, eventType, eventSchema), undefined);
}

/** Calls filter `handle` on the event: whether it answered exactly `true`. */
export function filter(code, handle, event, eventType, eventSchema) {
  return attempt('a global context filter', code.functions[handle], undefined, contextArg(event, eventType, eventSchema), false) === true;
}

/** Each plugin's `contexts()` answer (those that have one and did not throw). */
export function pluginContexts(code) {
  return code.plugins.filter((p) => typeof p.contexts === 'function')
    .map((p) => attempt("a plugin's contexts()", p.contexts, p, undefined, undefined));
}

/**
 * The plugins' `beforeTrack(payloadBuilder)` over the event's fields (JSON), with the JS
 * tracker's PayloadBuilder methods (`add`, `addDict`, `addContextEntity`, `getPayload`). What
 * they added: `{fields: [name, value, ...], entities}`; `undefined` when no plugin has the hook.
 */
export function beforeTrack(code, json) {
  const hooks = code.plugins.filter((p) => typeof p.beforeTrack === 'function');
  if (!hooks.length) return undefined;
  const payload = JSON.parse(json);
  const added = { fields: [], entities: [] };
  const add = (key, value) => {
    if (value === undefined || value === null || value === '') return;
    added.fields.push(String(key), String(value));
    payload[key] = String(value);
  };
  const builder = {
    add,
    addDict: (dict) => { for (const key of Object.keys(dict || {})) add(key, dict[key]); },
    addContextEntity: (entity) => { added.entities.push(entity); },
    getPayload: () => payload,
  };
  for (const p of hooks) attempt("a plugin's beforeTrack()", p.beforeTrack, p, builder, undefined);
  return added;
}

/** The plugins' `filter(payload)`: false when one answered exactly `false` (one that throws keeps it). */
export function keep(code, json) {
  const payload = JSON.parse(json);
  return code.plugins.every((p) => typeof p.filter !== 'function' || attempt("a plugin's filter()", p.filter, p, payload, true) !== false);
}

/** The plugins' `afterTrack(payload)`. */
export function afterTrack(code, json) {
  const payload = JSON.parse(json);
  for (const p of code.plugins) if (typeof p.afterTrack === 'function') attempt("a plugin's afterTrack()", p.afterTrack, p, payload, undefined);
}

/** console.warn (docs of this and the functions below: host.rs). */
export function warn(message) {
  try { console.warn(message); } catch { /* no console */ }
}

const pageOffsets = () => {
  const html = globalThis.document && document.documentElement;
  return html ? [html.scrollLeft || globalThis.pageXOffset || 0, html.scrollTop || globalThis.pageYOffset || 0] : [0, 0];
};

export function watchActivity() {
  const w = { last: 0 };
  const active = () => { w.last = Date.now(); };
  takeActivity(w);
  if (globalThis.addEventListener) {
    const options = { passive: true, capture: true };
    for (const type of ['mousemove', 'mousedown', 'mouseup', 'click', 'keydown', 'keypress', 'keyup', 'touchstart',
      'touchend', 'wheel', 'focus']) addEventListener(type, active, options);
    addEventListener('scroll', () => {
      active();
      const [x, y] = pageOffsets();
      w.minX = Math.min(w.minX, x);
      w.maxX = Math.max(w.maxX, x);
      w.minY = Math.min(w.minY, y);
      w.maxY = Math.max(w.maxY, y);
    }, options);
  }
  return w;
}

export function takeActivity(w) {
  const [x, y] = pageOffsets();
  const taken = { last: w.last, minX: Math.min(w.minX, x), maxX: Math.max(w.maxX, x), minY: Math.min(w.minY, y), maxY: Math.max(w.maxY, y), x, y };
  w.last = 0;
  w.minX = w.maxX = x;
  w.minY = w.maxY = y;
  return taken;
}

export function activity(callback, pageViewId, minXOffset, minYOffset, maxXOffset, maxYOffset) {
  notify(callback, JSON.stringify({ context: [], pageViewId, minXOffset, minYOffset, maxXOffset, maxYOffset }));
}

const historyWatchers = [];

export function watchHistory(f) {
  const h = globalThis.history;
  if (!historyWatchers.length && h) {
    const url = () => location.href.split('#')[0];
    let last = url();
    let pending = false;
    const changed = () => {
      if (!pending) {
        pending = true;
        setTimeout(() => {
          pending = false;
          if (url() !== last) {
            last = url();
            for (const g of historyWatchers) g();
          }
        }, 0);
      }
    };
    for (const name of ['pushState', 'replaceState']) {
      const original = h[name];
      h[name] = function (...args) {
        const result = original.apply(this, args);
        changed();
        return result;
      };
    }
    addEventListener('popstate', changed);
  }
  historyWatchers.push(f);
}

const classesOf = (link) => (link.getAttribute('class') || '').match(/\S+/g) || [];

export function linkEvent(input, schema) {
  let data = input || {};
  if (data.element !== undefined) {
    const link = data.element;
    if (!link || typeof link.href !== 'string' || !link.getAttribute) return undefined;
    const targetUrl = link.hostname ? link.href.replace(link.hostname, (s) => s.toLowerCase()) : link.href;
    if (/^(javascript|vbscript|jscript|mocha|livescript|ecmascript):/i.test(targetUrl)) return {};
    data = {
      targetUrl: targetUrl || 'about:invalid',
      elementId: link.id,
      elementClasses: classesOf(link),
      elementTarget: link.target,
      elementContent: data.trackContent ? link.innerHTML : undefined,
    };
  }
  const { targetUrl, elementId, elementClasses, elementTarget, elementContent } = data;
  return {
    event: { schema, data: { targetUrl, elementId, elementClasses, elementTarget, elementContent } },
    context: input && input.context,
    timestamp: input && input.timestamp,
  };
}

const linkWatchers = new Map();

export function watchLinks(f, schema, config) {
  const stop = linkWatchers.get(f);
  if (stop) stop();
  linkWatchers.delete(f);
  if (schema === undefined) return;
  const { options, pseudoClicks, trackContent, context } = config || {};
  const classes = [].concat((options && (options.allowlist ?? options.denylist)) ?? []);
  const accepts = (options && typeof options.filter === 'function' && options.filter)
    || ((link) => classesOf(link).some((c) => classes.includes(c)) === !!(options && 'allowlist' in options));
  let down = null;
  const handler = (event) => {
    const node = event.composed ? event.composedPath()[0] : event.target;
    const link = node && node.closest ? node.closest('a, area') : null;
    if (!link || link.href == null || !accepts(link)) return;
    const button = event.which || event.button;
    if (event.type === 'mousedown') {
      down = button === 1 || button === 2 ? [button, link] : null;
      return;
    }
    const same = down && down[0] === button && down[1] === link;
    down = null;
    if (event.type === 'click' || same) {
      const resolved = context && context.map((c) => {
        try { return typeof c === 'function' ? c(link) : c; } catch { return null; }
      }).filter(Boolean);
      const click = linkEvent({ element: link, trackContent, context: resolved }, schema);
      if (click && click.event) call(f, click);
    }
  };
  const types = pseudoClicks ? ['mousedown', 'mouseup'] : ['click'];
  for (const type of types) addEventListener(type, handler, true);
  linkWatchers.set(f, () => { for (const type of types) removeEventListener(type, handler, true); });
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
