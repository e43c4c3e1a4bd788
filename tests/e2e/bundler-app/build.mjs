// Builds dist/ (index.html, assets/main.js and the hashed .wasm) with esbuild:
// `npm install snowtrack && npm install -D esbuild && npm run build`, then serve dist/ from any path.
//
// The wasm: `import wasmUrl from 'snowtrack/web-core/snowtrack_bg.wasm'` (the core build, which
// snowtrack/load loads) with esbuild's `file` loader
// copies the .wasm to assets/ and gives its name relative to the bundle, which main.js resolves
// against import.meta.url (so the app works from a sub-path or a CDN) and hands to load().
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const options = {
  entryPoints: ['src/main.js'],
  bundle: true,
  format: 'esm',
  target: 'es2020',
  minify: true,
  outdir: 'dist/assets',
  assetNames: '[name]-[hash]',
  loader: { '.wasm': 'file' },
};

/** Builds the app in `dir` with esbuild's `build`. */
export async function buildApp(build, dir = process.cwd()) {
  await build({ ...options, absWorkingDir: dir, logLevel: 'warning' });
  await copyFile(path.join(dir, 'index.html'), path.join(dir, 'dist/index.html'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { build } = await import('esbuild');
  await buildApp(build);
}
