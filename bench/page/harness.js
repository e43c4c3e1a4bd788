// The in-page half of the benchmark (bench/bench.mjs drives it through window.bench). Every page
// loads its tracker, times that, and calls `install(kind, handle, times)`; from then on the
// measurements only go through the adapter of `kind`, so both trackers run the same code.
//
// An adapter is `{ selfDescribing(i), pageView(i), flush() }`: the tracker's own calls, nothing
// else. Waiting for delivery is done by the driver, which counts events at the collector, so no
// polling runs in the page while it is measured.

const LINK_CLICK = 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1';

/** The self-describing event every measurement tracks (a small link click). */
function linkClick(i) {
  return { schema: LINK_CLICK, data: { targetUrl: `https://example.com/bench/${i}` } };
}

const ADAPTERS = {
  /** snowtrack: the Tracker object (npm path: from load(); tag path: from the loader's callback). */
  snowtrack({ tracker }) {
    return {
      selfDescribing: (i) => tracker.trackSelfDescribingEvent({ event: linkClick(i) }),
      pageView: (i) => tracker.trackPageView({ title: `bench ${i}` }),
      flush: () => { tracker.flush(); },
    };
  },
  /** @snowplow/browser-tracker: its module functions (one tracker on the page). */
  snowplow({ sp }) {
    return {
      selfDescribing: (i) => sp.trackSelfDescribingEvent({ event: linkClick(i) }),
      pageView: (i) => sp.trackPageView({ title: `bench ${i}` }),
      flush: () => sp.flushBuffer(),
    };
  },
};

/** The tracker's own resources (scripts, .wasm) as the browser fetched them. */
function trackerResources() {
  return performance.getEntriesByType('resource')
    .filter((e) => /\/(st|sp|npm)\//.test(new URL(e.name).pathname))
    .map((e) => ({
      path: new URL(e.name).pathname,
      startTime: e.startTime,
      responseEnd: e.responseEnd,
      encodedBodySize: e.encodedBodySize,
      decodedBodySize: e.decodedBodySize,
    }));
}

export function install(kind, handle, times) {
  const make = ADAPTERS[kind];
  if (!make) throw new Error(`unknown tracker kind ${kind}`);
  const adapter = make(handle);
  let next = 0; // event numbers keep growing across calls, so every event is distinct

  window.bench = {
    kind,
    /**
     * t0: the page's script started loading the tracker; t1: its code (and .wasm) is loaded;
     * t2: newTracker returned. All in ms since navigation start.
     */
    times: () => ({ ...times, resources: trackerResources() }),

    /** `calls` synchronous calls of `method` ('selfDescribing' | 'pageView'); returns the loop's ms. */
    loop(method, calls) {
      const track = adapter[method];
      if (typeof track !== 'function') throw new Error(`unknown method ${method}`);
      const start = performance.now();
      for (let n = 0; n < calls; n += 1) track(next++);
      return performance.now() - start;
    },

    /**
     * A burst: `events` self-describing events in one synchronous loop, then the tracker's flush.
     * Returns when the loop started (epoch ms, for the driver's clock) and how long it took.
     */
    burst(events) {
      const startedAt = Date.now();
      const start = performance.now();
      for (let n = 0; n < events; n += 1) adapter.selfDescribing(next++);
      const loopMs = performance.now() - start;
      // Also told through the console: a tracker that blocks the main thread after the loop
      // (deferred work) delays this function's answer, not this message.
      console.debug(`bench:burst-loop ${JSON.stringify({ startedAt, loopMs })}`);
      adapter.flush();
      return { startedAt, loopMs };
    },

    /**
     * One event of `method` every `intervalMs` (a page tracking at a human pace), `events` times;
     * with `method` null, the same timers and no tracking (the baseline to subtract).
     */
    async paced(method, events, intervalMs) {
      const track = method ? adapter[method] : null;
      if (method && typeof track !== 'function') throw new Error(`unknown method ${method}`);
      for (let n = 0; n < events; n += 1) {
        if (track) track(next++);
        await new Promise((resolve) => { setTimeout(resolve, intervalMs); });
      }
    },

    /** Calls the tracker's flush (snowtrack: flush(); Snowplow: flushBuffer()). */
    flush: () => adapter.flush(),

    /** Bytes of every WebAssembly linear memory the page created (0 without wasm). */
    wasmMemory() {
      return (window.__benchWasm || []).reduce((sum, instance) => {
        const memory = instance && instance.exports && instance.exports.memory;
        return sum + (memory instanceof WebAssembly.Memory ? memory.buffer.byteLength : 0);
      }, 0);
    },

    ready: true,
  };
  document.body.dataset.ready = 'true';
}
