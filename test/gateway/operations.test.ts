// What an operator sees: health, readiness, Prometheus metrics, and --workers sharing a port.
import t from 'tap';
import { request } from 'node:https';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ALICE, SessionReader, connect, refusal, startStack, type Stack } from '../fixtures/stack.js';
import { startCommand } from '../fixtures/processes.js';
import { parseGatewayArgs } from '../../lib/cli/commands/gateway.js';
import { issueServerCert } from '../fixtures/certs.js';

let stack: Stack;
t.before(async () => {
  stack = await startStack();
});
t.teardown(() => stack.close());

function get(port: number, path: string, ca: Buffer): Promise<{ code: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body, headers: res.headers }));
    }).on('error', reject).end();
  });
}

t.test('healthz, readyz and metrics', async (t) => {
  const port = stack.gateway.port;
  t.same(await get(port, '/healthz', stack.ca.cert).then((r) => [r.code, r.body]), [200, 'ok']);
  t.same(await get(port, '/readyz', stack.ca.cert).then((r) => [r.code, r.body]), [200, 'ok'], 'ready once the pool cache synced');

  const session = new SessionReader(connect(stack, 'default', 'm1', { token: ALICE }));
  await session.opened();
  session.send(0, 'echo metrics-$((2+2))\n');
  await session.waitFor('metrics-4');
  const during = (await get(port, '/metrics', stack.ca.cert)).body;
  t.match(during, /^ironcore_console_sessions_active 1$/m);
  t.match(during, /^ironcore_console_provider_links\{provider="127\.0\.0\.1:\d+"\} 1$/m);
  session.send(0, 'exit 0\n');
  await session.closed;
  await refusal(connect(stack, 'default', 'ghost', { token: ALICE }));

  const metrics = await get(port, '/metrics', stack.ca.cert);
  t.match(metrics.headers['content-type'], /text\/plain; version=0.0.4/);
  t.match(metrics.body, /^ironcore_console_sessions_active 0$/m);
  t.match(metrics.body, /^ironcore_console_sessions_total\{outcome="success"\} 1$/m);
  t.match(metrics.body, /^ironcore_console_sessions_total\{outcome="404"\} 1$/m);
  t.match(metrics.body, /^ironcore_console_bytes_total\{direction="in"\} \d+$/m);
  t.match(metrics.body, /^ironcore_console_open_seconds_count [1-9]/m);
  t.match(metrics.body, /^ironcore_console_lookup_seconds_bucket\{le="\+Inf"\} [1-9]/m);
});

for (const spdy of [false, true]) {
t.test(`--workers 2${spdy ? ' --listen-spdy' : ''}: two uWS apps in worker threads serve one port`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-workers-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer) => (writeFileSync(join(dir, name), content), join(dir, name));
  const kubeconfig = file('kubeconfig', JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: stack.kube.url, 'certificate-authority': file('ca.crt', stack.ca.cert) } }],
    users: [{ name: 'u', user: { token: 'gateway-sa-token' } }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
  const gateway = await startCommand(
    ['gateway', '--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--auth', 'none', '--provider-insecure', '--workers', '2', ...(spdy ? ['--listen-spdy'] : [])],
    'gateway workers listening',
  );
  t.teardown(() => gateway.kill());
  t.match(gateway.logs.join('\n'), /authentication and authorization are OFF/, '--auth=none warns loudly');
  const answers = await Promise.all(
    Array.from({ length: 20 }, () => new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${gateway.port}/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/ghost/exec`, ['v5.channel.k8s.io']);
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
    })),
  );
  t.same(new Set(answers), new Set([404]), 'every connection is served (a 404 Status for a missing machine)');
  t.equal(gateway.logs.filter((l) => l.includes('"msg":"gateway listening"')).length, 2, 'both workers listen');
  // With --listen-spdy the first worker's front relays to both workers' private apps.
  if (spdy) t.ok(gateway.logs.some((l) => l.includes('"msg":"gateway listening"') && l.includes('"privatePort"')), 'the second worker listens privately');
  gateway.process.kill('SIGTERM');
  const code = await new Promise((resolve) => gateway.process.once('exit', resolve));
  t.equal(code, 0, 'SIGTERM stops all workers and exits');
});
}

t.test('duration flags take Go durations, zero included, and refuse anything else', async (t) => {
  const parse = (...flags: string[]) => parseGatewayArgs(['--provider-insecure', ...flags]).config;
  t.match(parse('--shutdown-grace', '1m30s', '--machine-cache-ttl', '0s'), { shutdownGraceMs: 90_000, machineCacheTtlMs: 0 });
  t.throws(() => parse('--shutdown-grace', 'soon'), { name: 'UsageError', message: '--shutdown-grace wants a duration such as 500ms, 2s or 1m30s, got "soon"' });
  t.throws(() => parse('--machine-cache-ttl', '5'), { name: 'UsageError', message: /--machine-cache-ttl wants a duration/ });
});

t.test('--client-cert-listen needs the client CA and the gateway\'s certificate', async (t) => {
  const tls = ['--tls-cert', 'gw.crt', '--tls-key', 'gw.key'];
  t.match(parseGatewayArgs(['--provider-insecure', ...tls, '--client-ca', 'users.crt', '--client-cert-listen', '127.0.0.1:9443']).config, {
    clientCertificates: { host: '127.0.0.1', port: 9443, clientCaFile: 'users.crt' },
  });
  t.throws(() => parseGatewayArgs(['--provider-insecure', ...tls, '--client-cert-listen', ':9443']), { name: 'UsageError', message: /needs --client-ca/ });
  t.throws(() => parseGatewayArgs(['--provider-insecure', '--client-ca', 'users.crt', '--client-cert-listen', ':9443']), { name: 'UsageError', message: /--tls-cert/ });
  t.throws(() => parseGatewayArgs(['--provider-insecure', '--client-cert-listen', 'nowhere']), { name: 'UsageError', message: /wants HOST:PORT/ });
});

t.test('--workers 2 with a client-certificate listener: the first worker alone runs it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gateway-workers-relay-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer) => (writeFileSync(join(dir, name), content), join(dir, name));
  const serverCert = await issueServerCert(stack.ca);
  const kubeconfig = file('kubeconfig', JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: stack.kube.url, 'certificate-authority': file('ca.crt', stack.ca.cert) } }],
    users: [{ name: 'u', user: { token: 'gateway-sa-token' } }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
  // A fixed port: two threads cannot both listen on it, so only one may try.
  const relayPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const gateway = await startCommand(
    ['gateway', '--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--provider-insecure', '--workers', '2',
      '--tls-cert', file('gw.crt', serverCert.cert), '--tls-key', file('gw.key', serverCert.key),
      '--client-ca', file('users.crt', stack.ca.cert), '--client-cert-listen', `127.0.0.1:${relayPort}`],
    'gateway workers listening',
  );
  t.teardown(() => gateway.kill());
  // Worker threads' log lines reach stderr in their own time.
  const relayLogs = () => gateway.logs.filter((l) => l.includes('"msg":"client-certificate listener listening"'));
  for (let waited = 0; relayLogs().length === 0 && waited < 5000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(relayLogs().length, 1, 'one client-certificate listener');
  t.match(relayLogs()[0], `"port":${relayPort}`);
  t.notMatch(gateway.logs.join('\n'), /EADDRINUSE|gateway worker exited/);
});
