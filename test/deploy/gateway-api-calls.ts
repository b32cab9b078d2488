// Runs the gateway as the Deployment runs it (runGateway, the `ironcore-console gateway`
// command's core) against the kube-apiserver fixture, through every path that reaches the
// API: startup (pool list + watch), sessions that open, users who are
// refused, a machine whose pool is not cached, a stale lookup retried after its provider
// could not be reached. What the API saw, as RBAC attributes, is what the gateway's
// ClusterRole must grant; what the gateway asked SubjectAccessReviews about is what users'
// roles must grant.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { stringify } from 'yaml';
import { runGateway } from '../../lib/gateway/run.js';
import { createProviderServer, createPtyBackend } from '../../lib/provider/index.js';
import { machineObject, machinePoolObject, startKubeApi, type AccessReviewSpec } from '../fixtures/kube-api.js';
import { startRecordingProxy } from './recording-proxy.js';
import { attribute, requestAttribute, type Attribute } from './request-attributes.js';

const SERVICE_ACCOUNT_TOKEN = 'gateway-service-account';
const USERS = {
  'alice-token': { username: 'alice', uid: 'u1', groups: ['system:authenticated'] },
  'legacy-token': { username: 'legacy', uid: 'u2', groups: ['system:authenticated'] },
  'bob-token': { username: 'bob', uid: 'u3', groups: ['system:authenticated'] },
};

export interface GatewayApiUse {
  /** RBAC attributes of every request the gateway sent to the API. */
  apiCalls: Set<Attribute>;
  /** Attributes the gateway asked SubjectAccessReviews about (what users need). */
  accessChecks: Set<Attribute>;
  /** Each scenario's result, 'open' or the refusal's HTTP status, to prove it got as far as meant. */
  outcomes: Record<string, 'open' | number>;
}

export async function observeGatewayApiUse(): Promise<GatewayApiUse> {
  const accessChecks = new Set<Attribute>();
  const deadPort = await unusedPort();
  const kube = await startKubeApi({
    callerToken: SERVICE_ACCOUNT_TOKEN,
    tokens: USERS,
    objects: [
      machineObject('default', 'm1', 'pool1'),
      machineObject('default', 'orphan', 'missing-pool'),
      machineObject('default', 'stale', 'dead-pool'),
      machinePoolObject('dead-pool', [{ type: 'InternalIP', address: '127.0.0.1' }], deadPort),
    ],
    // alice may `create` (the current rule); legacy only has the old `get`; bob nothing.
    authorize: (spec: AccessReviewSpec) => {
      const { group = '', resource = '', subresource, verb = '' } = spec.resourceAttributes ?? {};
      accessChecks.add(attribute(group, subresource ? `${resource}/${subresource}` : resource, verb));
      return (spec.user === 'alice' && verb === 'create') || (spec.user === 'legacy' && verb === 'get');
    },
  });
  const proxy = await startRecordingProxy(kube.url);
  const logger = pino({ level: 'silent' });
  const provider = createProviderServer({ backend: createPtyBackend({ command: '/bin/cat' }), tls: false, sharing: 'none', logger });
  const providerPort = (await provider.listen(0, '127.0.0.1')).port;
  kube.setObject(machinePoolObject('pool1', [{ type: 'InternalIP', address: '127.0.0.1' }], providerPort));

  const dir = mkdtempSync(join(tmpdir(), 'deploy-rbac-'));
  const kubeconfig = writeKubeconfig(join(dir, 'kubeconfig'), proxy.url);
  const gateway = await runGateway(
    {
      host: '127.0.0.1', port: 0, kubeconfig: { paths: [kubeconfig] }, provider: 'insecure', auth: 'kube',
      allowGetVerb: true, machineCacheTtlMs: 0, linksPerProvider: 1, upstream: 'link', listenMode: 'split', shutdownGraceMs: 0,
    },
    logger,
  );
  const base = `127.0.0.1:${gateway.server.port}`;
  try {
    // Ready means the pools are listed; both watches (pools, machines) follow at once, and must be on the record too.
    await until(async () => {
      const ready = await fetch(`http://${base}/readyz`);
      await ready.text();
      return ready.ok && kube.watchCount >= 2;
    });
    await Promise.all(['/healthz', '/metrics'].map((path) => fetch(`http://${base}${path}`).then((r) => r.text())));
    const outcomes: GatewayApiUse['outcomes'] = {};
    const scenarios: [string, string, string | undefined][] = [
      ['session', 'm1', 'alice-token'],
      ['legacy get verb', 'm1', 'legacy-token'],
      ['forbidden', 'm1', 'bob-token'],
      ['bad token', 'm1', 'wrong-token'],
      ['missing machine', 'nope', 'alice-token'],
      ['pool not cached', 'orphan', 'alice-token'],
      ['provider unreachable', 'stale', 'alice-token'],
    ];
    for (const [name, machine, token] of scenarios) outcomes[name] = await openConsole(`ws://${base}`, machine, token);
    return { apiCalls: new Set(proxy.requests.map((r) => requestAttribute(r.method, r.url))), accessChecks, outcomes };
  } finally {
    await gateway.stop();
    await provider.close(false);
    await proxy.close();
    await kube.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** 'open' once a byte sent on stdin came back from the console, else the refusal's status. */
function openConsole(base: string, machine: string, token: string | undefined): Promise<'open' | number> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const ws = new WebSocket(`${base}/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/${machine}/exec?stdin=true&tty=true`, ['v5.channel.k8s.io'], { headers });
  return new Promise((resolve, reject) => {
    ws.on('open', () => ws.send(Buffer.from('\0echo-me\n')));
    ws.on('message', (data: Buffer) => {
      if (data[0] === 1 && data.includes('echo-me')) {
        resolve('open');
        ws.close();
      }
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.on('error', reject);
  });
}

function writeKubeconfig(path: string, server: string): string {
  writeFileSync(path, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'fixture',
    clusters: [{ name: 'fixture', cluster: { server } }],
    users: [{ name: 'gateway', user: { token: SERVICE_ACCOUNT_TOKEN } }],
    contexts: [{ name: 'fixture', context: { cluster: 'fixture', user: 'gateway' } }],
  }));
  return path;
}

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the gateway did not get ready');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A port nothing listens on: a provider that is gone. */
async function unusedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
