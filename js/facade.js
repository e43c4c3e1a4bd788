// The JavaScript API of snowtrack: `newTracker` and the tracker's methods, named as in
// @snowplow/browser-tracker, over the wasm module's three exports. `create(args, page)` makes a
// tracker, `call(id, args, page)` runs one of its methods and `get(id, args, page)` one that
// answers (the getters and `flush`; the others give nothing back): `args` is the JSON text of the
// call's arguments (`[namespace, collectorUrl, config]`, or `[method, ...arguments]`), written
// here by the browser's own JSON.stringify and read once in Rust; `page` holds the page's values
// the text refers to (functions, elements, plugins), which stay in JS. Every check and every
// decision is the module's: this file only encodes arguments and names the field a value that
// cannot be written as JSON sits in.
//
// No imports: the package's glue files append `facade(...)` (js/build.mjs), and the browser tests
// (tests/web.rs) load this file as it is.

/** The marker of a page value in the JSON text: `{"\u0000f": i}` is `page[i]`. */
const PAGE = '\u0000f';
/** The marker of a number JSON has none for: `{"\u0000n": "NaN"}`. */
const NON_FINITE = '\u0000n';

/** The tracker methods of both builds. */
export const CORE_METHODS = [
  'trackPageView', 'trackScreenView', 'trackSelfDescribingEvent', 'trackStructEvent',
  'trackListItemView', 'trackScrollChanged', 'newSession', 'setUserId', 'getDomainSessionIndex',
  'getSessionContext', 'flush', 'getDeliveryStats', 'getDomainUserId', 'getDomainSessionId',
  'getCookieName', 'setCustomUrl', 'setReferrerUrl', 'setDocumentTitle', 'preservePageViewId',
  'getPageViewId', 'getUserId', 'getDomainUserInfo', 'getTabId',
];

/** Tracker methods (and so tag commands) that only the full build has. */
export const FULL_METHODS = [
  'enableGdprContext',
  'enableActivityTracking', 'enableActivityTrackingCallback', 'disableActivityTracking',
  'disableActivityTrackingCallback', 'updatePageActivity',
  'enableLinkClickTracking', 'disableLinkClickTracking', 'refreshLinkClickTracking', 'trackLinkClick',
  'crossDomainLinker',
  'enableAnonymousTracking', 'disableAnonymousTracking', 'clearUserData', 'setOptOutCookie',
  'addGlobalContexts', 'removeGlobalContexts', 'clearGlobalContexts', 'addPlugin',
  'discardHashTag', 'discardBrace', 'setUserIdFromLocation', 'setUserIdFromReferrer', 'setUserIdFromCookie',
  'setCookiePath', 'setVisitorCookieTimeout', 'setCollectorUrl', 'setBufferSize', 'flushBuffer',
];

/**
 * What a call to a method or option of the full build says in the core build, after its name
 * (the same words as the module's own errors for options: NOT_IN_CORE in src/bindings/input.rs).
 */
export const NOT_IN_CORE = 'is in snowtrack\'s full build, not in the core build this page loaded (see "Builds" in snowtrack\'s README)';

/**
 * The JSON text of `args` with the page's values it holds pushed to `page`: functions and DOM
 * nodes anywhere, and the plugins under `plugins` (a list) or `plugin` of `holder`; numbers that
 * are not finite get a marker (JSON would write `null`). Throws what JSON.stringify throws.
 */
function encode(args, page, holder) {
  const ref = (v) => ({ [PAGE]: page.push(v) - 1 });
  return JSON.stringify(args, function (key, v) {
    if (typeof v === 'function') return ref(v);
    if (typeof v === 'number') return isFinite(v) ? v : { [NON_FINITE]: String(v) };
    if (v !== null && typeof v === 'object') {
      if (typeof Node === 'function' && v instanceof Node) return ref(v);
      if (this === holder && holder !== undefined) {
        if (key === 'plugins' && Array.isArray(v)) return v.map(ref);
        if (key === 'plugin') return ref(v);
      }
    }
    return v;
  });
}

/**
 * Where in `value` JSON.stringify failed, as snowtrack names fields (`context[1].data`): the
 * first property whose getter throws, that is a BigInt or a cycle, or whose `toJSON` throws.
 * `[path, why]`, or `null` when none is found.
 */
function locate(value, path, seen) {
  if (typeof value === 'bigint') return [path, 'cannot be serialized to JSON (a BigInt)'];
  if (value === null || typeof value !== 'object' || (typeof Node === 'function' && value instanceof Node)) return null;
  if (seen.includes(value)) return [path, 'cannot be serialized to JSON (a cycle)'];
  if (typeof value.toJSON === 'function') {
    try {
      value = value.toJSON();
    } catch (err) {
      return [path, `could not be read (${messageOf(err)})`];
    }
  }
  seen.push(value);
  for (const key of Object.keys(value)) {
    const field = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    let item;
    try {
      item = value[key];
    } catch (err) {
      return [field, `could not be read (${messageOf(err)})`];
    }
    const found = locate(item, field, seen);
    if (found) return found;
  }
  seen.pop();
  return null;
}

/** Whether `v` is written as JSON as it is, with nothing to mark. */
function plain(v) {
  return v == null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && isFinite(v));
}

/**
 * Whether a track call's argument `v` needs no marker: none of its own fields (nor its
 * `timestamp`'s value) is a function, a DOM node or a number that is not finite. Deeper in it
 * (an event's `data`, its entities) JSON.stringify's own rules are the tracker's: functions
 * left out, such numbers `null`, as the module would write them.
 */
function plainEvent(v) {
  if (v === null || typeof v !== 'object') return plain(v);
  for (const key in v) {
    const x = v[key];
    if (x !== null && typeof x === 'object') {
      if ((typeof Node === 'function' && x instanceof Node) || (key === 'timestamp' && !plain(x.value))) return false;
    } else if (!plain(x)) {
      return false;
    }
  }
  return true;
}

function messageOf(err) {
  try {
    return (err && err.message) || String(err);
  } catch {
    return 'unknown error';
  }
}

/**
 * Runs `send(text, page)` with the JSON of `args`. When they cannot be written as JSON, throws
 * the `Error` the module would for an invalid field: `snowtrack: invalid <kind> \`<field>\`:
 * <why>`, the field counted from `args[from]` (`name` when it is that argument itself).
 */
function withJson(args, holder, kind, from, name, send, event) {
  const page = [];
  let text;
  try {
    // What holds nothing to mark is written without a replacer (JSON.stringify is several times
    // faster without one): getters, setters, and the track calls' events.
    text = args.every(event ? plainEvent : plain) ? JSON.stringify(args) : encode(args, page, holder);
  } catch (err) {
    let found = null;
    try {
      found = locate(args[from], '', []);
    } catch {
      // Too deep to walk (the same RangeError JSON.stringify met): named as the argument.
    }
    const [field, why] = found ?? ['', `could not be read (${messageOf(err)})`];
    throw new Error(`snowtrack: invalid ${kind} \`${field || name}\`: ${why}`);
  }
  return send(text, page);
}

/**
 * The API over one build's exports: `{ newTracker, Tracker }`. `build` is 'full' or 'core': the
 * core build's tracker has the full build's methods too, each throwing an `Error` naming it.
 */
export function facade({ create, call, get }, build) {
  const ids = new WeakMap();
  /** A snowtrack tracker, made by `newTracker`. */
  class Tracker {}
  const method = (name) => {
    const kind = name.startsWith('track') ? 'event' : 'config';
    const run = name.startsWith('get') || name === 'flush' ? get : call;
    const plugin = name === 'addPlugin';
    // The track calls take no page value (but trackLinkClick's element).
    const event = kind === 'event' && name !== 'trackLinkClick';
    return function (...args) {
      const id = ids.get(this);
      if (id === undefined) throw new Error(`snowtrack: ${name} needs a tracker made by newTracker`);
      args.unshift(name);
      return withJson(args, plugin ? args[1] : undefined, kind, 1, name, (text, page) => run(id, text, page), event);
    };
  };
  for (const name of CORE_METHODS) Tracker.prototype[name] = method(name);
  for (const name of FULL_METHODS) {
    Tracker.prototype[name] = build === 'full' ? method(name) : function () {
      throw new Error(`snowtrack: ${name} ${NOT_IN_CORE}`);
    };
  }
  /**
   * Creates a tracker sending to `collectorUrl`. Throws an `Error` naming the field when an
   * option is invalid.
   */
  function newTracker(namespace, collectorUrl, config) {
    const args = [namespace, collectorUrl, config];
    const id = withJson(args, config, 'config', 2, 'config', (text, page) => create(text, page));
    const tracker = new Tracker();
    ids.set(tracker, id);
    return tracker;
  }
  return { newTracker, Tracker };
}
