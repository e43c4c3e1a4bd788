// The safe loading of snowtrack/load and snowtrack/load-full (`load()`, which never rejects), for
// either build's wasm-bindgen glue.
//
// When the module cannot be compiled (a Content-Security-Policy without 'wasm-unsafe-eval', no
// WebAssembly in the browser, the .wasm file missing), `load` still resolves: `ready` is false,
// `error` says why, one console warning says so, and `newTracker` returns a tracker whose calls
// do nothing. Nothing is thrown into the page.

/**
 * What the getters of a tracker that does nothing answer: a value, or a function making it (a
 * fresh object each call). Every other method does nothing and returns undefined.
 */
const ANSWERS = {
  getDomainUserId: '',
  getDomainSessionId: '',
  getDomainSessionIndex: 0,
  getSessionContext: null,
  getCookieName: '',
  getPageViewId: '',
  getUserId: null,
  getTabId: null,
  getDomainUserInfo: () => ['1', '', 0, 0, 0, undefined, '', '', '', undefined, 0],
  getDeliveryStats: () => ({ queued: 0, inFlight: 0, sent: 0, failed: 0, retried: 0, dropped: 0, filtered: 0 }),
  flush: () => Promise.resolve(true),
};

/** A tracker whose methods (any name: the real one's and the full build's) each do nothing. */
export function noopTracker() {
  const own = (key) => Object.prototype.hasOwnProperty.call(ANSWERS, key);
  return new Proxy({}, {
    get(_, key) {
      if (key === 'then') return undefined; // not a promise
      if (!own(key)) return () => {};
      const answer = ANSWERS[key];
      return typeof answer === 'function' ? answer : () => answer;
    },
  });
}

/**
 * `load()` for one build: `init` and `newTracker` of its glue; `build` names it ('core' or
 * 'full') in the warning when the module cannot be loaded.
 */
export function safeLoad(init, newTracker, build) {
  async function start(options) {
    try {
      if (typeof WebAssembly !== 'object' || WebAssembly === null) {
        throw new Error('WebAssembly is not available in this browser');
      }
      await init(options.wasm === undefined ? undefined : { module_or_path: options.wasm });
      return Object.freeze({ ready: true, error: null, build, newTracker });
    } catch (error) {
      const reason = (error && error.message) || String(error);
      const csp = /Content Security Policy|unsafe-eval/i.test(reason)
        ? " The page's Content-Security-Policy needs 'wasm-unsafe-eval' in script-src."
        : '';
      // The other build's .wasm given to this build's glue: its imports do not match.
      const other = typeof WebAssembly === 'object' && error instanceof WebAssembly.LinkError
        ? ` Is \`wasm\` the ${build === 'core' ? 'full' : 'core'} build's .wasm? This is the ${build} build (see "Builds" in snowtrack's README).`
        : '';
      console.warn(`snowtrack: WebAssembly could not be loaded, so tracking calls do nothing (${reason}).${csp}${other}`);
      return Object.freeze({ ready: false, error, build, newTracker: () => noopTracker() });
    }
  }

  let loading;
  /**
   * Loads snowtrack once per page (later calls return the same promise, their options ignored)
   * and resolves to `{ ready, error, build, newTracker }`; it never rejects.
   */
  return function load(options) {
    if (!loading) loading = start(options || {});
    return loading;
  };
}
