// The operations flags on the real commands: --port-file on the gateway (with workers) and the
// provider, --audit-log-path written by the gateway's main thread for its workers, and --help
// saying both the port-file format and where the bound ports are logged.
import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseGatewayArgs } from '../../lib/cli/commands/gateway.js';
import { issueServerCert, makeCA } from '../fixtures/certs.js';
import { startKubeApi, type KubeApiFixture } from '../fixtures/kube-api.js';
import { startCommand, startProviderProcess } from '../fixtures/processes.js';
import WebSocket from 'ws';
import { ALICE, BOB, execPath, refusal } from '../fixtures/stack.js';

const MAIN = new URL('../../lib/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'ops-flags-'));
let kube: KubeApiFixture;
t.before(async () => {
  kube = await startKubeApi({
    callerToken: 'sa-token',
    tokens: { [ALICE]: { username: 'alice', groups: ['system:authenticated'] }, [BOB]: { username: 'bob' } },
    authorize: (spec) => spec.user === 'alice',
  });
});
t.teardown(async () => {
  await kube?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function fileAppears(path: string): Promise<string> {
  for (let i = 0; i < 200 && !existsSync(path); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  return readFileSync(path, 'utf8');
}

t.test('gateway --workers 2 --port-file --audit-log-path: one line per listener; the workers\' events in one file', async (t) => {
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: kube.url } }],
    users: [{ name: 'u', user: { token: 'sa-token' } }],
    contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
  const portFile = join(dir, 'gateway.ports');
  const auditFile = join(dir, 'audit.log');
  const gateway = await startCommand(
    ['gateway', '--listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--provider-insecure', '--workers', '2', '--port-file', portFile, '--audit-log-path', auditFile],
    'gateway workers listening',
  );
  t.teardown(() => gateway.kill());
  t.equal(await fileAppears(portFile), `public 127.0.0.1:${gateway.port}\n`);

  const open = (token: string) =>
    refusal(new WebSocket(`ws://127.0.0.1:${gateway.port}${execPath('default', 'ghost')}`, ['v5.channel.k8s.io'], { headers: { authorization: `Bearer ${token}` } }));
  const answers = await Promise.all([open(ALICE), open(BOB), open('forged')]);
  t.same(answers.map((a) => a.code), [404, 403, 401]);
  let events: { auditID: string; stage: string; user: { username?: string }; responseStatus?: { code: number } }[] = [];
  for (let i = 0; i < 200 && events.length < 6; i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    events = existsSync(auditFile) ? readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : [];
  }
  t.equal(events.length, 6, 'two events (received, complete) per refused open, whole lines');
  const completes = events.filter((e) => e.stage === 'ResponseComplete').map((e) => [e.user.username ?? '', e.responseStatus?.code]);
  t.same(completes.sort(), [['', 401], ['alice', 404], ['bob', 403]]);
  t.notMatch(readFileSync(auditFile, 'utf8'), new RegExp(`${ALICE}|${BOB}|forged|sa-token`), 'no token in the audit log');
});

t.test('provider --port-file names its listener', async (t) => {
  const ca = await makeCA('ops CA');
  const server = await issueServerCert(ca);
  const portFile = join(dir, 'provider.ports');
  const provider = await startProviderProcess({ dir, name: 'p', tls: { key: server.key, cert: server.cert, ca: ca.cert }, command: '/bin/sh', flags: ['--port-file', portFile] });
  t.teardown(() => provider.kill());
  t.equal(await fileAppears(portFile), `provider 127.0.0.1:${provider.port}\n`);
});

t.test('--help says the port-file format and where the bound ports are logged', async (t) => {
  const help = async (command: string) => (await promisify(execFile)(process.execPath, [MAIN, command, '--help'])).stdout;
  const gateway = await help('gateway');
  t.match(gateway, /--port-file FILE\s+once every listener is up, write one line per listener: NAME HOST:PORT/);
  t.match(gateway, /names: public, requestheader, client-cert/);
  t.match(gateway, /"gateway listening" \{port\}/);
  for (const flag of ['--max-sessions', '--max-sessions-per-user', '--max-opens-per-second-per-user', '--max-bytes-per-second', '--audit-log-path', '--authentication-token-webhook-cache-ttl']) {
    t.match(gateway, flag, `gateway --help documents ${flag}`);
  }
  const provider = await help('provider');
  t.match(provider, /--port-file FILE\s+once the listener is up, write one line per listener: NAME HOST:PORT/);
  t.match(provider, /"provider listening" \{address, port\}/);
});

t.test('the review-cache, limit, bandwidth and audit flags: kube-apiserver\'s defaults, and clear errors', async (t) => {
  const parse = (...flags: string[]) => parseGatewayArgs(['--provider-insecure', ...flags]).config;
  t.match(parse(), {
    reviews: { tokenTtlMs: 120_000, allowedTtlMs: 300_000, deniedTtlMs: 30_000 },
    limits: { maxSessions: 0, maxSessionsPerUser: 0, maxOpensPerSecondPerUser: 0 },
    maxBytesPerSecond: 0,
  });
  t.notOk(parse().auditLog, 'no audit log unless asked');
  t.match(parse('--authentication-token-webhook-cache-ttl', '0s', '--authorization-webhook-cache-unauthorized-ttl', '1m', '--max-sessions-per-user', '3',
    '--max-bytes-per-second', '65536', '--audit-log-path', '-', '--audit-log-maxsize', '5', '--audit-log-maxbackup', '0'), {
    reviews: { tokenTtlMs: 0, deniedTtlMs: 60_000 },
    limits: { maxSessionsPerUser: 3 },
    maxBytesPerSecond: 65536,
    auditLog: { path: '-', maxBytes: 5 * 1024 * 1024, maxBackups: 0 },
  });
  t.throws(() => parse('--max-sessions', 'many'), { name: 'UsageError', message: '--max-sessions wants an integer of at least 0, got "many"' });
  t.throws(() => parse('--authorization-webhook-cache-authorized-ttl', 'forever'), { name: 'UsageError', message: /--authorization-webhook-cache-authorized-ttl wants a duration/ });
  t.throws(() => parse('--audit-log-path', 'a.log', '--audit-log-maxsize', '0'), { name: 'UsageError', message: /--audit-log-maxsize wants an integer of at least 1/ });
  t.equal(parseGatewayArgs(['--provider-insecure', '--port-file', '/run/ports']).portFile, '/run/ports');
});
