import type { Tracker } from './web/snowtrack.js';

/**
 * The global command function the snippet defines (`window.snowtrack` by default):
 * `snowtrack('newTracker', 'sp', 'https://collector.example.com', { appId: 'shop' })`,
 * `snowtrack('trackPageView')`, `snowtrack('trackStructEvent:sp;sp2', { category, action })`,
 * `snowtrack(function () { this.sp.getDomainUserId(); })`.
 */
export interface SnowtrackCommand {
  (command: 'newTracker', namespace: string, collectorUrl: string, config?: import('./web/snowtrack.js').TrackerConfiguration): void;
  (command: string, ...args: unknown[]): void;
  (callback: (this: Record<string, Tracker>, ...args: any[]) => void, ...args: unknown[]): void;
  /** The queue of calls not yet run. */
  q?: ArrayLike<unknown>[];
}

declare global {
  /**
   * The tag's command function under its default name: the tag defines it before any other
   * script runs (`snowtrack('trackPageView')`, also `window.snowtrack`).
   */
  var snowtrack: SnowtrackCommand;
  interface Window {
    /** The tag under the name sp.js uses (e.g. for a Flutter web app): see the README. */
    snowplow?: SnowtrackCommand;
    /** Global names of the tags on the page, served by the loader. */
    SnowtrackNamespace?: string[];
  }
}

// `import 'snowtrack/loader'` serves the tags' queues from a bundle instead of the CDN file.
export {};
