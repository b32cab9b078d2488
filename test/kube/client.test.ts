import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { KubeClient, resourcePath, MACHINES, type Machine, type WatchEvent } from '../../lib/kube/index.js';
import { machineObject, startKubeApi } from '../fixtures/kube-api.js';
import { clientFor, closedPort, GATEWAY_TOKEN, rejection, startSecureApi, type Teardown } from './fixtures/setup.js';

const machinePath = (name: string) => resourcePath(MACHINES, 'default', name);

t.test('GET over HTTPS with the bearer token returns the object', async (t) => {
  const { api, config } = await startSecureApi(t, { objects: [machineObject('default', 'm1', 'p1')] });
  const client = clientFor(t, config);
  const machine = await client.get<Machine>(machinePath('m1'));
  t.equal(machine.metadata.name, 'm1');
  t.equal(machine.spec?.machinePoolRef?.name, 'p1');
  t.equal(api.requestCount(machinePath('m1')), 1);
});

t.test('a 404 Status from the API is passed through', async (t) => {
  const { config } = await startSecureApi(t);
  const err = await rejection(clientFor(t, config).get(machinePath('nope')));
  t.equal(err.name, 'KubeApiError');
  t.equal(err.code, 404);
  t.equal(err.reason, 'NotFound');
  t.equal(err.message, 'machines.compute.ironcore.dev "nope" not found');
  t.same(err.details, { name: 'nope', group: 'compute.ironcore.dev', kind: 'machines' });
});

t.test('a request without the token is 401 Unauthorized', async (t) => {
  const { config } = await startSecureApi(t);
  const err = await rejection(clientFor(t, { ...config, token: undefined }).get(machinePath('m1')));
  t.match(err, { code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
});

t.test('a 500 Status keeps its message; a 500 without one gets a plain message', async (t) => {
  const { api, config } = await startSecureApi(t);
  const client = clientFor(t, config);
  api.stub(machinePath('a'), {
    status: 500,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'etcdserver: timeout',
      reason: 'InternalError',
      code: 500,
    },
  });
  api.stub(machinePath('b'), { status: 500, body: `<html>${GATEWAY_TOKEN}</html>`, contentType: 'text/html' });
  t.match(await rejection(client.get(machinePath('a'))), {
    code: 500,
    reason: 'InternalError',
    message: 'etcdserver: timeout',
  });
  const plain = await rejection(client.get(machinePath('b')));
  t.match(plain, { code: 500, reason: 'InternalError' });
  t.equal(plain.message, `kubernetes API answered GET ${machinePath('b')} with HTTP 500`);
});

t.test('a body that is not JSON is 502, and its content stays out of the message', async (t) => {
  const { api, config } = await startSecureApi(t);
  api.stub(machinePath('m1'), { status: 200, body: `{"token": "${GATEWAY_TOKEN}"` });
  const err = await rejection(clientFor(t, config).get(machinePath('m1')));
  t.match(err, { code: 502, reason: 'InternalError', message: /not valid JSON/ });
  t.notMatch(err.message, GATEWAY_TOKEN);
});

t.test('a slow API is a 504 Timeout after the deadline', async (t) => {
  const { api, config } = await startSecureApi(t, { objects: [machineObject('default', 'm1', 'p1')] });
  api.setLatency(1000);
  const client = clientFor(t, config, { timeoutMs: 60 });
  const started = Date.now();
  const err = await rejection(client.get(machinePath('m1')));
  t.match(err, { code: 504, reason: 'Timeout', message: /within 60 ms/ });
  t.ok(Date.now() - started < 900, 'gave up at the deadline, not when the answer came');
  const perCall = await rejection(clientFor(t, config).get(machinePath('m1'), { timeoutMs: 30 }));
  t.match(perCall, { code: 504, message: /within 30 ms/ });
});

t.test("aborting the caller's signal rejects with its reason", async (t) => {
  const { api, config } = await startSecureApi(t);
  api.setLatency(1000);
  const controller = new AbortController();
  const pending = clientFor(t, config).get(machinePath('m1'), { signal: controller.signal });
  const reason = new Error('session closed');
  controller.abort(reason);
  t.equal(await rejection(pending), reason);
});

t.test('a body cut short is 503 at once; aborting while a body is read rejects with the reason', async (t) => {
  // Headers and half the promised body, then (for /cut) the connection dropped, (for /stall) silence.
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
    res.write('{"kind":"Machine",');
    if (req.url === '/cut') setTimeout(() => res.socket?.destroy(), 20);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const client = clientFor(t, { server: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }, { timeoutMs: 5000 });
  // A call still waiting at the deadline would be 504 Timeout: 503 says the cut ended it.
  t.match(await rejection(client.get('/cut')), { code: 503, reason: 'ServiceUnavailable' }, 'rejected when the connection dropped, not at the deadline');
  const controller = new AbortController();
  const stalled = client.get('/stall', { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('session closed')), 50);
  t.match(await rejection(stalled), { message: 'session closed' });
});

t.test('an unreachable API is 503 ServiceUnavailable without the token in the message', async (t) => {
  const port = await closedPort();
  const client = clientFor(t, { server: `https://127.0.0.1:${port}`, token: () => GATEWAY_TOKEN });
  const err = await rejection(client.get(machinePath('m1')));
  t.match(err, { code: 503, reason: 'ServiceUnavailable', message: /^kubernetes API unreachable: .*ECONNREFUSED/ });
  t.notMatch(err.message, GATEWAY_TOKEN);
});

t.test('a server certificate from an unknown CA is refused', async (t) => {
  const { config } = await startSecureApi(t);
  const err = await rejection(clientFor(t, { ...config, ca: undefined }).get(machinePath('m1')));
  t.match(err, { code: 503, message: /certificate/ });
});

t.test('plain http:// servers work too', async (t) => {
  const api = await startKubeApi({ objects: [machineObject('default', 'm1', 'p1')] });
  t.teardown(() => api.close());
  t.equal((await clientFor(t, { server: api.url }).get<Machine>(machinePath('m1'))).metadata.name, 'm1');
});

t.test('other schemes are refused at construction', async (t) => {
  t.throws(() => new KubeClient({ server: 'ftp://127.0.0.1' }), /only https:\/\/ and http:\/\//);
});

t.test('POST sends a JSON body and returns the created object', async (t) => {
  const { config } = await startSecureApi(t);
  const review = await clientFor(t, config).post<{ kind: string; spec: { token: string } }>(
    '/apis/authentication.k8s.io/v1/tokenreviews',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'x' } },
  );
  t.equal(review.kind, 'TokenReview');
  t.equal(review.spec.token, 'x');
});

/** A plain HTTP server the test scripts answer by answer. */
async function scriptedServer(
  t: Teardown,
  handle: (res: ServerResponse, url: URL) => void,
): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const server = createServer((req, res) => handle(res, new URL(req.url ?? '/', 'http://x')));
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => connections };
}

t.test('connections are kept alive and bounded by maxSockets', async (t) => {
  const { url, connections } = await scriptedServer(t, (res) => {
    setTimeout(() => res.end('{}'), 10);
  });
  const client = clientFor(t, { server: url }, { maxSockets: 2 });
  await Promise.all(Array.from({ length: 20 }, () => client.get('/x')));
  await client.get('/x');
  t.equal(connections(), 2);
});

t.test('watch parses events cut across chunks and several per chunk', async (t) => {
  const events = [
    { type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '1' } } },
    { type: 'MODIFIED', object: { metadata: { name: 'ä-ünïcode', resourceVersion: '2' } } },
    { type: 'DELETED', object: { metadata: { name: 'a', resourceVersion: '3' } } },
  ];
  const body = Buffer.from(events.map((event) => JSON.stringify(event) + '\n').join(''));
  let query: URLSearchParams | undefined;
  const { url } = await scriptedServer(t, async (res, requestUrl) => {
    query = requestUrl.searchParams;
    res.writeHead(200, { 'content-type': 'application/json' });
    // Cuts inside an event, inside a multi-byte character, and right after a newline.
    const cuts = [0, 7, body.indexOf('\n') + 1, body.indexOf('ä') + 1, body.length - 3, body.length];
    for (let i = 1; i < cuts.length; i++) {
      res.write(body.subarray(cuts[i - 1], cuts[i]));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    res.end();
  });
  const seen: WatchEvent[] = [];
  const watch = clientFor(t, { server: url }).watch('/apis/x/v1/things', { resourceVersion: '7' }, (e) => seen.push(e));
  await watch.done;
  t.same(seen, events);
  t.equal(query?.get('watch'), '1');
  t.equal(query?.get('resourceVersion'), '7');
  t.equal(query?.get('allowWatchBookmarks'), 'true');
});

t.test('watch: abort() ends it quietly, an idle stream times out, bad lines are 502', async (t) => {
  const { url } = await scriptedServer(t, (res, requestUrl) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    if (requestUrl.pathname === '/garbage') res.end('{"type":"ADDED","object":{}}\nnot json\n');
  });
  const client = clientFor(t, { server: url });
  const aborted = client.watch('/quiet', {}, () => {});
  setTimeout(() => aborted.abort(), 20);
  await t.resolves(aborted.done);

  const idle = client.watch('/quiet', { timeoutMs: 40 }, () => {});
  t.match(await rejection(idle.done), { code: 504, reason: 'Timeout' });

  const seen: string[] = [];
  const garbage = client.watch('/garbage', {}, (event) => seen.push(event.type));
  t.match(await rejection(garbage.done), { code: 502, message: /not valid JSON/ });
  t.same(seen, ['ADDED']);
});

t.test('watch: an HTTP error is a KubeApiError, an error thrown by onEvent ends the watch with it', async (t) => {
  const { api, config } = await startSecureApi(t, {
    goneAsHttpStatus: true,
    objects: [machineObject('default', 'm1', 'p1')],
  });
  const client = clientFor(t, config);
  api.setObject(machineObject('default', 'm2', 'p1'));
  api.compactBefore(api.resourceVersion);
  const gone = client.watch(resourcePath(MACHINES), { resourceVersion: '1' }, () => {});
  t.match(await rejection(gone.done), { code: 410, reason: 'Expired', message: /too old resource version/ });

  const failure = new Error('consumer failed');
  const failing = client.watch(resourcePath(MACHINES), {}, () => {
    throw failure;
  });
  t.equal(await rejection(failing.done), failure);
});
