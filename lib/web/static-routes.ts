// The browser console at /console/, served from memory. index.html is revalidated on every
// load (its ETag changes with each build) and names content-hashed assets, which are cached
// for a year. Every answer carries a Content-Security-Policy that allows only this origin's
// scripts, styles and websockets: the page has no inline code, so injected markup cannot run.
import type { Logger } from 'pino';
import type * as UWS from 'uWebSockets.js';
import { DEFAULT_BUNDLE_DIRECTORY, loadPageBundle, type PageFile } from './page-bundle.js';

export const CONSOLE_PAGE_PATH = '/console/';

export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const REVALIDATE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface ConsolePageOptions {
  /** Told when the page is not built; default silent. */
  logger?: Logger;
  /** The built page; by default dist/web. */
  directory?: string;
  /** A checked path prefix (Gateway.mountPage's): the page is then at `{prefix}/console/`. */
  prefix?: string;
}

/** Mounts /console (a redirect), /console/ and /console/assets/* (after the prefix) on `app`. */
export function mountConsolePage(app: UWS.TemplatedApp, options: ConsolePageOptions = {}): void {
  const page = (options.prefix ?? '') + CONSOLE_PAGE_PATH;
  app.get(page.slice(0, -1), (res) => void res.writeStatus('301 Moved Permanently').writeHeader('Location', page).end());
  const directory = options.directory ?? DEFAULT_BUNDLE_DIRECTORY;
  const bundle = loadPageBundle(directory);
  if (!bundle) {
    // The gateway still serves exec; only the page is missing (a tsc-only build).
    options.logger?.warn({ directory }, 'the console page is not built (make build): /console/ answers 503');
    app.get(`${page}*`, (res) => void sendText(res, '503 Service Unavailable', 'the console page is not built; run `make build`\n'));
    return;
  }
  app.get(page, (res, req) => sendFile(res, req, bundle.index, REVALIDATE));
  app.get(`${page}assets/:name`, (res, req) => {
    const asset = bundle.assets.get(req.getParameter(0));
    if (asset) sendFile(res, req, asset, IMMUTABLE);
    else sendText(res, '404 Not Found', 'not found\n');
  });
  app.get(`${page}*`, (res) => void sendText(res, '404 Not Found', 'not found\n'));
}

function sendFile(res: UWS.HttpResponse, req: UWS.HttpRequest, file: PageFile, cacheControl: string): void {
  const fresh = matchesEtag(req.getHeader('if-none-match'), file.etag);
  res.writeStatus(fresh ? '304 Not Modified' : '200 OK');
  res.writeHeader('ETag', file.etag).writeHeader('Cache-Control', cacheControl);
  writeSecurityHeaders(res);
  if (fresh) res.endWithoutBody();
  else res.writeHeader('Content-Type', file.contentType).end(file.body);
}

function sendText(res: UWS.HttpResponse, status: string, text: string): void {
  res.writeStatus(status).writeHeader('Content-Type', 'text/plain; charset=utf-8');
  writeSecurityHeaders(res);
  res.end(text);
}

function writeSecurityHeaders(res: UWS.HttpResponse): void {
  res
    .writeHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    .writeHeader('X-Content-Type-Options', 'nosniff')
    .writeHeader('Referrer-Policy', 'no-referrer');
}

/** If-None-Match compares weakly: a W/ prefix does not matter, and `*` matches any file. */
function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  if (ifNoneMatch === '') return false;
  return ifNoneMatch.split(',').some((candidate) => {
    const value = candidate.trim();
    return value === '*' || value.replace(/^W\//, '') === etag;
  });
}
