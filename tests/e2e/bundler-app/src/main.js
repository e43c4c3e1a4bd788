// A web app using snowtrack from npm: load() never rejects (with WebAssembly blocked, the trackers
// are no-ops), the .wasm comes from the package through the bundler.
import { load } from 'snowtrack/load';
import { trackTiming } from 'snowtrack/commands'; // an sp.js command that is not a tracker method
import wasmUrl from 'snowtrack/web-core/snowtrack_bg.wasm'; // snowtrack/load is the core build

const LINK_CLICK = 'iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1';

async function main() {
  const snowtrack = await load({ wasm: new URL(wasmUrl, import.meta.url) });
  const tracker = snowtrack.newTracker('app', window.location.origin, {
    appId: 'bundler-app',
    contexts: { session: true, webPage: true },
  });

  tracker.trackPageView({ title: 'Bundled app' });
  tracker.trackSelfDescribingEvent({
    event: { schema: LINK_CLICK, data: { targetUrl: 'https://example.com/checkout' } },
  });
  tracker.trackStructEvent({ category: 'shop', action: 'view-basket', label: 'sku-1', value: 2 });
  trackTiming(tracker, { category: 'shop', variable: 'basket', timing: 120, label: 'first' });
  document.getElementById('buy').addEventListener('click', () => {
    tracker.trackStructEvent({ category: 'shop', action: 'buy', label: 'sku-1' });
  });

  window.app = { ready: snowtrack.ready, duid: tracker.getDomainUserId() };
  document.body.dataset.ready = 'true';
}

main();
