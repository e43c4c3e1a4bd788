// The browser calls of snowtrack's wasm module (bound in host.rs). Each function is one
// crossing that does a whole job (send a request, read the page's facts), instead of one
// web-sys binding per property: a smaller module and glue, and fewer crossings per event.
// Nothing here throws: a browser API that is missing or refuses answers with a neutral value.

const TAB = 'snowtrack.tab.';

/** The message of something thrown. */
const messageOf = (err) => (err && err.message) || String(err);

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

/**
 * The facts that stay while the page lives: [protocol, hostname, timeZone, language, charset,
 * screen resolution, color depth, cookieEnabled ('1' or '')].
 */
export function browserInfo() {
  const s = globalThis.screen;
  let tz = '';
  // The same IANA id either way; Temporal answers at once, where building the first
  // Intl.DateTimeFormat of the page costs 10-20 ms (locale data).
  try {
    tz = (globalThis.Temporal && Temporal.Now.timeZoneId()) || Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch { /* neither */ }
  const nav = globalThis.navigator || {};
  return [
    globalThis.location ? location.protocol : '',
    globalThis.location ? location.hostname : '',
    tz,
    nav.language || '',
    globalThis.document ? document.characterSet : '',
    s ? size(s.width, s.height) : '',
    s && s.colorDepth ? String(s.colorDepth) : '',
    nav.cookieEnabled ? '1' : '',
  ];
}

let layout = null;
let last = null;

/**
 * The facts of each event: [url, referrer, title, viewport, document size], or `undefined` when
 * they are the ones this function returned last (the module keeps those: an event does not copy
 * five unchanged strings into wasm). The layout pair is measured once per task (a dozen property
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
  const facts = [globalThis.location ? location.href : '', d ? d.referrer : '', d ? d.title : '', layout[0], layout[1]];
  if (last && facts.every((f, i) => f === last[i])) return undefined;
  return (last = facts);
}

const CHECKS = {
  s: [(v) => typeof v === 'string', 'must be a string'],
  b: [(v) => typeof v === 'boolean', 'must be a boolean'],
  n: [(v) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 9e15, 'must be a non-negative whole number'],
  c: [(v) => Array.isArray(v) && v.every((n) => typeof n === 'number' && n >= 100 && n < 600), 'must be an array of HTTP status codes'],
  o: [(v) => typeof v === 'object', 'must be an object'],
  f: [(v) => typeof v === 'function', 'must be a function'],
};

/**
 * The values of `options` named in `spec` ("name:type ...", a dotted name reading a nested
 * object), in that order after a '' (as `readEvent`), `undefined` for absent (or null) ones;
 * or ['field\treason'] for the first one of the wrong type or that could not be read.
 */
export function readOptions(options, spec) {
  const values = [''];
  for (const entry of spec.split(/\s+/)) {
    const [name, type] = entry.split(':');
    let v = options;
    try {
      for (const key of name.split('.')) v = v == null ? undefined : v[key];
    } catch (err) {
      return [`${name}\tcould not be read (${messageOf(err)})`];
    }
    if (v === null) v = undefined;
    const [ok, reason] = CHECKS[type];
    if (v !== undefined && !ok(v)) return [`${name}\t${reason}`];
    values.push(v);
  }
  return values;
}

/**
 * A track call's input, type-checked: ['', ...values] or ['field\treason'] for the first
 * invalid field. `kind`: 0 page view, 1 screen view, 2 self-describing, 3 structured. The values:
 * the event's fields (an optional one '' when absent, else '=' + value), the timestamp ('', or
 * 'dtm' / 'ttm' + whole ms), then each entity's schema and data JSON. Each property is read
 * once; one whose getter throws is reported as a field that could not be read.
 */
export function readEvent(kind, event) {
  const fail = (field, reason) => { throw [field, reason]; };
  const get = (o, key, field) => {
    try { return o[key]; } catch (err) { return fail(field, `could not be read (${messageOf(err)})`); }
  };
  const isObject = (v) => v !== null && typeof v === 'object';
  const e = isObject(event) ? event : {};
  const str = (name, required) => {
    const v = get(e, name, name);
    if (v == null || v === '') {
      if (required) fail(name, 'must be a non-empty string');
      return v == null ? '' : '=';
    }
    if (typeof v !== 'string') fail(name, 'must be a string');
    return required ? v : `=${v}`;
  };
  const number = (o, key, field) => {
    const v = get(o, key, field);
    if (v != null && !(typeof v === 'number' && Number.isFinite(v))) fail(field, 'must be a finite number');
    return v;
  };
  const sdj = (field, v) => {
    if (!isObject(v)) fail(field, 'must be an object with schema and data');
    const schema = get(v, 'schema', `${field}.schema`);
    if (schema == null) fail(`${field}.schema`, 'is required');
    if (typeof schema !== 'string') fail(`${field}.schema`, 'must be a string');
    const data = get(v, 'data', `${field}.data`);
    if (!isObject(data) || Array.isArray(data)) fail(`${field}.data`, 'must be an object');
    let json;
    try { json = JSON.stringify(data); } catch { /* cyclic, BigInt, a throwing toJSON */ }
    if (typeof json !== 'string') fail(`${field}.data`, 'cannot be serialized to JSON');
    return [schema, json];
  };
  try {
    const out = [''];
    if (kind === 0) out.push(str('title'));
    else if (kind === 1) out.push(str('name', true), str('id'), str('type'), str('transitionType'));
    else if (kind === 2) out.push(...sdj('event', get(e, 'event', 'event')));
    else {
      out.push(str('category', true), str('action', true), str('label'), str('property'));
      const v = number(e, 'value', 'value');
      out.push(v == null ? '' : `=${v}`);
    }
    const entities = [];
    const context = get(e, 'context', 'context');
    if (context != null) {
      if (!Array.isArray(context)) fail('context', 'must be an array');
      const n = get(context, 'length', 'context');
      for (let i = 0; i < n; i += 1) entities.push(...sdj(`context[${i}]`, get(context, i, `context[${i}]`)));
    }
    let ts = get(e, 'timestamp', 'timestamp');
    if (ts == null) ts = '';
    else if (typeof ts === 'number' && Number.isFinite(ts)) ts = `dtm${Math.trunc(ts)}`;
    else {
      const t = isObject(ts) ? ts : {};
      const value = number(t, 'value', 'timestamp.value');
      const type = get(t, 'type', 'timestamp.type');
      if (type != null && typeof type !== 'string') fail('timestamp.type', 'must be a string');
      if ((type !== 'ttm' && type !== 'dtm') || value == null) fail('timestamp', "must be a number or {type: 'ttm' | 'dtm', value: number}");
      ts = type + Math.trunc(value);
    }
    out.push(ts, ...entities);
    return out;
  } catch (err) {
    // Anything else thrown (a revoked Proxy, say) is reported against the whole event.
    return Array.isArray(err) ? [`${err[0]}\t${err[1]}`] : [`event\tcould not be read (${messageOf(err)})`];
  }
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

/** Whether the page is hidden. */
export function hidden() {
  return !!(globalThis.document && document.hidden);
}

/** Calls `f` on `visibilitychange` (document) or another page event (window). */
export function onPage(event, f) {
  const target = event === 'visibilitychange' ? globalThis.document : globalThis;
  if (target) target.addEventListener(event, () => f());
}

/** Runs `f` at the end of the current task. */
export function microtask(f) {
  queueMicrotask(() => f());
}

/** `Retry-After` (delay-seconds or an HTTP date) in ms from now; -1 when absent or unreadable. */
function retryAfter(value) {
  if (!value) return -1;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : -1;
}

/**
 * Sends one request, aborted after `timeoutMs`, and calls `done` once with
 * `[status, retryAfterMs]`: status 0 for a network error, timeout or abort. POST when `head` is
 * a string: the body is `head`, the `events` each followed by `stm` and joined by commas, then
 * `tail`. GET otherwise, to `url` + `events[0]`.
 */
export function send(url, events, head, stm, tail, credentials, keepalive, timeoutMs, done) {
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
  if (body !== undefined) {
    init.body = body;
    init.headers = { 'Content-Type': 'application/json; charset=UTF-8' };
  }
  let request;
  try { request = fetch(url, init); } catch (error) { request = Promise.reject(error); }
  request.then(
    (response) => { clearTimeout(timer); call(done, [response.status, retryAfter(response.headers.get('Retry-After'))]); },
    () => { clearTimeout(timer); call(done, [0, -1]); },
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

/**
 * Marks this page alive for as long as it lives: the Web Lock `snowtrack.tab.<id>`, held until
 * the page goes; without Web Locks a heartbeat key written every 2 s.
 */
export function announce(tabId) {
  const locks = globalThis.navigator && navigator.locks;
  if (locks) {
    locks.request(TAB + tabId, () => new Promise(() => {})).catch(() => {});
    return;
  }
  const beat = () => storageSet(TAB + tabId, String(Date.now()));
  beat();
  setInterval(beat, 2000);
}

/** Stops announcing this page (heartbeat fallback only; a lock goes with the page). */
export function retire(tabId) {
  if (!(globalThis.navigator && navigator.locks)) storageRemove(TAB + tabId);
}

/**
 * Calls `f` with `liveTabIds` while holding the origin-wide Web Lock `name`, the ids read under the
 * lock (a page whose tab lock is still pending counts as alive). Without Web Locks: at once,
 * alive meaning a heartbeat younger than 6 s. With `null` when the lock was refused.
 */
export function whileLocked(name, f) {
  const locks = globalThis.navigator && navigator.locks;
  if (!locks) {
    const now = Date.now();
    call(f, storageKeys(TAB).filter((k) => now - Number(storageGet(k)) < 6000).map((k) => k.slice(TAB.length)));
    return;
  }
  let called = false;
  locks.request(name, () => locks.query().then((state) => {
    const names = [...(state.held || []), ...(state.pending || [])].map((l) => l.name || '');
    called = true;
    call(f, names.filter((n) => n.startsWith(TAB)).map((n) => n.slice(TAB.length)));
  })).catch(() => { if (!called) call(f, null); });
}
