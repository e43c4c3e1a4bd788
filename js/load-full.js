// snowtrack/load-full — loads snowtrack's full build and never rejects: `load()` as in
// snowtrack/load, with every capability (link click and activity tracking, history
// autotracking, global contexts, plugins, the privacy switches). The .wasm is
// web/snowtrack_bg.wasm (see "Builds" in the README).

import init, { newTracker } from './web/snowtrack.js';
import { safeLoad } from './safe-load.js';

/**
 * Loads snowtrack's full build once per page and resolves to `{ ready, error, build: 'full',
 * newTracker }`; it never rejects. `options.wasm`: the .wasm file (default:
 * `web/snowtrack_bg.wasm` beside `web/snowtrack.js`).
 */
export const load = safeLoad(init, newTracker, 'full');
