// snowtrack/load — loads snowtrack's core build and never rejects.
//
//   import { load } from 'snowtrack/load';
//   const snowtrack = await load();            // or load({ wasm: urlOfTheWasmFile })
//   const tracker = snowtrack.newTracker('sp', 'https://collector.example.com', { appId: 'shop' });
//
// The core build tracks page views, screen views (with screen engagement), self-describing and
// structured events, with sessions, lifecycle events and every delivery option. Link click and
// activity tracking, history autotracking, global contexts, plugins and the privacy switches are
// in the full build (snowtrack/load-full, same API): here those methods and options throw an
// `Error` naming them (see "Builds" in the README).
//
// In the published package this file sits next to web-core/ (the wasm-bindgen --target web build
// without the `full` feature); the .wasm is web-core/snowtrack_bg.wasm.

import init, { newTracker } from './web-core/snowtrack.js';
import { safeLoad } from './safe-load.js';

/**
 * Loads snowtrack's core build once per page (later calls return the same promise, their options
 * ignored) and resolves to `{ ready, error, build: 'core', newTracker }`; it never rejects.
 * `options.wasm`: the .wasm file's URL (default: `web-core/snowtrack_bg.wasm` beside
 * `web-core/snowtrack.js`), a `Response`, the bytes or a compiled `WebAssembly.Module`.
 */
export const load = safeLoad(init, newTracker, 'core');
