// The snippet's loader (published as loader.js; each build's `load()` with its wasm-bindgen glue is
// a chunk it imports from chunks/, the .wasm comes from web/ or web-core/ next to it, so the package works
// from any path or origin). It loads one of snowtrack's two builds (see "Builds" in the README):
// the full one when a command queued before it runs needs it (js/builds.js: a method such as
// enableLinkClickTracking, a newTracker option such as plugins, or `name('build', 'full')`), else
// the core one; on a page with no command queued by then, the first command and the others of
// its task decide (nothing is loaded before). It fetches that build's .wasm and its chunk at
// once; when the tag's own script queued commands, the tag has started the core build's .wasm
// already, which the loader takes or aborts (`fetchWasm`). A command of the full build that
// arrives after the core build was loaded fails with an `Error` naming it (a console warning).
//
// It serves every command queue the tag registered in window.SnowtrackNamespace:
//
//   name('newTracker', namespace, collectorUrl, config)   creates a tracker
//   name('trackPageView', event)                           calls the method on every tracker
//   name('trackPageView:sp;sp2', event)                    ... on the trackers named
//   name(function (...args) { this.sp.getDomainUserId() }) calls it with `this` = { namespace: tracker }
//   name('addPlugin', url, ...)                            one console warning: no remote plugins
//   name('addPlugin', { plugin })                          adds a plugin object (also sp.js's inline
//   name('addPlugin', namespace, constructorName, args)     form: namespace[constructorName](...args))
//   name('trackTiming' | 'trackConsentGranted' | 'trackConsentWithdrawn', ...)   JS tracker v3's events
//     (these, and the mobile events sent as self-describing events, run in commands.js, which is
//     loaded on the first of them: the commands after it wait, in order; if it cannot load, one
//     warning, those commands are dropped and the others run)
//   name('build', 'full')                                  loads the full build (before the loader runs)
//
// The sp.js command forms the Snowplow Flutter tracker's web plugin uses work as they are under the
// global name `snowplow` (see the README's "Flutter web" section).
//
// Queued commands run in order once the tracker is loaded; after that each call runs at once
// (a call made inside a callback runs after the callback returns, keeping the order). A command
// that fails is reported with console.warn and the ones after it still run; nothing is thrown
// into the page. If WebAssembly is blocked, `load` warns once and every tracker is a no-op.

import { needsFull } from './builds.js';

const REGISTRY = 'SnowtrackNamespace';
const PREFIX = 'snowtrack:';

function warn(...args) {
  console.warn(PREFIX, ...args);
}

/** Whether a command queued by now on any registered tag needs the full build. */
function queuedNeedFull() {
  const names = Array.isArray(window[REGISTRY]) ? window[REGISTRY] : [];
  return names.some((name) => {
    const queue = window[name] && window[name].q;
    return Array.isArray(queue) && queue.some((args) => needsFull(Array.prototype.slice.call(args)));
  });
}

/**
 * The promise of the build's .wasm response (undefined without `wasm`: no WebAssembly). The tag
 * (snippet.js) may have started the core build's already, in parallel with this loader (the
 * registry's `w`: the promise of its response, or of something else when it failed): taken when
 * it is this loader's own URL, else aborted (the registry's `a`) and fetched again. The registry's
 * `w` is set either way, so a tag added later starts none.
 */
function fetchWasm(full, wasm) {
  const registry = window[REGISTRY] || {};
  const url = new URL(full ? './web/snowtrack_bg.wasm' : './web-core/snowtrack_bg.wasm', import.meta.url);
  const started = wasm && !full && registry.w;
  if (!started) registry.a?.abort?.();
  registry.w = true;
  if (started) return Promise.resolve(started).then((r) => (r instanceof Response && r.url === url.href ? r : fetch(url)));
  return wasm ? fetch(url) : undefined;
}

/**
 * Loads the build the queued commands need: its .wasm is fetched at once, beside the import of
 * its glue. Resolves to `load()`'s `{ ready, error, build, newTracker }`, never rejects: a glue
 * that cannot be imported (a blocker, a CSP) gives one warning and no-op trackers.
 */
function loadBuild(full) {
  const wasm = fetchWasm(full, typeof WebAssembly === 'object' && WebAssembly !== null);
  if (wasm) wasm.catch(() => {}); // reported by load() once its glue awaits it
  const build = full ? 'full' : 'core';
  return (full ? import('./load-full.js') : import('./load.js')).then(
    (module) => module.load({ wasm }),
    (error) => {
      warn(`the ${build} build could not be loaded, so tracking calls do nothing:`, error);
      // Trackers whose every method does nothing (and returns undefined).
      const noop = new Proxy({}, { get: (_, key) => (key === 'then' ? undefined : () => undefined) });
      return Object.freeze({ ready: false, error, build, newTracker: () => noop });
    },
  );
}

let loading = null;

/**
 * The build, loading: started once, with the commands queued by then (see `serve`), which pick
 * it. Resolves to `load()`'s `{ ready, error, build, newTracker }`.
 */
function snowtrack() {
  if (!loading) loading = loadBuild(queuedNeedFull());
  return loading;
}

const MOBILE = 'iglu:com.snowplowanalytics.mobile/';

/**
 * Whether the sp.js command mapping (commands.js) runs this command: JS tracker v3's
 * `trackTiming` and consent events, and the mobile model's events sent as self-describing events.
 */
function mapped(method, params) {
  if (method === 'trackSelfDescribingEvent') {
    const schema = params[0] && params[0].event && params[0].event.schema;
    return typeof schema === 'string' && schema.startsWith(MOBILE);
  }
  return method === 'trackTiming' || method === 'trackConsentGranted' || method === 'trackConsentWithdrawn';
}

/**
 * The mapping's module: `null` before the first mapped command, then the promise of its import,
 * then `{ COMMANDS }` (or `{ COMMANDS: {} }` once it failed to load: one warning, and the mapped
 * commands are dropped).
 */
let mapping = null;

function loadMapping() {
  if (!mapping) {
    mapping = import('./commands.js').then(
      (module) => { mapping = module; },
      (error) => {
        warn('the sp.js command mapping could not be loaded, so trackTiming, the consent events and the mobile events sent as self-describing events are dropped:', error);
        mapping = { COMMANDS: {} };
      },
    );
  }
  return mapping;
}

/** The tag's own form of `addPlugin`: `{plugin}`, or sp.js's `(namespace, constructorName, args)`. */
function addPlugin(tracker, source, constructorName, args) {
  if (typeof constructorName === 'string') {
    return tracker.addPlugin({ plugin: source[constructorName](...(Array.isArray(args) ? args : [])) });
  }
  return tracker.addPlugin(source);
}

/** Command names refused on this page: each is said once. */
const refused = new Set();

/**
 * Says once per page that `method` is not a command of the tracker, naming the sp.js plugin
 * that has it (the list is in the mapping's module, loaded for it: pages that send only known
 * commands do not download it).
 */
function refuse(method) {
  if (refused.has(method)) return;
  refused.add(method);
  Promise.resolve(loadMapping()).then(() => warn((mapping.refusal || ((m) => `unknown command '${m}': ignored`))(method)));
}

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
  if (method === 'build') {
    if (params[0] === 'full' && api.build !== 'full') {
      warn(`'build' 'full' came after the loader had loaded the ${api.build} build: queue it right after the tag`);
    }
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
    let own = method === 'addPlugin' ? addPlugin : null;
    if (mapped(method, params)) {
      own = mapping.COMMANDS[method];
      if (!own) continue; // the mapping could not be loaded (said once)
    }
    if (!own && !isCommand(tracker, method)) {
      refuse(method);
      return;
    }
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
  const start = () => snowtrack().then((api) => {
    let draining = false;
    const drain = () => {
      if (draining) return;
      draining = true;
      try {
        while (queue.length) {
          const args = Array.prototype.slice.call(queue[0]);
          if (typeof args[0] === 'string' && mapped(args[0].split(':')[0], args.slice(1)) && !(mapping && mapping.COMMANDS)) {
            // The mapping loads: this command and those after it wait in the queue, in order.
            loadMapping().then(drain);
            return;
          }
          queue.shift();
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
  if (queue.length || loading) {
    start(); // commands queued before the loader ran (or a build loading already): they pick it
    return;
  }
  // Nothing asked yet (an app that calls later, as Flutter's web plugin does): the first
  // command, with every other one of its task, picks the build at the end of that task.
  let scheduled = false;
  queue.push = function push(...items) {
    const length = Array.prototype.push.apply(queue, items);
    if (!scheduled) {
      scheduled = true;
      setTimeout(start, 0);
    }
    return length;
  };
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
