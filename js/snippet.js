/*
 * The snowtrack tag: paste it in <head> (scripts/package.sh minifies it into snippet.min.js).
 *
 * It defines window[name] (`snowtrack` unless you change the last argument), a function that
 * queues its arguments, registers the name in window.SnowtrackNamespace and adds the loader as
 * an async module script. The loader loads the tracker, replays the queue in order and from then
 * on runs each call at once:
 *
 *   snowtrack('newTracker', 'sp', 'https://collector.example.com', { appId: 'shop' });
 *   snowtrack('trackPageView');
 *   snowtrack('trackStructEvent:sp', { category: 'cart', action: 'add' });
 *   snowtrack(function () { console.log(this.sp.getDomainUserId()); });
 *
 * A nonce on this inline script is copied to the loader, so a nonce-based CSP needs no host.
 */
(function (win, doc, src, name) {
  var queue, script, current, names;
  if (win[name]) return; // the tag is on the page twice
  queue = [];
  win[name] = function () {
    queue.push(arguments);
  };
  win[name].q = queue;
  (names = win.SnowtrackNamespace = win.SnowtrackNamespace || []).push(name);
  script = doc.createElement('script');
  script.type = 'module';
  script.src = src;
  current = doc.currentScript;
  if (current && current.nonce) script.nonce = current.nonce;
  (doc.head || doc.documentElement).appendChild(script);
  // Once this script has run (a microtask), if it queued commands: the core build's .wasm, the
  // longest download, starts now beside the loader instead of after it. The loader takes it
  // (names.w: the promise of the response; of an object, not a Response, when the fetch failed)
  // when the commands need the core build, and aborts it (names.a) when they need the full build.
  // Not when the first command is ('build', 'full'), nor in browsers without queueMicrotask
  // (every browser with it has AbortController; those without are too old for the module).
  if (win.queueMicrotask) {
    queueMicrotask(function () {
      if (!names.w && queue.length && queue[0][0] != 'build') {
        // The AbortController is fetch's options object itself: fetch reads its `signal`.
        // `Object`: the shortest handler that keeps a failed (or aborted) fetch from being an
        // unhandled rejection.
        names.w = fetch(new URL('web-core/snowtrack_bg.wasm', script.src), names.a = new AbortController())['catch'](Object);
      }
    });
  }
})(window, document, 'https://cdn.jsdelivr.net/npm/snowtrack@%VERSION%/loader.js', 'snowtrack');
