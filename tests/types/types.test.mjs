// The package as a TypeScript app gets it: a new app in a temporary directory installs the packed
// tarball (pkg/snowtrack-<version>.tgz, `make package`) and compiles with TypeScript 5 (pinned in
// this folder's package.json), `strict`, `lib: ["es2022", "dom"]` (no `esnext`), no
// `skipLibCheck`, once with `moduleResolution: "bundler"` and once with `"node16"`:
//   - app.ts: every entry point used as the READMEs show them, with a few calls that must NOT
//     compile (`@ts-expect-error`), so declarations that resolve to `any` fail the test;
//   - every ```js / ```ts block of README.md and js/README.md, and the inline scripts of their
//     ```html blocks, each as its own module (checkJs).
//
//   node --test tests/types/   (scripts/test-package.sh runs it in `make test`)

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const TSC = path.join(HERE, 'node_modules/typescript/bin/tsc');
const READMES = ['README.md', 'js/README.md'];

const version = JSON.parse(readFileSync(path.join(ROOT, 'pkg/npm/package.json'), 'utf8')).version;
const TARBALL = path.join(ROOT, `pkg/snowtrack-${version}.tgz`);

/** The options every compilation shares: a strict app on the libraries the issue names. */
const STRICT = {
  strict: true,
  target: 'es2022',
  lib: ['es2022', 'dom'],
  skipLibCheck: false,
  noEmit: true,
  allowJs: true,
  checkJs: true,
  moduleDetection: 'force',
  types: [],
};

const RESOLUTIONS = {
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
  node16: { module: 'node16', moduleResolution: 'node16' },
};

/** The API as an app uses it, typed; each `@ts-expect-error` line must be an error. */
const APP_TS = `
import { load, type LoadOptions, type Snowtrack } from 'snowtrack/load';
import init, { newTracker as newWebTracker, type ClientSession, type Tracker, type TrackerConfiguration } from 'snowtrack/web';
import wasmUrl from 'snowtrack/web/snowtrack_bg.wasm';
import * as bundled from 'snowtrack';
import type { SnowtrackCommand } from 'snowtrack/loader';

const options: LoadOptions = { wasm: new URL(wasmUrl, import.meta.url) };
const snowtrack: Snowtrack = await load(options);
const ready: boolean = snowtrack.ready;
const config: TrackerConfiguration = {
  appId: 'shop',
  contexts: { session: true, webPage: true },
  onSessionUpdate: (session: ClientSession) => console.log(session.sessionIndex),
};
const tracker: Tracker = snowtrack.newTracker('sp', 'https://collector.example.com', config);
const linked: TrackerConfiguration = {
  crossDomainLinker: (link) => link.hostname === 'checkout.example.com',
  useExtendedCrossDomainLinker: { userId: true, reason: (event) => String(event.type) },
};
tracker.crossDomainLinker((link: HTMLAnchorElement | HTMLAreaElement) => link.href.startsWith('https://checkout.'));
tracker.trackPageView();
tracker.trackPageView({ title: 'Home' });
tracker.trackStructEvent({ category: 'cart', action: 'add', value: 2 });
tracker.trackSelfDescribingEvent({ event: { schema: 'iglu:com.acme/e/jsonschema/1-0-0', data: { id: 1 } } });
tracker.setUserId('alice');
tracker.setUserId(null);
tracker.setUserId();
tracker.discardHashTag(true);
tracker.discardBrace(false);
tracker.setUserIdFromLocation('uid');
tracker.setUserIdFromReferrer('uid');
tracker.setUserIdFromCookie('login');
tracker.setCookiePath('/shop');
tracker.setVisitorCookieTimeout(86400);
tracker.setCollectorUrl('https://other.example.com');
tracker.setBufferSize(5);
tracker.flushBuffer();
tracker.flushBuffer({ newBufferSize: 1 });
const preserving: TrackerConfiguration = { preservePageViewIdForUrl: 'pathname', preserveOriginalReferrer: true };
const duid: string = tracker.getDomainUserId();
const sent: boolean = await tracker.flush();

await init();
const web: Tracker = newWebTracker('web', 'https://collector.example.com');
web.trackPageView();
const raw: Tracker = bundled.newTracker('b', 'https://collector.example.com', { appId: 'b' });
raw.trackScreenView({ name: 'home' });

const command: SnowtrackCommand | undefined = window.snowtrack;
window.snowtrack?.('trackPageView');
globalThis.snowtrack('trackPageView');
snowtrack_tag('trackStructEvent:sp', { category: 'c', action: 'a' });
function snowtrack_tag(...args: [string, ...unknown[]]) {
  window.snowtrack(...args);
}

// The declarations are real types, not \`any\`:
// @ts-expect-error: action is required
tracker.trackStructEvent({ category: 'cart' });
// @ts-expect-error: no such method
tracker.trackNothing();
// @ts-expect-error: a number is no collector URL
snowtrack.newTracker('sp', 42);
// @ts-expect-error: not a mode of preservePageViewIdForUrl
const badPreserve: TrackerConfiguration = { preservePageViewIdForUrl: 'query' };
// @ts-expect-error: appId is a string
snowtrack.newTracker('sp', 'https://collector.example.com', { appId: 1 });
// @ts-expect-error: the extended linker's fields are booleans
snowtrack.newTracker('sp', 'https://collector.example.com', { useExtendedCrossDomainLinker: { userId: 'yes' } });
// @ts-expect-error: the linker is a function of the link
tracker.crossDomainLinker(true);

export { ready, duid, sent, command, linked };
`;

/**
 * Fragments of the READMEs use a tracker (or an activity callback) made in an earlier block, and
 * the tag's global function; they compile against these declarations (the app's own code would
 * have them in scope).
 */
const GLOBALS_D_TS = `
import type { ActivityCallbackData, Tracker } from 'snowtrack';
import type {} from 'snowtrack/loader';

declare global {
  /** The tracker a README fragment calls (made with newTracker in an earlier block). */
  var tracker: Tracker;
  /** An activity callback a README fragment passes. */
  var callback: (data: ActivityCallbackData) => void;
  /** The consent recipe's hooks: the site's consent manager, not snowtrack. */
  function onConsent(then: () => void): void;
  function onWithdrawal(then: () => void): void;
}
`;

/** The package on a CDN, as the READMEs import it by URL: the same files as the tarball's. */
const CDN_D_TS = (version) => ['https://cdn.jsdelivr.net/npm', 'https://cdn.example.com']
  .map((cdn) => `declare module '${cdn}/snowtrack@${version}/load.js' { export * from 'snowtrack/load'; }\n`)
  .join('');

/** Each fenced block of a Markdown text: \`{ lang, code, line }\`. */
function fencedBlocks(markdown) {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const open = /^```(\w*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body = [];
    for (i += 1; i < lines.length && !/^```\s*$/.test(lines[i]); i += 1) body.push(lines[i]);
    blocks.push({ lang: open[1], code: body.join('\n'), line: start + 1 });
  }
  return blocks;
}

/**
 * The tag itself: minified ES5 pasted as it is (js/build.mjs checks js/README.md shows it as
 * built; snippet.test.mjs runs it). It is left out of the compilation, as if it had run: the
 * commands after it are compiled against loader.d.ts's declaration of the function it defines.
 */
const MINIFIED_TAG = /^\(function\(e,n,u,r\)\{.*\}\)\(window,document,"[^"]+","\w+"\);$/m;

/** The JS/TS examples of a README: js/ts blocks, and the inline scripts of html blocks. */
function examples(file) {
  const out = [];
  for (const block of fencedBlocks(readFileSync(path.join(ROOT, file), 'utf8'))) {
    const at = `${file}:${block.line}`;
    if (['js', 'javascript', 'mjs'].includes(block.lang)) out.push({ at, ext: 'js', code: block.code });
    else if (['ts', 'typescript'].includes(block.lang)) out.push({ at, ext: 'ts', code: block.code });
    else if (block.lang === 'html') {
      const scripts = [...block.code.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      scripts.forEach((m, n) => {
        const code = m[2].replace(MINIFIED_TAG, '// (the tag)');
        if (!/\bsrc=/.test(m[1]) && code.trim()) out.push({ at: `${at} (script ${n + 1})`, ext: 'js', code });
      });
    }
  }
  return out;
}

/** The app: its directory and the examples written into it. */
let app;

before(async () => {
  assert.ok(existsSync(TSC), `${TSC} is missing: run \`npm ci\` in tests/types (scripts/test-package.sh does)`);
  assert.ok(existsSync(TARBALL), `${TARBALL} is missing: run \`make package\` first`);
  const dir = await mkdtemp(path.join(tmpdir(), 'snowtrack-strict-app-'));
  app = { dir, examples: [] };
  await writeFile(path.join(dir, 'package.json'), `${JSON.stringify({ name: 'strict-app', private: true, type: 'module' }, null, 2)}\n`);
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', TARBALL], { cwd: dir });
  await writeFile(path.join(dir, 'app.ts'), APP_TS);
  await writeFile(path.join(dir, 'globals.d.ts'), GLOBALS_D_TS);
  await writeFile(path.join(dir, 'cdn.d.ts'), CDN_D_TS(version));
  await mkdir(path.join(dir, 'examples'));
  for (const file of READMES) {
    for (const example of examples(file)) {
      const name = `examples/${String(app.examples.length).padStart(2, '0')}-${file.replace(/\W+/g, '-')}.${example.ext}`;
      app.examples.push({ ...example, name });
      await writeFile(path.join(dir, name), `${example.code}\n`);
    }
  }
});

/** Runs tsc on the app with `resolution`; returns its diagnostics (empty when it compiled). */
async function compile(resolution, files) {
  const tsconfig = `tsconfig.${resolution}.json`;
  await writeFile(path.join(app.dir, tsconfig), JSON.stringify({
    compilerOptions: { ...STRICT, ...RESOLUTIONS[resolution] },
    files,
  }, null, 2));
  try {
    await run(process.execPath, [TSC, '-p', tsconfig, '--pretty', 'false'], { cwd: app.dir });
    return '';
  } catch (err) {
    if (typeof err.stdout !== 'string') throw err;
    return `${err.stdout}${err.stderr}`;
  }
}

/** Names the README block each example file came from in tsc's diagnostics. */
function explain(diagnostics) {
  return app.examples.reduce((text, e) => text.replaceAll(e.name, `${e.name} [${e.at}]`), diagnostics);
}

test('the READMEs hold JS examples to compile, and do not advise skipLibCheck', () => {
  for (const file of READMES) {
    assert.ok(app.examples.filter((e) => e.at.startsWith(`${file}:`)).length >= 3, `${file}: its examples were found`);
    assert.ok(!readFileSync(path.join(ROOT, file), 'utf8').includes('skipLibCheck'), `${file} advises skipLibCheck`);
  }
});

for (const resolution of Object.keys(RESOLUTIONS)) {
  test(`a strict app (moduleResolution ${resolution}, lib es2022 + dom) compiles against the tarball`, async () => {
    const diagnostics = await compile(resolution, ['globals.d.ts', 'app.ts']);
    assert.equal(diagnostics, '', `tsc found errors:\n${diagnostics}`);
  });

  test(`every JS example of README.md and js/README.md type-checks (moduleResolution ${resolution})`, async () => {
    const diagnostics = await compile(resolution, ['globals.d.ts', 'cdn.d.ts', ...app.examples.map((e) => e.name)]);
    assert.equal(diagnostics, '', `tsc found errors:\n${explain(diagnostics)}`);
  });
}

after(() => app && rm(app.dir, { recursive: true, force: true }));
