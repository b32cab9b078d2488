// Watches as client-go keeps them: they ask for bookmarks and carry timeoutSeconds; the fixture
// sends BOOKMARKs on quiet watches and ends them at timeoutSeconds as kube-apiserver does; the
// pool cache takes an ended watch as routine (a debug line) and resumes from the bookmark's
// version without listing again; and a kept-alive connection the server had closed is retried.
import t from 'tap';
import { createServer, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { KubeClient, MACHINE_POOLS, MachinePoolCache, resourcePath, type WatchEvent } from '../../lib/kube/index.js';
import { machineObject, machinePoolObject } from '../fixtures/kube-api.js';
import { clientFor, eventually, startSecureApi } from './fixtures/setup.js';

const poolsPath = resourcePath(MACHINE_POOLS);

t.test('a watch asks for bookmarks and a timeoutSeconds of 5 to 10 minutes, as the reflector does', async (t) => {
  const urls: string[] = [];
  const server = createServer((req, res) => {
    urls.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const client = clientFor(t, { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
  for (let i = 0; i < 5; i++) await client.watch(poolsPath, { resourceVersion: '7' }, () => {}).done;
  await client.watch(poolsPath, { timeoutSeconds: 42 }, () => {}).done;
  for (const url of urls.slice(0, 5)) {
    const query = new URL(url, 'http://x').searchParams;
    t.equal(query.get('allowWatchBookmarks'), 'true');
    t.equal(query.get('resourceVersion'), '7');
    const seconds = Number(query.get('timeoutSeconds'));
    t.ok(Number.isInteger(seconds) && seconds >= 300 && seconds < 600, `timeoutSeconds ${seconds}`);
  }
  t.equal(new URL(urls[5]!, 'http://x').searchParams.get('timeoutSeconds'), '42');
});

t.test('the fixture bookmarks quiet watches that asked, and ends a watch at its timeoutSeconds', async (t) => {
  const { api, config } = await startSecureApi(t, { objects: [machinePoolObject('p1', [])], bookmarkIntervalMs: 100 });
  const client = clientFor(t, config);
  const events: WatchEvent<{ metadata: { resourceVersion: string } }>[] = [];
  const started = Date.now();
  await client.watch<{ metadata: { resourceVersion: string } }>(poolsPath, { timeoutSeconds: 1 }, (event) => void events.push(event)).done;
  const tookMs = Date.now() - started;
  t.ok(tookMs >= 900, `the server ended the watch, cleanly, after its timeoutSeconds (${tookMs} ms)`);
  t.equal(events[0]?.type, 'ADDED');
  const bookmarks = events.filter((event) => event.type === 'BOOKMARK');
  t.ok(bookmarks.length >= 3, `a quiet second brought ${bookmarks.length} bookmarks`);
  t.equal(bookmarks[0]!.object.metadata.resourceVersion, api.resourceVersion, 'with the current resourceVersion');

  // A raw watch that did not ask gets none.
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    httpsRequest(`${api.url}${poolsPath}?watch=1&timeoutSeconds=1`, { ca: config.ca, headers: { authorization: `Bearer ${config.token!()}` } }, resolve).on('error', reject).end();
  });
  let body = '';
  for await (const chunk of res) body += chunk;
  t.notMatch(body, /BOOKMARK/, 'no bookmark for a watch that did not ask');
  t.match(body, /"ADDED"/);
});

t.test('the pool cache resumes an ended watch from its bookmark: no new LIST, no warning', async (t) => {
  const { api, config } = await startSecureApi(t, { objects: [machinePoolObject('p1', [{ type: 'InternalIP', address: '10.0.0.1' }])], bookmarkIntervalMs: 100 });
  const lines: { level: string; msg: string }[] = [];
  const log = {
    warn: (_: object, msg: string) => void lines.push({ level: 'warn', msg }),
    debug: (_: object, msg: string) => void lines.push({ level: 'debug', msg }),
  };
  const cache = new MachinePoolCache(clientFor(t, config), { log, watchTimeoutSeconds: 1 }).start();
  t.teardown(() => cache.close());
  await cache.ready;
  // Other objects move the resourceVersion on; only bookmarks tell the pool watch about it.
  for (let i = 0; i < 5; i++) api.setObject(machineObject('default', `m${i}`));
  await new Promise((resolve) => setTimeout(resolve, 300));
  api.compactBefore(api.resourceVersion);
  await eventually(() => api.requestCount(poolsPath, { watch: true }) >= 3, 'two watches to end and resume', 10_000);
  t.equal(api.requestCount(poolsPath, { watch: false }), 1, 'one LIST: the bookmark kept the resume point inside the history');
  t.same(lines.filter((line) => line.level === 'warn'), [], 'no warning');
  t.ok(lines.some((line) => line.level === 'debug' && line.msg === 'machine pool watch ended; resuming'), 'a debug line per ended watch');
  api.setObject(machinePoolObject('p1', [{ type: 'InternalIP', address: '10.0.0.9' }]));
  await eventually(() => cache.get('p1')?.status?.addresses?.[0]?.address === '10.0.0.9', 'a change to arrive');
});

t.test('a kept-alive connection the server closed is retried once on a new one', async (t) => {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    // The second request on the first connection: the server drops it unanswered, as a server
    // that closed an idle kept-alive connection just as the client reused it.
    if (requests === 2) return req.socket.destroy();
    res.writeHead(200, { 'content-type': 'application/json', connection: 'keep-alive' });
    res.end(JSON.stringify({ n: requests }));
  });
  server.on('connection', (socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const debug: string[] = [];
  const client = new KubeClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, { log: { debug: (_, msg) => void debug.push(msg) } });
  t.teardown(() => client.close());
  t.same(await client.get('/x'), { n: 1 });
  t.same(await client.get('/x'), { n: 3 }, 'the second GET was answered on a new connection');
  t.equal(sockets.size, 2);
  t.same(debug, ['kubernetes API closed a pooled connection; retrying on a new one']);
});
