// The in-page half of the delivery benchmark (bench/delivery.mjs drives it through window.bench).
//
// Every tracker under test is an *adapter* in TRACKERS: `create(collectorUrl)` returns
// `{ selfDescribing(i), pageView(i), idle(), stats() }`, so each measurement below runs the same
// way for every tracker. To compare another tracker in the same browser session (e.g.
// @snowplow/browser-tracker, bundled next to this file), add an entry to TRACKERS and its name to
// the `--trackers` list of bench/delivery.mjs.

const LINK_CLICK = 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1';

/** The self-describing event every measurement tracks (a small link click). */
export function linkClick(i) {
  return { schema: LINK_CLICK, data: { targetUrl: `https://example.com/bench/${i}` } };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Trackers under test, by name. */
export const TRACKERS = {
  snowtrack: {
    label: 'snowtrack (wasm)',
    create(collectorUrl) {
      const tracker = window.snowtrack.newTracker('bench', collectorUrl, {
        appId: 'bench',
      });
      return {
        tracker,
        selfDescribing: (i) => tracker.trackSelfDescribingEvent({ event: linkClick(i) }),
        pageView: (i) => tracker.trackPageView({ title: `bench ${i}` }),
        /** Resolves once everything tracked so far is delivered (or after `timeoutMs`). */
        async idle(timeoutMs = 30_000) {
          const deadline = Date.now() + timeoutMs;
          while (!(await tracker.flush()) && Date.now() < deadline) await sleep(20);
        },
        stats: () => tracker.getDeliveryStats(),
      };
    },
  },
};

let current = null;

export const bench = {
  trackers: () => Object.keys(TRACKERS),

  /** Creates the tracker `name` sending to `collectorUrl`; later calls measure it. */
  use(name, collectorUrl) {
    const entry = TRACKERS[name];
    if (!entry) throw new Error(`unknown tracker ${name}; known: ${Object.keys(TRACKERS).join(', ')}`);
    current = { name, label: entry.label, adapter: entry.create(collectorUrl) };
    return current.label;
  },

  /**
   * Main-thread cost of one `track*` call: `rounds` timed rounds of `calls` synchronous calls
   * (after one untimed warm-up round), waiting for the queue to drain between rounds so every
   * round starts from an empty queue. Returns µs per call for each round.
   */
  async trackCost({ kind = 'selfDescribing', calls = 2000, rounds = 7 } = {}) {
    const { adapter } = current;
    const track = adapter[kind];
    if (typeof track !== 'function') throw new Error(`unknown kind ${kind}`);
    const perCall = [];
    let i = 0;
    for (let round = -1; round < rounds; round += 1) {
      await adapter.idle();
      await sleep(50);
      const start = performance.now();
      for (let n = 0; n < calls; n += 1) track(i++);
      const elapsed = performance.now() - start;
      if (round >= 0) perCall.push((elapsed * 1000) / calls);
    }
    await adapter.idle();
    return { perCall, stats: adapter.stats() };
  },

  /**
   * Tracks `events` self-describing events in one synchronous loop. Returns when the loop
   * started (epoch ms, so the driver can time delivery against the collector's counts) and how
   * long the loop took.
   */
  burst({ events }) {
    const { adapter } = current;
    const startedAt = Date.now();
    const start = performance.now();
    for (let i = 0; i < events; i += 1) adapter.selfDescribing(i);
    return { startedAt, trackMs: performance.now() - start };
  },

  stats: () => current.adapter.stats(),
};
