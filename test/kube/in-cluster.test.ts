import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadInCluster, MACHINES, resourcePath } from '../../lib/kube/index.js';
import { machineObject } from '../fixtures/kube-api.js';
import { clientFor, rejection, startSecureApi, tempDir, type Teardown } from './fixtures/setup.js';

const machinePath = resourcePath(MACHINES, 'team-a', 'm1');

/** A service-account mount as the kubelet lays it out. */
function serviceAccountDir(t: Teardown, files: Record<string, string | Buffer>): string {
  const dir = tempDir(t);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

t.test('the mounted service account reaches the API over HTTPS', async (t) => {
  const { api, ca } = await startSecureApi(t, {
    objects: [machineObject('team-a', 'm1', 'p1')],
    callerToken: 'sa-token',
  });
  const dir = serviceAccountDir(t, { token: 'sa-token\n', 'ca.crt': ca.cert, namespace: 'team-a' });
  const config = loadInCluster({
    dir,
    env: { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) },
  });
  t.equal(config.server, `https://127.0.0.1:${api.port}`);
  t.equal(config.namespace, 'team-a');
  await t.resolves(clientFor(t, config).get(machinePath));
});

t.test('an IPv6 service host is put in brackets', async (t) => {
  const { api, ca } = await startSecureApi(t, {
    host: '::1',
    objects: [machineObject('team-a', 'm1', 'p1')],
    callerToken: 'sa-token',
  });
  const dir = serviceAccountDir(t, { token: 'sa-token', 'ca.crt': ca.cert });
  const config = loadInCluster({
    dir,
    env: { KUBERNETES_SERVICE_HOST: '::1', KUBERNETES_SERVICE_PORT: String(api.port) },
  });
  t.equal(config.server, `https://[::1]:${api.port}`);
  t.equal(config.namespace, undefined);
  await t.resolves(clientFor(t, config).get(machinePath));
});

t.test('a rotated token is read again after the cache time', async (t) => {
  const { api, ca } = await startSecureApi(t, { objects: [machineObject('team-a', 'm1', 'p1')], callerToken: 'first' });
  const dir = serviceAccountDir(t, { token: 'first', 'ca.crt': ca.cert });
  const env = { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(api.port) };
  const client = clientFor(t, loadInCluster({ dir, env, tokenCacheMs: 50 }));
  await client.get(machinePath);

  writeFileSync(join(dir, 'token'), 'second');
  api.setCallerToken('second');
  t.match(await rejection(client.get(machinePath)), { code: 401 }, 'still the cached token');
  await new Promise((resolve) => setTimeout(resolve, 60));
  await t.resolves(client.get(machinePath), 'the new token');
});

t.test('outside a cluster the loader says why', async (t) => {
  const dir = serviceAccountDir(t, {});
  t.throws(() => loadInCluster({ dir, env: {} }), {
    message: /KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set/,
  });
  const env = { KUBERNETES_SERVICE_HOST: '10.0.0.1', KUBERNETES_SERVICE_PORT: '443' };
  t.throws(() => loadInCluster({ dir, env }), { message: /no service account token at/ });
  writeFileSync(join(dir, 'token'), 't');
  t.equal(loadInCluster({ dir, env }).ca, undefined, 'no ca.crt: the system CAs');
});
