// snowtrack/load — loads the WebAssembly module and never rejects.
//
//   import { load } from 'snowtrack/load';
//   const snowtrack = await load();            // or load({ wasm: urlOfTheWasmFile })
//   const tracker = snowtrack.newTracker('sp', 'https://collector.example.com', { appId: 'shop' });
//
// When the module cannot be compiled (a Content-Security-Policy without 'wasm-unsafe-eval', no
// WebAssembly in the browser, the .wasm file missing), `load` still resolves: `ready` is false,
// `error` says why, one console warning says so, and `newTracker` returns a tracker whose calls
// do nothing. Nothing is thrown into the page.
//
// In the published package this file sits next to web/ (the wasm-bindgen --target web build).

import init, { newTracker } from './web/snowtrack.js';

const NO_STATS = Object.freeze({ queued: 0, inFlight: 0, sent: 0, failed: 0, retried: 0, dropped: 0, filtered: 0 });

/** A tracker with the real one's methods, each doing nothing. */
function noopTracker() {
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

async function start(options) {
  try {
    if (typeof WebAssembly !== 'object' || WebAssembly === null) {
      throw new Error('WebAssembly is not available in this browser');
    }
    await init(options.wasm === undefined ? undefined : { module_or_path: options.wasm });
    return Object.freeze({ ready: true, error: null, newTracker });
  } catch (error) {
    const reason = (error && error.message) || String(error);
    const csp = /Content Security Policy|unsafe-eval/i.test(reason)
      ? " The page's Content-Security-Policy needs 'wasm-unsafe-eval' in script-src."
      : '';
    console.warn(`snowtrack: WebAssembly could not be loaded, so tracking calls do nothing (${reason}).${csp}`);
    return Object.freeze({ ready: false, error, newTracker: () => noopTracker() });
  }
}

let loading;

/**
 * Loads snowtrack once per page (later calls return the same promise, their options ignored) and
 * resolves to `{ ready, error, newTracker }`; it never rejects.
 * `options.wasm`: the .wasm file's URL (default: `web/snowtrack_bg.wasm` beside `web/snowtrack.js`),
 * a `Response`, the bytes or a compiled `WebAssembly.Module`.
 */
export function load(options) {
  if (!loading) loading = start(options || {});
  return loading;
}
