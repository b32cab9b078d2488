// The gateway as a real process in front of provider processes: lookup coalescing, the pool
// watch cache, a provider killed mid-session, a client that stops reading, and SIGTERM.
import t from 'tap';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { issueClientCert, issueServerCert, makeCA } from '../fixtures/certs.js';
import { machineObject, machinePoolObject, startKubeApi, type KubeApiFixture } from '../fixtures/kube-api.js';
import { startCommand, startProviderProcess, type RunningProcess } from '../fixtures/processes.js';
import { SessionReader, execPath } from '../fixtures/stack.js';

const TOKEN = 'alice-token';
const dir = mkdtempSync(join(tmpdir(), 'gateway-faults-'));
let kube: KubeApiFixture;
let gateway: RunningProcess;
let ca: Buffer;
const providers: Record<string, RunningProcess> = {};

function pool(name: string, port: number) {
  return machinePoolObject(name, [{ type: 'InternalIP', address: '127.0.0.1' }], port);
}

t.before(async () => {
  const authority = await makeCA('faults CA');
  ca = authority.cert;
  const server = await issueServerCert(authority);
  const client = await issueClientCert(authority, { cn: 'ironcore-console-gateway' });
  const tls = { key: server.key, cert: server.cert, ca };
  const shell = (name: string) => startProviderProcess({ dir, name, tls, command: '/bin/sh', args: ['-c', `PROVIDER=${name} exec sh`] });
  [providers.p1, providers.p2, providers.flood] = await Promise.all([
    shell('p1'),
    shell('p2'),
    startProviderProcess({ dir, name: 'flood', tls, command: '/bin/sh', args: ['-c', 'exec yes 0123456789abcdefghijklmnopqrstuvwxyz'] }),
  ]);
  kube = await startKubeApi({
    tls: { key: server.key, cert: server.cert },
    callerToken: 'sa-token',
    tokens: { [TOKEN]: { username: 'alice', groups: ['system:authenticated'] } },
    objects: [
      machineObject('default', 'm1', 'pool1'),
      machineObject('default', 'm2', 'pool2'),
      machineObject('default', 'flood', 'pool3'),
      pool('pool1', providers.p1!.port),
      pool('pool2', providers.p2!.port),
      pool('pool3', providers.flood!.port),
    ],
  });
  const file = (name: string, content: Buffer | string) => (writeFileSync(join(dir, name), content), join(dir, name));
  const kubeconfig = file('kubeconfig', JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: kube.url, 'certificate-authority': file('ca.crt', ca) } }],
    users: [{ name: 'u', user: { token: 'sa-token' } }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
  gateway = await startCommand([
    'gateway', '--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig,
    '--tls-cert', file('gw.crt', server.cert), '--tls-key', file('gw.key', server.key),
    '--provider-ca', join(dir, 'ca.crt'), '--provider-cert', file('client.crt', client.cert), '--provider-key', file('client.key', client.key),
    '--shutdown-grace', '1s',
  ], 'gateway listening');
});

t.teardown(async () => {
  await Promise.all([gateway?.kill(), ...Object.values(providers).map((p) => p.kill())]);
  await kube?.close();
  rmSync(dir, { recursive: true, force: true });
});

function open(machine: string): SessionReader {
  const ws = new WebSocket(`wss://127.0.0.1:${gateway.port}${execPath('default', machine)}`, ['v5.channel.k8s.io'], {
    ca, headers: { authorization: `Bearer ${TOKEN}` },
  });
  return new SessionReader(ws);
}

async function echo(session: SessionReader, text: string): Promise<void> {
  session.send(0, `echo ${text}-$((1+1))\n`);
  await session.waitFor(`${text}-2`);
}

t.test('concurrent opens of one machine cost no GET: machines and pools come from the watch caches', async (t) => {
  const sessions = Array.from({ length: 20 }, () => open('m1'));
  await Promise.all(sessions.map((s) => s.opened()));
  await Promise.all(sessions.map((s, i) => echo(s, `s${i}`)));
  t.equal(kube.requestCount('/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/m1'), 0, 'no GET for 20 opens');
  t.equal(kube.requestCount('/apis/compute.ironcore.dev/v1alpha1/machinepools/pool1'), 0, 'pools come from the watch cache');
  for (const s of sessions) s.ws.close();
  await Promise.all(sessions.map((s) => s.closed));
});

t.test('a pool that moves is followed through the watch, without a GET', async (t) => {
  kube.setObject(pool('pool2', providers.p1!.port));
  const deadline = Date.now() + 10_000;
  let answer = '';
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 2100)); // past the gateway's 2 s machine cache
    const session = open('m2');
    await session.opened();
    session.send(0, 'echo "on-$PROVIDER"\n');
    await session.waitFor(/on-p\d/);
    answer = /on-(p\d)/.exec(session.output)![1]!;
    session.ws.close();
    if (answer === 'p1') break;
  }
  t.equal(answer, 'p1', 'sessions for pool2 now reach p1');
  t.equal(kube.requestCount('/apis/compute.ironcore.dev/v1alpha1/machinepools/pool2'), 0, 'no GET of the pool');
  kube.setObject(pool('pool2', providers.p2!.port));
});

t.test('a provider killed mid-session: its clients get a Status at once, others go on', async (t) => {
  await new Promise((r) => setTimeout(r, 2100));
  const doomed = open('m1');
  const survivor = open('m2');
  await Promise.all([doomed.opened(), survivor.opened()]);
  await Promise.all([echo(doomed, 'before'), echo(survivor, 'before')]);
  const killedAt = Date.now();
  await providers.p1!.kill('SIGKILL');
  await doomed.closed;
  const elapsed = Date.now() - killedAt;
  t.ok(elapsed < 1000, `Status and close within 1 s (${elapsed} ms)`);
  const status = JSON.parse(doomed.errorChannel);
  t.equal(status.status, 'Failure');
  t.match(status.message, /connection to provider 127\.0\.0\.1:\d+ lost/);
  await echo(survivor, 'after');
  survivor.ws.close();
  await survivor.closed;
});

function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match![1]) * 1024;
}

t.test('a client that stops reading holds bounded memory and slows nobody', async (t) => {
  const flood = open('flood');
  await flood.opened();
  await flood.waitFor('0123456789');
  const raw = (flood.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  raw.pause();
  await new Promise((r) => setTimeout(r, 500));
  const before = rssBytes(gateway.process.pid!);
  const interactive = open('m2');
  await interactive.opened();
  for (let i = 0; i < 10; i++) {
    const sent = Date.now();
    await echo(interactive, `tick${i}`);
    t.ok(Date.now() - sent < 2000, `echo ${i} answered while the reader is stalled`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const growth = rssBytes(gateway.process.pid!) - before;
  t.ok(growth < 32 * 1024 * 1024, `gateway RSS grew ${(growth / 1048576).toFixed(1)} MiB while a flood was unread`);
  raw.resume();
  flood.ws.terminate();
  interactive.ws.close();
  await interactive.closed;
});

t.test('SIGTERM: sessions get a Status after the grace period, then the gateway exits', async (t) => {
  const session = open('m2');
  await session.opened();
  await echo(session, 'last');
  gateway.process.kill('SIGTERM');
  await session.closed;
  const status = JSON.parse(session.errorChannel);
  t.equal(status.status, 'Failure');
  t.match(status.message, /shutting down/);
  const code = await new Promise((resolve) => gateway.process.once('exit', resolve));
  t.equal(code, 0, 'exits cleanly');
});
