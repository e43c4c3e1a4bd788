// The npm path of `make size` (scripts/size.mjs): an app that loads snowtrack through
// `snowtrack/load` and makes the common calls, bundled with `esbuild --minify`. Every file of the
// bundle's output, the .wasm included, is what a page of this app downloads for tracking.
// `snowtrack/load` is the core build. The tracker's defaults are kept: client_session, lifecycle
// and screen engagement are on.

import { load } from 'snowtrack/load';
import wasm from 'snowtrack/web-core/snowtrack_bg.wasm';

load({ wasm: new URL(wasm, import.meta.url) }).then((snowtrack) => {
  const tracker = snowtrack.newTracker('sp', 'https://collector.example.com', { appId: 'size-app' });
  tracker.setUserId('user-1');
  tracker.trackPageView();
  tracker.trackScreenView({ name: 'home' });
  tracker.trackStructEvent({ category: 'cart', action: 'add', value: 1 });
  tracker.trackSelfDescribingEvent({
    event: { schema: 'iglu:com.acme/button_press/jsonschema/1-0-0', data: { id: 'buy' } },
  });
});
