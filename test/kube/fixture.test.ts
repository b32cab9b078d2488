// The stand-in API answers as kube-apiserver does, byte for byte where clients look.
import t from 'tap';
import { MACHINE_POOLS, MACHINES, resourcePath } from '../../lib/kube/index.js';
import { machineObject, machinePoolObject, startKubeApi, type KubeApiFixtureOptions } from '../fixtures/kube-api.js';
import type { Teardown } from './fixtures/setup.js';

async function start(t: Teardown, options: KubeApiFixtureOptions = {}) {
  const api = await startKubeApi({
    objects: [
      machineObject('default', 'm1', 'p1'),
      machinePoolObject('p1', [{ type: 'InternalIP', address: '10.0.0.1' }], 4443),
    ],
    ...options,
  });
  t.teardown(() => api.close());
  return api;
}

t.test("a missing object is the API's NotFound Status", async (t) => {
  const api = await start(t);
  const res = await fetch(api.url + resourcePath(MACHINES, 'default', 'x'));
  t.equal(res.status, 404);
  t.equal(res.headers.get('content-type'), 'application/json');
  t.same(await res.json(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'machines.compute.ironcore.dev "x" not found',
    reason: 'NotFound',
    details: { name: 'x', group: 'compute.ironcore.dev', kind: 'machines' },
    code: 404,
  });
});

t.test('objects carry apiVersion, uid and resourceVersion; lists carry the list kind and version', async (t) => {
  const api = await start(t);
  const machine = (await (await fetch(api.url + resourcePath(MACHINES, 'default', 'm1'))).json()) as Record<
    string,
    any
  >;
  t.match(machine, {
    apiVersion: 'compute.ironcore.dev/v1alpha1',
    kind: 'Machine',
    metadata: { name: 'm1', namespace: 'default', uid: /^[0-9a-f-]{36}$/, resourceVersion: /^\d+$/ },
    spec: { machinePoolRef: { name: 'p1' } },
  });
  const list = (await (await fetch(api.url + resourcePath(MACHINE_POOLS))).json()) as Record<string, any>;
  t.match(list, {
    kind: 'MachinePoolList',
    apiVersion: 'compute.ironcore.dev/v1alpha1',
    metadata: { resourceVersion: api.resourceVersion },
  });
  t.same(
    list.items.map((pool: { metadata: { name: string } }) => pool.metadata.name),
    ['p1'],
  );
  const allMachines = (await (await fetch(api.url + resourcePath(MACHINES))).json()) as Record<string, any>;
  t.equal(allMachines.kind, 'MachineList');
  t.equal(allMachines.items.length, 1);
});

t.test('without its caller token the fixture answers 401; unknown paths 404; wrong methods 405', async (t) => {
  const api = await start(t, { callerToken: 'secret' });
  const unauthorized = await fetch(api.url + resourcePath(MACHINE_POOLS));
  t.equal(unauthorized.status, 401);
  t.same(await unauthorized.json(), {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'Unauthorized',
    reason: 'Unauthorized',
    code: 401,
  });
  const headers = { authorization: 'Bearer secret' };
  const unknown = await fetch(`${api.url}/apis/compute.ironcore.dev/v1alpha1/namespaces/default/volumes/v`, {
    headers,
  });
  t.match(await unknown.json(), { code: 404, message: 'the server could not find the requested resource' });
  const clusterScopedInNamespace = await fetch(
    `${api.url}/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machinepools/p1`,
    { headers },
  );
  t.equal(clusterScopedInNamespace.status, 404);
  const post = await fetch(api.url + resourcePath(MACHINES, 'default', 'm1'), { method: 'POST', headers, body: '{}' });
  t.match(await post.json(), { code: 405, reason: 'MethodNotAllowed' });
  const badBody = await fetch(`${api.url}/apis/authentication.k8s.io/v1/tokenreviews`, {
    method: 'POST',
    headers,
    body: 'nope',
  });
  t.match(await badBody.json(), { code: 400, reason: 'BadRequest' });
});

t.test('reviews echo the spec and answer 201 with the verdict in status', async (t) => {
  const api = await start(t, {
    tokens: { good: { username: 'alice', groups: ['devs'] } },
    authorize: () => ({ allowed: false, reason: 'no' }),
  });
  const post = (path: string, body: object) =>
    fetch(api.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const review = await post('/apis/authentication.k8s.io/v1/tokenreviews', {
    kind: 'TokenReview',
    spec: { token: 'good' },
  });
  t.equal(review.status, 201);
  t.match(await review.json(), {
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
    spec: { token: 'good' },
    status: { authenticated: true, user: { username: 'alice', groups: ['devs'] } },
  });
  const access = await post('/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    spec: { user: 'alice', resourceAttributes: { verb: 'get' } },
  });
  t.equal(access.status, 201);
  t.match(await access.json(), {
    kind: 'SubjectAccessReview',
    spec: { user: 'alice', resourceAttributes: { verb: 'get' } },
    status: { allowed: false, reason: 'no' },
  });
});

/** Reads a watch response until `count` events arrived. */
async function readEvents(res: Response, count: number): Promise<{ type: string; object: Record<string, any> }[]> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (text.split('\n').length <= count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

t.test('watches stream chunked events: initial ADDED, then changes; an old version gets ERROR 410', async (t) => {
  const api = await start(t);
  const watchUrl = `${api.url}${resourcePath(MACHINE_POOLS)}?watch=1`;
  const res = await fetch(watchUrl);
  t.equal(res.headers.get('transfer-encoding'), 'chunked');
  t.equal(res.headers.get('content-type'), 'application/json');
  const rv = api.resourceVersion;
  api.setObject(machinePoolObject('p1', []));
  api.deleteObject('MachinePool', 'p1');
  const events = await readEvents(res, 3);
  t.same(
    events.map((event) => event.type),
    ['ADDED', 'MODIFIED', 'DELETED'],
  );
  t.ok(Number(events[2]!.object.metadata.resourceVersion) > Number(rv));

  const replay = await readEvents(await fetch(`${watchUrl}&resourceVersion=${rv}`), 2);
  t.same(
    replay.map((event) => event.type),
    ['MODIFIED', 'DELETED'],
    'replayed after the given version',
  );

  api.compactBefore(api.resourceVersion);
  const gone = await readEvents(await fetch(`${watchUrl}&resourceVersion=${rv}`), 1);
  t.match(gone, [
    { type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: /too old resource version/ } },
  ]);
  const goneList = await fetch(`${api.url}${resourcePath(MACHINE_POOLS)}?resourceVersion=${rv}`);
  t.equal(goneList.status, 410);
});
