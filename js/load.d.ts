import type { InitInput, Tracker, TrackerConfiguration } from './web/snowtrack.js';

export type {
  AnonymousTracking, BrowserPlugin, ClearUserDataConfiguration, ClientSession, CommonEventProperties,
  ContextEvent, ContextFilter, ContextGenerator, ContextPrimitive, DeliveryStats,
  DisableAnonymousTrackingConfiguration, EnableAnonymousTrackingConfiguration, GlobalContext, InitInput,
  PageViewEvent, PayloadBuilder, RequestReport, RuleSet, ScreenViewEvent, SelfDescribingEvent,
  SelfDescribingJson, StructuredEvent, Timestamp, Tracker, TrackerConfiguration,
} from './web/snowtrack.js';

/** What `load` accepts. */
export interface LoadOptions {
  /**
   * The .wasm file of the build: its URL (default: `web-core/snowtrack_bg.wasm` for
   * snowtrack/load, `web/snowtrack_bg.wasm` for snowtrack/load-full), a `Response` (or a promise
   * of one), the bytes, or a compiled `WebAssembly.Module`. With esbuild:
   * `import wasmUrl from 'snowtrack/web-core/snowtrack_bg.wasm'` (`--loader:.wasm=file`) and
   * `load({ wasm: new URL(wasmUrl, import.meta.url) })`.
   */
  wasm?: InitInput | Promise<InitInput>;
}

/** What `load` resolves to. */
export interface Snowtrack {
  /** `false` when WebAssembly could not be loaded: every tracker is then a no-op. */
  readonly ready: boolean;
  /** Why loading failed, or `null`. */
  readonly error: unknown;
  /**
   * The build: 'core' (snowtrack/load) or 'full' (snowtrack/load-full). The core build's
   * trackers throw an `Error` naming the method or option for what only the full build has
   * (link click and activity tracking, history autotracking, global contexts, plugins, the
   * privacy switches).
   */
  readonly build: 'core' | 'full';
  /**
   * Creates a tracker (see `newTracker` in `snowtrack/web`). When `ready` is false it returns a
   * tracker whose methods do nothing (getters return `''`, `0` or `null`).
   * Invalid configuration throws an `Error` naming the field.
   */
  newTracker(namespace: string, collectorUrl: string, config?: TrackerConfiguration): Tracker;
}

/**
 * Loads snowtrack (the core build: snowtrack/load; the full build: snowtrack/load-full) once per
 * page and never rejects: if the WebAssembly module cannot be compiled
 * (CSP without `'wasm-unsafe-eval'`, no WebAssembly), it says so once with `console.warn` and
 * resolves to `{ ready: false }` with no-op trackers.
 */
export function load(options?: LoadOptions): Promise<Snowtrack>;
