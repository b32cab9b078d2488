import t from 'tap';
import {
  MACHINE_POOLS,
  MACHINES,
  MachineLookup,
  MachinePoolCache,
  resourcePath,
  type Machine,
  type MachineLookupOptions,
} from '../../lib/kube/index.js';
import { machineObject, machinePoolObject, type KubeApiFixtureOptions } from '../fixtures/kube-api.js';
import { clientFor, rejection, startSecureApi, type Teardown } from './fixtures/setup.js';

const machinePath = (name: string) => resourcePath(MACHINES, 'default', name);
const poolPath = (name: string) => resourcePath(MACHINE_POOLS, undefined, name);

const objects = [
  machineObject('default', 'm1', 'p1'),
  machineObject('default', 'unscheduled'),
  machineObject('default', 'orphan', 'ghost'),
  machineObject('default', 'on-bare-pool', 'bare'),
  machineObject('default', 'on-external-pool', 'external'),
  machinePoolObject(
    'p1',
    [
      { type: 'ExternalIP', address: '203.0.113.10' },
      { type: 'InternalIP', address: '10.0.0.1' },
      { type: 'Hostname', address: 'p1.pools.example' },
    ],
    4443,
  ),
  machinePoolObject('bare', [{ type: 'InternalIP', address: '10.0.0.2' }]),
  machinePoolObject('external', [
    { type: 'ExternalIP', address: '203.0.113.11' },
    { type: 'InternalDNS', address: 'external.internal' },
  ]),
];

async function setup(t: Teardown, options: MachineLookupOptions = {}, apiOptions: KubeApiFixtureOptions = {}) {
  const { api, config } = await startSecureApi(t, { objects, ...apiOptions });
  const client = clientFor(t, config);
  return { api, client, lookup: new MachineLookup(client, options) };
}

t.test('resolves machine → pool → preferred address and announced port', async (t) => {
  const { client, lookup } = await setup(t);
  const { metadata } = await client.get<Machine>(machinePath('m1'));
  t.ok(metadata.uid);
  t.same(await lookup.resolve('default', 'm1'), {
    pool: 'p1',
    address: 'p1.pools.example',
    port: 4443,
    machineUID: metadata.uid,
  });
});

t.test('address types are tried in preference order; a custom order is honoured', async (t) => {
  const { lookup } = await setup(t);
  t.equal(
    (await lookup.resolve('default', 'on-external-pool')).address,
    'external.internal',
    'InternalDNS before ExternalIP',
  );
  const custom = (await setup(t, { addressPreference: ['ExternalIP', 'InternalIP'] })).lookup;
  t.equal((await custom.resolve('default', 'm1')).address, '203.0.113.10');
});

t.test('a pool without a machinepoollet endpoint gets the default port', async (t) => {
  const { lookup } = await setup(t);
  t.match(await lookup.resolve('default', 'on-bare-pool'), { address: '10.0.0.2', port: 12319 });
  const custom = (await setup(t, { defaultPort: 9999 })).lookup;
  t.equal((await custom.resolve('default', 'on-bare-pool')).port, 9999);
});

t.test('a machine without a pool is 400 BadRequest', async (t) => {
  const { lookup } = await setup(t);
  const err = await rejection(lookup.resolve('default', 'unscheduled'));
  t.match(err, { code: 400, reason: 'BadRequest', message: 'machine unscheduled has no machine pool assigned' });
});

t.test("a missing machine or pool is the API's 404", async (t) => {
  const { lookup } = await setup(t);
  t.match(await rejection(lookup.resolve('default', 'missing')), {
    code: 404,
    reason: 'NotFound',
    message: 'machines.compute.ironcore.dev "missing" not found',
  });
  t.match(await rejection(lookup.resolve('default', 'orphan')), {
    code: 404,
    reason: 'NotFound',
    message: 'machinepools.compute.ironcore.dev "ghost" not found',
  });
});

t.test('no address of a preferred type is 503 naming the known addresses', async (t) => {
  const { lookup } = await setup(t, { addressPreference: ['Hostname'] });
  const err = await rejection(lookup.resolve('default', 'on-external-pool'));
  t.match(err, { code: 503, reason: 'ServiceUnavailable' });
  t.equal(
    err.message,
    'no preferred addresses found; known addresses: [{ExternalIP 203.0.113.11} {InternalDNS external.internal}]',
  );
});

t.test('50 concurrent resolves of one machine cost one GET of it and of its pool', async (t) => {
  const { api, lookup } = await setup(t);
  api.setLatency(20);
  const targets = await Promise.all(Array.from({ length: 50 }, () => lookup.resolve('default', 'm1')));
  t.ok(targets.every((target) => target.address === 'p1.pools.example'));
  t.equal(api.requestCount(machinePath('m1')), 1);
  t.equal(api.requestCount(poolPath('p1')), 1);
  const failures = await Promise.allSettled(Array.from({ length: 10 }, () => lookup.resolve('default', 'missing')));
  t.ok(
    failures.every((result) => result.status === 'rejected'),
    'a failure reaches every waiter',
  );
  t.equal(api.requestCount(machinePath('missing')), 1);
});

t.test('without a ttl every resolve reads the machine again', async (t) => {
  const { api, lookup } = await setup(t);
  await lookup.resolve('default', 'm1');
  await lookup.resolve('default', 'm1');
  t.equal(api.requestCount(machinePath('m1')), 2);
});

t.test('with a ttl the machine is reused until it expires or is invalidated', async (t) => {
  const { api, lookup } = await setup(t, { machineTtlMs: 60 });
  await lookup.resolve('default', 'm1');
  api.setObject(machineObject('default', 'm1', 'bare'));
  t.equal((await lookup.resolve('default', 'm1')).pool, 'p1', 'cached');
  t.equal(api.requestCount(machinePath('m1')), 1);

  lookup.invalidate('default', 'm1');
  t.equal((await lookup.resolve('default', 'm1')).pool, 'bare', 'invalidated');
  t.equal(api.requestCount(machinePath('m1')), 2);

  api.setObject(machineObject('default', 'm1', 'p1'));
  await new Promise((resolve) => setTimeout(resolve, 70));
  t.equal((await lookup.resolve('default', 'm1')).pool, 'p1', 'expired');
  t.equal(api.requestCount(machinePath('m1')), 3);
});

t.test('invalidate during a pending GET makes the next resolve read again', async (t) => {
  const { api, lookup } = await setup(t, { machineTtlMs: 10_000 });
  api.setLatency(20);
  const first = lookup.resolve('default', 'm1');
  lookup.invalidate('default', 'm1');
  const second = lookup.resolve('default', 'm1');
  await Promise.all([first, second]);
  await lookup.resolve('default', 'm1');
  t.equal(api.requestCount(machinePath('m1')), 2, 'a fresh GET after invalidate, then the cache');
});

t.test('with a synced pool cache no pool is fetched; before sync or on a miss it is', async (t) => {
  const { api, client } = await setup(t);
  const pools = new MachinePoolCache(client);
  t.teardown(() => pools.close());
  const lookup = new MachineLookup(client, { pools });

  t.equal((await lookup.resolve('default', 'm1')).address, 'p1.pools.example', 'not started: direct GET');
  t.equal(api.requestCount(poolPath('p1')), 1);

  pools.start();
  t.equal(await pools.ready, true);
  t.equal((await lookup.resolve('default', 'm1')).address, 'p1.pools.example');
  t.equal(api.requestCount(poolPath('p1')), 1, 'served from the cache');

  t.match(await rejection(lookup.resolve('default', 'orphan')), { code: 404 }, 'a miss falls back to GET');
  t.equal(api.requestCount(poolPath('ghost')), 1);
});
