// Which of snowtrack's two builds a page needs (see "Builds" in the README). The core build has
// the common calls; the methods and the newTracker options below are in the full build only (in
// the core build they throw an `Error` naming them). The tag's loader (loader.js) reads the
// commands queued before it runs with `needsFull` to pick the build it loads.

// The full build's methods, and what calling one says in the core build (after its name), are
// the facade's, which makes the core build's tracker throw so.
import { FULL_METHODS, NOT_IN_CORE } from './facade.js';

export { FULL_METHODS, NOT_IN_CORE };

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
