// The browser calls that only snowtrack's full build makes (bound in host.rs): the page's code
// (global contexts' generators and filters, plugins), activity tracking, history autotracking and
// link click tracking. The core build (no `full` feature) imports none of them, so a page of the
// core build does not download this file (the rest is in host.js). Nothing here throws.

import { call, messageOf } from './host.js';

/**
 * Calls the page's function `f` on `arg` (with `self` as `this`); `fallback` when it throws,
 * which is reported to the module (`code.threw` with `[what, message]`: it warns, rate-limited).
 */
function attempt(code, what, f, self, arg, fallback) {
  try { return f.call(self, arg); } catch (error) { call(code.threw, [what, messageOf(error)]); return fallback; }
}

/**
 * A tracker's registry of the page's code: generators and filters by handle, plugins in order,
 * and `threw`, the module's function told when one of them throws.
 */
export function pageCode(threw) {
  return { functions: [], plugins: [], threw };
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
  return attempt(code, 'a global context generator', code.functions[handle], undefined, contextArg(event, eventType, eventSchema), undefined);
}

/** Calls filter `handle` on the event: whether it answered exactly `true`. */
export function filter(code, handle, event, eventType, eventSchema) {
  return attempt(code, 'a global context filter', code.functions[handle], undefined, contextArg(event, eventType, eventSchema), false) === true;
}

/** Each plugin's `contexts()` answer (those that have one and did not throw). */
export function pluginContexts(code) {
  return code.plugins.filter((p) => typeof p.contexts === 'function')
    .map((p) => attempt(code, "a plugin's contexts()", p.contexts, p, undefined, undefined));
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
  for (const p of hooks) attempt(code, "a plugin's beforeTrack()", p.beforeTrack, p, builder, undefined);
  return added;
}

/** The plugins' `filter(payload)`: false when one answered exactly `false` (one that throws keeps it). */
export function keep(code, json) {
  const payload = JSON.parse(json);
  return code.plugins.every((p) => typeof p.filter !== 'function' || attempt(code, "a plugin's filter()", p.filter, p, payload, true) !== false);
}

/** The plugins' `afterTrack(payload)`. */
export function afterTrack(code, json) {
  const payload = JSON.parse(json);
  for (const p of code.plugins) if (typeof p.afterTrack === 'function') attempt(code, "a plugin's afterTrack()", p.afterTrack, p, payload, undefined);
}

const pageOffsets = () => {
  const html = globalThis.document && document.documentElement;
  return html ? [html.scrollLeft || globalThis.pageXOffset || 0, html.scrollTop || globalThis.pageYOffset || 0] : [0, 0];
};

export function watchActivity() {
  const w = { last: 0 };
  const active = () => { w.last = Date.now(); };
  takeActivity(w);
  [w.sx, w.sy] = pageOffsets(); // the scroll distance counts from here
  if (globalThis.addEventListener) {
    const options = { passive: true, capture: true };
    for (const type of ['mousedown', 'mouseup', 'keypress', 'keyup', 'touchend', 'wheel', 'focus']) addEventListener(type, active, options);
    // The counts of activityMetrics (the tracker decides whether it reports them).
    const count = (type, key) => addEventListener(type, () => { active(); w[key] += 1; }, options);
    count('click', 'clicks');
    count('keydown', 'keys');
    count('touchstart', 'touches');
    addEventListener('mousemove', (e) => {
      active();
      if (w.mx !== undefined) w.mouse += Math.hypot(e.clientX - w.mx, e.clientY - w.my);
      w.mx = e.clientX;
      w.my = e.clientY;
    }, options);
    addEventListener('scroll', () => {
      active();
      const [x, y] = pageOffsets();
      if (w.sx !== undefined) w.scroll += Math.abs(x - w.sx) + Math.abs(y - w.sy);
      w.sx = x;
      w.sy = y;
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
  const taken = {
    last: w.last, minX: Math.min(w.minX, x), maxX: Math.max(w.maxX, x), minY: Math.min(w.minY, y), maxY: Math.max(w.maxY, y), x, y,
    mouse: w.mouse || 0, scroll: w.scroll || 0, keys: w.keys || 0, clicks: w.clicks || 0, touches: w.touches || 0,
  };
  w.last = 0;
  w.mouse = w.scroll = w.keys = w.clicks = w.touches = 0;
  w.minX = w.maxX = x;
  w.minY = w.maxY = y;
  return taken;
}

const historyWatchers = [];

/**
 * Calls each of the `f`s given once per task after `pushState`, `replaceState` or `popstate`
 * (the tracker decides whether the URL changed).
 */
export function watchHistory(f) {
  const h = globalThis.history;
  if (!historyWatchers.length && h) {
    let pending = false;
    const changed = () => {
      if (!pending) {
        pending = true;
        setTimeout(() => {
          pending = false;
          for (const g of historyWatchers) g();
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

/**
 * A link's raw attributes, `[href, hostname, id, target, ...classes]` (the classes as the JS
 * tracker reads them: the `class` attribute's runs of non-space characters); `undefined` for
 * anything but an `a` or `area` element (an SVG link's `href` is no string).
 */
export function linkFacts(link) {
  if (!link || typeof link.href !== 'string' || !link.getAttribute) return undefined;
  return [link.href, link.hostname || '', link.id, link.target, ...(link.getAttribute('class') || '').match(/\S+/g) || []];
}

/** The page's link filter `f` on `link`: whether it answered truthy, or the message of what it threw. */
export function linkFilter(f, link) {
  try { return !!f(link); } catch (error) { return messageOf(error); }
}

/** Link click tracking's `context` for `link`: functions called with it (`undefined` when one throws). */
export function linkContext(context, link) {
  return context.map((c) => {
    if (typeof c !== 'function') return c;
    try { return c(link); } catch { return undefined; }
  });
}

const linkWatchers = new Map();

/**
 * Calls `f` with `[type, which, button, link]` for each event of `types` (space-separated) in
 * an `a` or `area` element, replacing what `f` had; without `types`, stops.
 */
export function watchLinks(f, types) {
  const stop = linkWatchers.get(f);
  if (stop) stop();
  linkWatchers.delete(f);
  if (!types) return;
  const handler = (event) => {
    const node = event.composed ? event.composedPath()[0] : event.target;
    const link = node && node.closest ? node.closest('a, area') : null;
    if (link && link.href != null) call(f, [event.type, event.which, event.button, link]);
  };
  const list = types.split(' ');
  for (const type of list) addEventListener(type, handler, true);
  linkWatchers.set(f, () => { for (const type of list) removeEventListener(type, handler, true); });
}

const decorators = new Map();

/**
 * Cross-domain linking: calls `f` with `[link, event, href]` for each click and mousedown on an `a` or
 * `area` element with an `href` (the closest one, through shadow roots; links added later too),
 * replacing what `f` had; with `on` false, stops. One capturing listener per type on the
 * document; for a link it adds a one-time capturing listener on the link itself, so `f` runs
 * with the link as the event's `currentTarget`, as the JS tracker's per-link listeners do.
 */
export function watchCrossDomain(f, on) {
  const stop = decorators.get(f);
  if (stop) stop();
  decorators.delete(f);
  if (!on || !globalThis.document) return;
  const onLink = (event) => call(f, [event.currentTarget, event, String(event.currentTarget.href)]);
  const handler = (event) => {
    const node = event.composed ? event.composedPath()[0] : event.target;
    const link = node && node.closest ? node.closest('a[href], area[href]') : null;
    if (link) link.addEventListener(event.type, onLink, { capture: true, once: true });
  };
  for (const type of ['click', 'mousedown']) document.addEventListener(type, handler, true);
  decorators.set(f, () => { for (const type of ['click', 'mousedown']) document.removeEventListener(type, handler, true); });
}

/**
 * The reason of a cross-domain click: what the page's `f` answered for the event (a string;
 * `undefined` when it threw), else the link's text, trimmed.
 */
export function linkReason(f, event, link) {
  if (!f) return (link.textContent || '').trim();
  try { const reason = f(event); return reason == null ? '' : String(reason); } catch { return undefined; }
}

/** Sets a link's `href`. */
export function setHref(link, href) {
  link.href = href;
}

/**
 * The fetch of a full build's requests: the page's `customFetch` (given a `Request`) or `fetch`;
 * with `before` (the cookie extension service), a GET of it first, the request following its
 * answer or failure.
 */
export function fetcher(customFetch, before) {
  const perform = (url, init) => (typeof customFetch === 'function' ? customFetch(new Request(url, init)) : fetch(url, init));
  if (!before) return perform;
  return (url, init) => new Promise((resolve) => resolve(perform(before, { method: 'GET' }))).catch(() => {}).then(() => perform(url, init));
}
