// The safe loading of snowtrack/load and snowtrack/load-full (`load()`, which never rejects), for
// either build's wasm-bindgen glue.
//
// When the module cannot be compiled (a Content-Security-Policy without 'wasm-unsafe-eval', no
// WebAssembly in the browser, the .wasm file missing), `load` still resolves: `ready` is false,
// `error` says why, one console warning says so, and `newTracker` returns a tracker whose calls
// do nothing. Nothing is thrown into the page.

const NO_STATS = Object.freeze({ queued: 0, inFlight: 0, sent: 0, failed: 0, retried: 0, dropped: 0, filtered: 0 });

/** A tracker with the real one's methods, each doing nothing. */
export function noopTracker() {
  const nothing = () => {};
  const tracker = {
    trackPageView: nothing,
    trackScreenView: nothing,
    trackSelfDescribingEvent: nothing,
    trackStructEvent: nothing,
    trackListItemView: nothing,
    enableGdprContext: nothing,
    trackScrollChanged: nothing,
    setUserId: nothing,
    newSession: nothing,
    enableAnonymousTracking: nothing,
    disableAnonymousTracking: nothing,
    clearUserData: nothing,
    setOptOutCookie: nothing,
    addGlobalContexts: nothing,
    removeGlobalContexts: nothing,
    clearGlobalContexts: nothing,
    addPlugin: nothing,
    getDomainUserId: () => '',
    getDomainSessionId: () => '',
    getDomainSessionIndex: () => 0,
    getSessionContext: () => null,
    getCookieName: () => '',
    getDeliveryStats: () => ({ ...NO_STATS }),
    flush: () => Promise.resolve(true),
    free: nothing,
  };
  // The web data model: activity tracking, single-page apps, link clicks, getters.
  for (const name of ['enableActivityTracking', 'enableActivityTrackingCallback', 'disableActivityTracking',
    'disableActivityTrackingCallback', 'updatePageActivity', 'setCustomUrl', 'setReferrerUrl', 'setDocumentTitle',
    'preservePageViewId', 'enableLinkClickTracking', 'disableLinkClickTracking', 'refreshLinkClickTracking',
    'trackLinkClick']) {
    tracker[name] = nothing;
  }
  tracker.getPageViewId = () => '';
  tracker.getUserId = () => null;
  tracker.getDomainUserInfo = () => ['1', '', 0, 0, 0, undefined, '', '', '', undefined, 0];
  tracker.getTabId = () => null;
  if (typeof Symbol === 'function' && Symbol.dispose) tracker[Symbol.dispose] = nothing;
  return tracker;
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
