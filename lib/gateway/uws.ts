// The one place that loads uWebSockets.js. The official build is not on the npm registry;
// package.json aliases `uWebSockets.js` to a registry build. That build quietly falls back to
// a slow JavaScript emulation when its native binary does not load, so we load the binary
// itself: native builds are tied to the Node ABI and the C library, and a failure names both.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as UWS from 'uWebSockets.js';

export type { UWS };

let loaded: typeof UWS | undefined;

/** `packageName` is for tests of the failure path; the product always loads uWebSockets.js. */
export function loadUws(packageName = 'uWebSockets.js'): typeof UWS {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  try {
    const root = dirname(require.resolve(`${packageName}/package.json`));
    const binary = `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`;
    loaded = require(join(root, 'binaries', binary)) as typeof UWS;
  } catch (err) {
    throw new Error(
      `uWebSockets.js: no build loads on Node ${process.version} (${process.platform}-${process.arch}, ` +
        `ABI ${process.versions.modules}, ${describeLibc()}): ${(err as Error).message.split('\n')[0]}. ` +
        'Install a uWebSockets.js build made for this Node version and C library ' +
        '(package.json aliases uWebSockets.js to @trufflesuite/uws-js-unofficial, which needs glibc 2.28 or newer).',
      { cause: err },
    );
  }
  return loaded;
}

function describeLibc(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const glibc = report?.header?.glibcVersionRuntime;
  return glibc ? `glibc ${glibc}` : 'no glibc (musl or another C library)';
}

/** Closes the app's listen sockets and every connection it holds (this build has App.close; its typings omit it). */
export function closeApp(app: UWS.TemplatedApp): void {
  (app as unknown as { close(): void }).close();
}
