import t from 'tap';
import { MACHINES, MachineCache, MachineLookup, MachinePoolCache, resourcePath, type KubeClient, type Machine } from '../../lib/kube/index.js';
import { machineObject, machinePoolObject, type KubeApiFixture } from '../fixtures/kube-api.js';
import { clientFor, eventually, rejection, startSecureApi, type Teardown } from './fixtures/setup.js';

const machinePath = (name: string) => resourcePath(MACHINES, 'default', name);
const machineGets = (api: KubeApiFixture, name: string) => api.requestCount(machinePath(name), { method: 'GET' });
const machinesPath = resourcePath(MACHINES);

async function setup(t: Teardown) {
  const { api, config } = await startSecureApi(t, {
    objects: [
      machineObject('default', 'm1', 'p1'),
      machineObject('other', 'm1', 'p2'),
      machineObject('default', 'unscheduled'),
      machinePoolObject('p1', [{ type: 'InternalIP', address: '10.0.0.1' }]),
      machinePoolObject('p2', [{ type: 'InternalIP', address: '10.0.0.2' }]),
    ],
  });
  const client = clientFor(t, config);
  const pools = startCache(t, new MachinePoolCache(client));
  const machines = startCache(t, new MachineCache(client, { backoff: { firstDelayMs: 5, maxDelayMs: 40 } }));
  await Promise.all([pools.ready, machines.ready]);
  await eventually(() => api.watchCount === 2, 'both watches to open');
  return { api, client, machines, lookup: new MachineLookup(client, { pools, machines }) };
}

function startCache<C extends { close(): Promise<void>; start(): C }>(t: Teardown, cache: C): C {
  t.teardown(() => cache.close());
  return cache.start();
}

t.test('one LIST of all namespaces, then the watch: resolving a machine costs no GET', async (t) => {
  const { api, client, machines, lookup } = await setup(t);
  const { metadata } = await client.get<Machine>(machinePath('m1'));
  t.same(machines.get('default', 'm1'), { pool: 'p1', uid: metadata.uid }, 'only the fields the lookup reads are kept');
  t.equal(machines.size, 3);
  t.match(await lookup.resolve('default', 'm1'), { pool: 'p1', address: '10.0.0.1', machineUID: metadata.uid });
  t.equal((await lookup.resolve('other', 'm1')).pool, 'p2', 'namespaces are apart');
  t.equal(machineGets(api, 'm1'), 1, 'only the test\'s own GET');

  api.setObject(machineObject('default', 'new', 'p2'));
  await eventually(() => machines.get('default', 'new') !== undefined, 'the new machine by watch');
  t.equal((await lookup.resolve('default', 'new')).address, '10.0.0.2');
  t.equal(machineGets(api, 'new'), 0);
  t.equal(api.requestCount(machinesPath, { watch: false }), 1, 'listed once');
});

t.test('a machine the cache does not have is fetched by GET every time, never taken as absent', async (t) => {
  const { api, lookup } = await setup(t);
  t.match(await rejection(lookup.resolve('default', 'missing')), { code: 404 });
  t.match(await rejection(lookup.resolve('default', 'missing')), { code: 404 });
  t.equal(machineGets(api, 'missing'), 2);

  // Created just now: the GET finds it whether or not the watch has brought it yet.
  api.setObject(machineObject('default', 'missing', 'p1'));
  t.equal((await lookup.resolve('default', 'missing')).pool, 'p1');
});

t.test('a watched machine without a pool is fetched: it may have just been scheduled', async (t) => {
  const { api, machines, lookup } = await setup(t);
  t.same(machines.get('default', 'unscheduled'), { uid: machines.get('default', 'unscheduled')?.uid });
  t.match(await rejection(lookup.resolve('default', 'unscheduled')), { code: 400 });
  t.equal(machineGets(api, 'unscheduled'), 1);
  api.setObject(machineObject('default', 'unscheduled', 'p1'));
  t.equal((await lookup.resolve('default', 'unscheduled')).pool, 'p1');
});

t.test('invalidate forgets the watched machine: the next resolve GETs it', async (t) => {
  const { api, machines, lookup } = await setup(t);
  await lookup.resolve('default', 'm1');
  lookup.invalidate('default', 'm1');
  t.equal(machines.get('default', 'm1'), undefined);
  await lookup.resolve('default', 'm1');
  t.equal(machineGets(api, 'm1'), 1);
  // The watch brings it back with its next change.
  api.setObject(machineObject('default', 'm1', 'p2'));
  await eventually(() => machines.get('default', 'm1')?.pool === 'p2', 'the changed machine by watch');
  t.equal((await lookup.resolve('default', 'm1')).pool, 'p2');
  t.equal(machineGets(api, 'm1'), 1);
});

t.test('deleted machines leave the cache; a 410 Gone relists', async (t) => {
  const { api, machines } = await setup(t);
  api.deleteObject('Machine', 'm1', 'other');
  await eventually(() => machines.get('other', 'm1') === undefined, 'the deletion by watch');
  api.setDown(true);
  await eventually(() => api.watchCount === 0, 'the watches to drop');
  api.setObject(machineObject('default', 'late', 'p1'));
  api.compactBefore(api.resourceVersion);
  api.setDown(false);
  await eventually(() => machines.get('default', 'late') !== undefined, 'the relisted machine');
  t.equal(api.requestCount(machinesPath, { watch: false }), 2, 'listed again after 410');
});

t.test('close() before the first LIST: ready says false and nothing is left running', async (t) => {
  const { config } = await startSecureApi(t);
  const client: KubeClient = clientFor(t, config);
  const machines = new MachineCache(client).start();
  await machines.close();
  t.equal(await machines.ready, false);
});
