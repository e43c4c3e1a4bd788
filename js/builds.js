// Which of snowtrack's two builds a page needs (see "Builds" in the README). The core build has
// the common calls; the methods and the newTracker options below are in the full build only (in
// the core build they throw an `Error` naming them). The tag's loader (loader.js) reads the
// commands queued before it runs with `needsFull` to pick the build it loads.

/**
 * What a call to a method or option of the full build says in the core build, after its name
 * (the same words as the module's own errors for options: NOT_IN_CORE in src/bindings/input.rs).
 */
export const NOT_IN_CORE = 'is in snowtrack\'s full build, not in the core build this page loaded (see "Builds" in snowtrack\'s README)';

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
 * newTracker options that only the full build takes, each with whether a value asks for it
 * (false, an empty list, null and undefined do not).
 */
export const FULL_OPTIONS = {
  anonymousTracking: Boolean,
  respectDoNotTrack: Boolean,
  respectGlobalPrivacyControl: Boolean,
  respectOptOutCookie: Boolean,
  plugins: (v) => Boolean(v) && !(Array.isArray(v) && v.length === 0),
  pageViewAutotracking: (v) => v === 'history',
  crossDomainLinker: Boolean,
  useExtendedCrossDomainLinker: Boolean,
  preservePageViewIdForUrl: Boolean,
  preserveOriginalReferrer: Boolean,
  customFetch: Boolean,
  cookieExtensionService: Boolean,
  idService: Boolean,
};

/**
 * Whether a tag command (the arguments of one call) needs the full build: a method of the full
 * build, a newTracker whose options ask for one of the full build's, or `('build', 'full')`.
 * `addPlugin` with a URL (a remote plugin, which snowtrack ignores) does not.
 */
export function needsFull(args) {
  const [command, ...params] = args;
  if (typeof command !== 'string') return false;
  const method = command.split(':')[0];
  if (method === 'build') return params[0] === 'full';
  if (method === 'addPlugin') return typeof params[0] !== 'string';
  if (method === 'newTracker') {
    const config = params[2];
    return Boolean(config) && typeof config === 'object'
      && Object.keys(FULL_OPTIONS).some((key) => FULL_OPTIONS[key](config[key]));
  }
  return FULL_METHODS.includes(method);
}
