import t from 'tap';
import { MACHINE_POOLS, MachineLookup, MachinePoolCache, resourcePath, type KubeClient } from '../../lib/kube/index.js';
import {
  machineObject,
  machinePoolObject,
  type KubeApiFixture,
  type KubeApiFixtureOptions,
} from '../fixtures/kube-api.js';
import { clientFor, eventually, startSecureApi, type Teardown } from './fixtures/setup.js';

const poolsPath = resourcePath(MACHINE_POOLS);
const addressOf = (cache: MachinePoolCache, name: string) => cache.get(name)?.status?.addresses?.[0]?.address;
const lists = (api: KubeApiFixture) => api.requestCount(poolsPath, { watch: false });
const watches = (api: KubeApiFixture) => api.requestCount(poolsPath, { watch: true });

async function setup(t: Teardown, apiOptions: KubeApiFixtureOptions = {}) {
  const { api, config } = await startSecureApi(t, {
    objects: [
      machineObject('default', 'm1', 'p1'),
      machinePoolObject('p1', [{ type: 'InternalIP', address: '10.0.0.1' }]),
      machinePoolObject('p2', [{ type: 'InternalIP', address: '10.0.0.2' }]),
    ],
    ...apiOptions,
  });
  const client = clientFor(t, config);
  const cache = startCache(t, client);
  await cache.ready;
  await eventually(() => api.watchCount === 1, 'the watch to open');
  return { api, client, cache };
}

function startCache(t: Teardown, client: KubeClient): MachinePoolCache {
  const cache = new MachinePoolCache(client, { backoff: { firstDelayMs: 5, maxDelayMs: 40 } });
  t.teardown(() => cache.close());
  return cache.start();
}

/** Gives `pool` a new address and waits until the cache has it. */
async function changeAndSee(
  api: KubeApiFixture,
  cache: MachinePoolCache,
  pool: string,
  address: string,
): Promise<void> {
  api.setObject(machinePoolObject(pool, [{ type: 'InternalIP', address }]));
  await eventually(() => addressOf(cache, pool) === address, `${pool} to get ${address}`);
}

/** Takes the API down, gives p1 `address` meanwhile (and forgets the history), brings it back. */
async function changeWhileDown(api: KubeApiFixture, address: string, { compact }: { compact: boolean }): Promise<void> {
  api.setDown(true);
  await eventually(() => api.watchCount === 0, 'the watch to drop');
  api.setObject(machinePoolObject('p1', [{ type: 'InternalIP', address }]));
  if (compact) api.compactBefore(api.resourceVersion);
  api.setDown(false);
}

t.test('LIST fills the cache, then one WATCH keeps it', async (t) => {
  const { api, cache } = await setup(t);
  t.ok(cache.synced);
  t.equal(addressOf(cache, 'p1'), '10.0.0.1');
  t.equal(addressOf(cache, 'p2'), '10.0.0.2');
  t.equal(lists(api), 1);
  t.equal(watches(api), 1);
});

t.test('changes arrive by watch: a new address is used without any GET of the pool', async (t) => {
  const { api, client, cache } = await setup(t);
  const lookup = new MachineLookup(client, { pools: cache });
  t.equal((await lookup.resolve('default', 'm1')).address, '10.0.0.1');

  await changeAndSee(api, cache, 'p1', '10.9.9.9');
  t.equal((await lookup.resolve('default', 'm1')).address, '10.9.9.9');

  api.setObject(machinePoolObject('p3', [{ type: 'InternalIP', address: '10.0.0.3' }]));
  api.deleteObject('MachinePool', 'p2');
  await eventually(() => addressOf(cache, 'p3') === '10.0.0.3' && !cache.get('p2'), 'the added and deleted pools');

  t.equal(api.requestCount(resourcePath(MACHINE_POOLS, undefined, 'p1')), 0);
  t.equal(lists(api), 1);
});

t.test('bookmarks move the resourceVersion on and store nothing', async (t) => {
  const { api, cache } = await setup(t);
  api.sendBookmarks();
  await changeAndSee(api, cache, 'p1', '10.1.1.1');
  t.equal(cache.get('undefined'), undefined);
});

t.test('a cut stream is watched again from where it was, without a new LIST', async (t) => {
  const { api, cache } = await setup(t);
  api.cutWatches();
  await eventually(() => watches(api) === 2 && api.watchCount === 1, 'the watch to reopen');
  await changeAndSee(api, cache, 'p1', '10.2.2.2');
  t.equal(lists(api), 1);
});

t.test('changes made while the stream was down are replayed on reconnect', async (t) => {
  const { api, cache } = await setup(t);
  await changeWhileDown(api, '10.3.3.3', { compact: false });
  await eventually(() => addressOf(cache, 'p1') === '10.3.3.3', 'the replayed change');
  t.equal(lists(api), 1, 'no LIST: the history still had it');
});

for (const goneAsHttpStatus of [false, true]) {
  t.test(`410 Gone as ${goneAsHttpStatus ? 'an HTTP status' : 'an ERROR event'} makes it LIST again`, async (t) => {
    const { api, cache } = await setup(t, { goneAsHttpStatus });
    await changeWhileDown(api, '10.4.4.4', { compact: true });
    await eventually(() => lists(api) === 2, 'a second LIST');
    await eventually(() => addressOf(cache, 'p1') === '10.4.4.4', 'the change, from the LIST');
    await eventually(() => api.watchCount === 1, 'a new watch');
  });
}

t.test('an ERROR 410 event on an open stream makes it LIST again', async (t) => {
  const { api, cache } = await setup(t);
  api.expireWatches();
  await eventually(() => lists(api) === 2 && api.watchCount === 1, 'LIST and WATCH again');
  await changeAndSee(api, cache, 'p2', '10.5.5.5');
});

t.test('an API that is down at start is retried until it answers', async (t) => {
  const { api, config } = await startSecureApi(t, { objects: [machinePoolObject('p1', [])] });
  api.setDown(true);
  const cache = startCache(t, clientFor(t, config));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(cache.synced, false);
  api.setDown(false);
  t.equal(await cache.ready, true);
  t.ok(cache.get('p1'));
});

t.test('close() ends the watch and any pending retry; ready says false if it never synced', async (t) => {
  const { api, client, cache } = await setup(t);
  await cache.close();
  await eventually(() => api.watchCount === 0, 'the watch to end');

  api.setDown(true);
  const neverSynced = new MachinePoolCache(client, { backoff: { firstDelayMs: 10_000, maxDelayMs: 30_000 } }).start();
  await new Promise((resolve) => setTimeout(resolve, 30)); // the LIST failed; a 10 s backoff began
  const closing = Date.now();
  await neverSynced.close();
  t.ok(Date.now() - closing < 1000, 'the backoff was cut short');
  t.equal(await neverSynced.ready, false);
  t.equal(neverSynced.synced, false);
});
