// The console page over plain HTTPS: what the gateway answers, header by header, before any
// browser gets involved.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadUws, type UWS } from '../../lib/gateway/uws.js';
import { CONTENT_SECURITY_POLICY, mountConsolePage } from '../../lib/web/index.js';
import { ALICE, connect, refusal, startStack, type Stack } from '../fixtures/stack.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

let stack: Stack;
t.before(async () => {
  stack = await startStack();
});
t.teardown(() => stack.close());

function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`https://127.0.0.1:${stack.gateway.port}${path}`, { ca: stack.ca.cert, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function assetNames(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="assets\/([^"]+)"/g)].map((match) => match[1]!);
}

t.test('/console redirects to /console/', async (t) => {
  const answer = await get('/console');
  t.equal(answer.status, 301);
  t.equal(answer.headers.location, '/console/');
});

t.test('the page: revalidated, strict CSP, no inline script or style', async (t) => {
  const page = await get('/console/');
  t.equal(page.status, 200);
  t.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  t.equal(page.headers['cache-control'], 'no-cache');
  t.equal(
    page.headers['content-security-policy'],
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  );
  t.equal(page.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  t.equal(page.headers['x-content-type-options'], 'nosniff');
  t.equal(page.headers['referrer-policy'], 'no-referrer');
  t.match(page.headers.etag, /^"[\w-]+"$/);
  t.notMatch(page.body, /<script(?![^>]*\ssrc=)/, 'every script is a file');
  t.notMatch(page.body, /<style|\sstyle=|\son\w+=/, 'no style element, style attribute or event handler attribute');
  t.match(page.body, /<input id="token" name="token" type="password"/);

  const again = await get('/console/', { 'if-none-match': String(page.headers.etag) });
  t.equal(again.status, 304, 'an unchanged page is not sent again');
  t.equal(again.body, '');
  t.equal(again.headers.etag, page.headers.etag);
});

t.test('assets: content-hashed names, cached for a year, typed, with ETags', async (t) => {
  const names = assetNames((await get('/console/')).body);
  t.equal(names.length, 2, 'one script and one stylesheet');
  const types: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
  for (const name of names) {
    const [, extension] = /^app-[A-Z0-9]{8}\.(js|css)$/.exec(name) ?? [];
    t.ok(extension, `${name} carries its content hash`);
    const asset = await get(`/console/assets/${name}`);
    t.equal(asset.status, 200, name);
    t.equal(asset.headers['content-type'], types[extension!]);
    t.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
    t.equal(asset.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    t.equal(asset.headers['x-content-type-options'], 'nosniff');
    t.ok(asset.body.length > 1000, `${name} has content`);
    const weak = await get(`/console/assets/${name}`, { 'if-none-match': `"other", W/${asset.headers.etag}` });
    t.equal(weak.status, 304, 'If-None-Match matches weakly, in a list');
  }
});

t.test('unknown paths under /console/ are 404', async (t) => {
  for (const path of ['/console/assets/app-00000000.js', '/console/index.html', '/console/assets/../index.html']) {
    t.equal((await get(path)).status, 404, path);
  }
});

t.test('a websocket from a foreign origin is refused 403, whoever holds the token', async (t) => {
  for (const origin of ['https://evil.example', `https://127.0.0.1:${stack.gateway.port + 1}`, `http://127.0.0.1:${stack.gateway.port}.evil.example`]) {
    const refused = await refusal(connect(stack, 'default', 'm1', { token: ALICE, bearerSubprotocol: true, headers: { origin } }));
    t.equal(refused.code, 403, origin);
    t.match(refused.status.message, /is not allowed to open consoles/);
  }
});

t.test('without a built bundle, /console/ says so with 503 and the rest keeps working', async (t) => {
  const empty = mkdtempSync(join(tmpdir(), 'console-page-'));
  t.teardown(() => rmSync(empty, { recursive: true, force: true }));
  const warnings: string[] = [];
  const uws = loadUws();
  const app = uws.App();
  mountConsolePage(app, { logger: pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) }), directory: empty });
  const listening = await new Promise<UWS.us_listen_socket>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (socket) => (socket ? resolve(socket) : reject(new Error('cannot listen')))),
  );
  t.teardown(() => uws.us_listen_socket_close(listening));
  const port = uws.us_socket_local_port(listening);
  const answer = await fetch(`http://127.0.0.1:${port}/console/`);
  t.equal(answer.status, 503);
  t.match(await answer.text(), /not built; run `make build`/);
  t.equal((await fetch(`http://127.0.0.1:${port}/console`, { redirect: 'manual' })).status, 301);
  t.match(warnings.join(''), /the console page is not built/);
});
