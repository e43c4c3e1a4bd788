// Appends the API of js/facade.js to a wasm-bindgen glue file of snowtrack's module (which
// exports only `create`, `call` and `get`): used by js/build.mjs for the package and by the
// end-to-end tests for pkg/web.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const JS_DIR = path.dirname(fileURLToPath(import.meta.url));

function fail(message) {
  throw new Error(message);
}

/**
 * The module exports only `create`, `call` and `get` (src/bindings/mod.rs): the glue file that
 * defines them (`glue`) keeps them to itself and exports the API of js/facade.js over them instead
 * (`newTracker`, `Tracker`; for the core `build`, the full build's methods throw an `Error`
 * naming them); `reexports`, the bundler target's entry, re-exports those. The declarations
 * (`dts`) lose the three exports and get js/tracker.d.ts.
 */
const EXPORTS = ['create', 'call', 'get'];

export function attachFacade(glue, build, dts, reexports) {
  let code = readFileSync(glue, 'utf8');
  for (const name of EXPORTS) {
    const exported = new RegExp(`^export function ${name}\\(`, 'm');
    if (!exported.test(code)) fail(`${glue}: no \`export function ${name}\` (wasm-bindgen changed?)`);
    code = code.replace(exported, `function ${name}(`);
  }
  if (/^export (class|function) (Tracker|newTracker)\b/m.test(code)) fail(`${glue}: the module exports its own Tracker or newTracker`);
  writeFileSync(glue, `${code}
import { facade } from '../facade.js';
export const { newTracker, Tracker } = facade({ create, call, get }, '${build}');
`);
  if (reexports) {
    const entry = readFileSync(reexports, 'utf8');
    const list = /export \{\s*call, create, get\s*\} from "\.\/snowtrack_bg\.js";/;
    if (!list.test(entry)) fail(`${reexports}: no \`export { call, create, get }\` (wasm-bindgen changed?)`);
    writeFileSync(reexports, entry.replace(list, 'export { Tracker, newTracker } from "./snowtrack_bg.js";'));
  }
  let types = readFileSync(dts, 'utf8');
  for (const name of EXPORTS) {
    const declared = new RegExp(`\\n(/\\*\\*(?:(?!\\*/)[\\s\\S])*\\*/\\n)?export function ${name}\\([^\\n]*\\n`);
    if (!declared.test(types)) fail(`${dts}: no declaration of ${name}`);
    types = types.replace(declared, '\n');
  }
  writeFileSync(dts, `${types}\n${readFileSync(path.join(JS_DIR, 'tracker.d.ts'), 'utf8')}`);
}

