// The snippet's loader (published as loader.js, one file with the wasm-bindgen glue bundled in;
// the .wasm is fetched from web/snowtrack_bg.wasm next to it, so the package works from any
// path or origin). It serves every command queue the tag registered in window.SnowtrackNamespace:
//
//   name('newTracker', namespace, collectorUrl, config)   creates a tracker
//   name('trackPageView', event)                           calls the method on every tracker
//   name('trackPageView:sp;sp2', event)                    ... on the trackers named
//   name(function (...args) { this.sp.getDomainUserId() }) calls it with `this` = { namespace: tracker }
//   name('addPlugin', url, ...)                            one console warning: no remote plugins
//   name('addPlugin', { plugin })                          adds a plugin object (also sp.js's inline
//   name('addPlugin', namespace, constructorName, args)     form: namespace[constructorName](...args))
//   name('trackTiming' | 'trackConsentGranted' | 'trackConsentWithdrawn', ...)   JS tracker v3's events
//
// The sp.js command forms the Snowplow Flutter tracker's web plugin uses work as they are under the
// global name `snowplow` (see the README's "Flutter web" section).
//
// Queued commands run in order once the tracker is loaded; after that each call runs at once
// (a call made inside a callback runs after the callback returns, keeping the order). A command
// that fails is reported with console.warn and the ones after it still run; nothing is thrown
// into the page. If WebAssembly is blocked, `load` warns once and every tracker is a no-op.

import { load } from './load.js';

const REGISTRY = 'SnowtrackNamespace';
const PREFIX = 'snowtrack:';

// Published bundled with the glue, whose default .wasm URL is then ./web/snowtrack_bg.wasm
// relative to loader.js (see js/build.mjs).
const snowtrack = load();

function warn(...args) {
  console.warn(PREFIX, ...args);
}

const IGLU = 'iglu:com.snowplowanalytics.';
const MOBILE = `${IGLU}mobile/`;

/** `value`, which must be a non-empty string (`field` names it in the error). */
function text(value, field) {
  if (typeof value !== 'string' || value === '') throw new TypeError(`\`${field}\` must be a non-empty string`);
  return value;
}

/** `data` without its null and undefined members. */
function defined(data) {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => v != null));
}

/** A JS tracker v3 consent event: `schema` with `data`, and the `consent_document` first. */
function consent(tracker, schema, data, { id, version, name, description, context, timestamp }) {
  const document = { schema: `${IGLU}snowplow/consent_document/jsonschema/1-0-0`, data: defined({ id: text(id, 'id'), version: text(version, 'version'), name, description }) };
  return tracker.trackSelfDescribingEvent({ event: { schema: `${IGLU}snowplow/${schema}/jsonschema/1-0-0`, data }, context: [document, ...(context || [])], timestamp });
}

/**
 * sp.js commands that are not tracker methods, as the tracker's own calls: JS tracker v3's
 * `trackTiming` and consent events (Flutter's web plugin sends them), and the mobile model's
 * events sent as self-describing events (how Flutter sends screen views, list items and
 * scrolls on the web), which are what `trackScreenView`, `trackListItemView` and
 * `trackScrollChanged` track.
 */
const COMMANDS = {
  addPlugin(tracker, source, constructorName, args) {
    if (typeof constructorName === 'string') {
      return tracker.addPlugin({ plugin: source[constructorName](...(Array.isArray(args) ? args : [])) });
    }
    return tracker.addPlugin(source);
  },
  trackTiming(tracker, { category, variable, timing, label, context, timestamp } = {}) {
    if (typeof timing !== 'number' || !Number.isFinite(timing)) throw new TypeError('`timing` must be a finite number');
    const data = defined({ category: text(category, 'category'), variable: text(variable, 'variable'), timing, label });
    return tracker.trackSelfDescribingEvent({ event: { schema: `${IGLU}snowplow/timing/jsonschema/1-0-0`, data }, context, timestamp });
  },
  trackConsentGranted(tracker, e = {}) {
    return consent(tracker, 'consent_granted', defined({ expiry: e.expiry }), e);
  },
  trackConsentWithdrawn(tracker, e = {}) {
    return consent(tracker, 'consent_withdrawn', { all: e.all === true }, e);
  },
  trackSelfDescribingEvent(tracker, e) {
    const { schema, data } = (e && e.event) || {};
    const own = { context: e && e.context, timestamp: e && e.timestamp };
    const d = data || {};
    if (schema === `${MOBILE}screen_view/jsonschema/1-0-0`) return tracker.trackScreenView({ ...d, ...own });
    if (schema === `${MOBILE}list_item_view/jsonschema/1-0-0`) {
      return tracker.trackListItemView({ index: d.index, itemsCount: d.items_count, ...own });
    }
    if (schema === `${MOBILE}scroll_changed/jsonschema/1-0-0`) {
      return tracker.trackScrollChanged({
        xOffset: d.x_offset, yOffset: d.y_offset, viewWidth: d.view_width, viewHeight: d.view_height,
        contentWidth: d.content_width, contentHeight: d.content_height, ...own,
      });
    }
    return tracker.trackSelfDescribingEvent(e);
  },
};

/** Whether `method` may be called through a command (public tracker methods only). */
function isCommand(tracker, method) {
  return method !== 'free' && !method.startsWith('_') && !(method in Object.prototype)
    && typeof tracker[method] === 'function';
}

/** Runs one queued command (the arguments of one call) against `trackers`. */
function run(api, trackers, args) {
  const [command, ...params] = args;
  if (typeof command === 'function') {
    command.apply(trackers, params);
    return;
  }
  if (typeof command !== 'string' || command === '') {
    throw new TypeError('the first argument must be a command name or a function');
  }
  const colon = command.indexOf(':');
  const method = colon < 0 ? command : command.slice(0, colon);
  const targets = colon < 0 ? [] : command.slice(colon + 1).split(';').filter(Boolean);
  if (method === 'addPlugin' && typeof params[0] === 'string') {
    // sp.js loads a plugin's script from a URL; snowtrack runs no remote code (the Flutter web
    // plugin asks for its media plugin this way).
    warn(`'addPlugin' ignored: snowtrack does not load remote plugins (${params[0]})`);
    return;
  }
  if (method === 'newTracker') {
    const [namespace] = params;
    if (Object.prototype.hasOwnProperty.call(trackers, namespace)) {
      throw new Error(`a tracker named '${namespace}' exists already`);
    }
    trackers[namespace] = api.newTracker(...params);
    return;
  }
  const names = targets.length ? targets : Object.keys(trackers);
  if (names.length === 0) throw new Error('no tracker yet: call newTracker first');
  for (const namespace of names) {
    const tracker = Object.prototype.hasOwnProperty.call(trackers, namespace) ? trackers[namespace] : null;
    if (!tracker) {
      warn(`'${command}': no tracker named '${namespace}'`);
      continue;
    }
    const own = Object.prototype.hasOwnProperty.call(COMMANDS, method) ? COMMANDS[method] : null;
    if (!own && !isCommand(tracker, method)) throw new Error(`unknown command '${method}'`);
    try {
      const result = own ? own(tracker, ...params) : tracker[method](...params);
      if (result && typeof result.then === 'function') {
        result.then(undefined, (error) => warn(`'${command}' failed for '${namespace}':`, error));
      }
    } catch (error) {
      warn(`'${command}' failed for '${namespace}':`, error);
    }
  }
}

/** Serves the queue of window[name], once. */
function serve(name) {
  const stub = window[name];
  const queue = stub && stub.q;
  if (!Array.isArray(queue) || queue.servedBy) return;
  Object.defineProperty(queue, 'servedBy', { value: 'snowtrack' });
  const trackers = Object.create(null); // namespace → tracker; `this` of callbacks
  snowtrack.then((api) => {
    let draining = false;
    const drain = () => {
      if (draining) return;
      draining = true;
      try {
        while (queue.length) {
          const args = Array.prototype.slice.call(queue.shift());
          try {
            run(api, trackers, args);
          } catch (error) {
            const label = typeof args[0] === 'function' ? 'callback' : `'${String(args[0])}'`;
            warn(`${label} failed:`, error);
          }
        }
      } finally {
        draining = false;
      }
    };
    // The tag's function pushes onto this very array: from now on a push runs the command.
    queue.push = function push(...items) {
      const length = Array.prototype.push.apply(queue, items);
      drain();
      return length;
    };
    drain();
  });
}

const registry = Array.isArray(window[REGISTRY]) ? window[REGISTRY] : (window[REGISTRY] = []);
if (!registry.servedBy) {
  Object.defineProperty(registry, 'servedBy', { value: 'snowtrack' });
  registry.forEach(serve);
  // A tag that runs after the loader (another global name) is served as soon as it registers.
  registry.push = function push(...names) {
    const length = Array.prototype.push.apply(registry, names);
    names.forEach(serve);
    return length;
  };
}
