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
  var queue, script, current;
  if (win[name]) return; // the tag is on the page twice
  queue = [];
  win[name] = function () {
    queue.push(arguments);
  };
  win[name].q = queue;
  (win.SnowtrackNamespace = win.SnowtrackNamespace || []).push(name);
  script = doc.createElement('script');
  script.type = 'module';
  script.src = src;
  current = doc.currentScript;
  if (current && current.nonce) script.nonce = current.nonce;
  (doc.head || doc.documentElement).appendChild(script);
})(window, document, 'https://cdn.jsdelivr.net/npm/snowtrack@%VERSION%/loader.js', 'snowtrack');
