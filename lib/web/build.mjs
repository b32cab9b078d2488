// Builds the browser console page into dist/web: esbuild bundles lib/web/page/app.ts (with
// xterm and its stylesheet) into content-hashed files under assets/, and index.html is written
// from its template with those names, so every asset can be cached forever and only
// index.html is revalidated. Run from the repository root: `node lib/web/build.mjs`.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { build } from 'esbuild';

const PAGE = 'lib/web/page';
const OUT = 'dist/web';

await rm(OUT, { recursive: true, force: true }); // stale hashed files would still be served

const { metafile } = await build({
  entryPoints: [`${PAGE}/app.ts`],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022'],
  minify: true,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  outdir: `${OUT}/assets`,
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(metafile.outputs).map((path) => basename(path));
const script = outputs.find((name) => name.endsWith('.js'));
const stylesheet = outputs.find((name) => name.endsWith('.css'));
if (!script || !stylesheet) throw new Error(`esbuild produced no script or stylesheet: ${outputs.join(', ')}`);

const template = await readFile(`${PAGE}/index.html`, 'utf8');
const html = template.replace('{{script}}', `assets/${script}`).replace('{{stylesheet}}', `assets/${stylesheet}`);
if (html.includes('{{')) throw new Error(`${PAGE}/index.html has a placeholder the build does not fill`);
await writeFile(`${OUT}/index.html`, html);
