// Users with client certificates, as kube-apiserver's x509 authenticator takes them (CN the user,
// O the groups), on their own node:https listener that relays to the gateway: the identity is the
// certificate's, whatever X-Remote-* headers the client sends, and the CLI works with a
// kubeconfig that holds a client certificate.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { listenClientCertificates, type ClientCertListener } from '../../lib/gateway/index.js';
import { cliEnv, runCli, tempDir, writeKubeconfig } from '../client/fixtures/cli.js';
import { issueClientCert, makeCA, type CertificateAuthority, type IssuedCert } from '../fixtures/certs.js';
import { SessionReader, execPath, refusal, relayedIdentityGateway, startStack, type Stack } from '../fixtures/stack.js';
import { resumesSession } from '../fixtures/tls-session.js';

let stack: Stack;
let usersCa: CertificateAuthority;
let alice: IssuedCert;
let bob: IssuedCert;
let listener: ClientCertListener;
let closeGateway: () => Promise<void>;

t.before(async () => {
  stack = await startStack();
  usersCa = await makeCA('users CA');
  alice = await issueClientCert(usersCa, { cn: 'alice', org: ['devs'] });
  bob = await issueClientCert(usersCa, { cn: 'bob' });
  const relayed = await relayedIdentityGateway(stack);
  listener = await listenClientCertificates(relayed.gateway, {
    host: '127.0.0.1', port: 0, key: relayed.server.key, cert: relayed.server.cert, clientCa: usersCa.cert, logger: pino({ level: 'silent' }),
  });
  closeGateway = async () => {
    await listener.close();
    await relayed.close();
  };
});
t.teardown(async () => {
  await closeGateway?.();
  await stack?.close();
});

function withCertificate(cert: IssuedCert | undefined, headers: Record<string, string> = {}): WebSocket {
  return new WebSocket(`wss://127.0.0.1:${listener.port}${execPath('default', 'm1')}`, ['v5.channel.k8s.io'], {
    ca: stack.ca.cert, headers, ...(cert && { key: cert.key, cert: cert.cert }),
  });
}

t.test('a client certificate is the user: CN and O, authorized by SubjectAccessReview', async (t) => {
  const session = new SessionReader(withCertificate(alice));
  await session.opened();
  session.send(0, 'echo by-cert-$((5*5))\n');
  await session.waitFor('by-cert-25');
  session.ws.close();
  await session.closed;

  const { code, status } = await refusal(withCertificate(bob));
  t.equal(code, 403);
  t.match(status.message, /User "bob" cannot create/);
});

t.test('X-Remote-* headers from the client are replaced by the certificate\'s identity', async (t) => {
  const { code, status } = await refusal(withCertificate(bob, { 'X-Remote-User': 'alice', 'X-Remote-Group': 'devs' }));
  t.equal(code, 403, 'bob stays bob');
  t.match(status.message, /User "bob" cannot create/);
});

t.test('no certificate, or one from another CA, gets no connection at all', async (t) => {
  const otherCa = await makeCA('not the users CA');
  for (const [what, cert] of [['no certificate', undefined], ['another CA', await issueClientCert(otherCa, { cn: 'alice', org: ['devs'] })]] as const) {
    const ws = withCertificate(cert);
    const outcome = await new Promise<string>((resolve) => {
      ws.on('open', () => resolve('opened'));
      ws.on('unexpected-response', () => resolve('an HTTP answer'));
      ws.on('error', () => resolve('refused'));
    });
    t.equal(outcome, 'refused', what);
  }
});

t.test('no TLS session is resumed: kubectl never would, and each ticket costs the handshake a sixth more', async (t) => {
  t.equal(await resumesSession(listener.port, { ca: stack.ca.cert, key: alice.key, cert: alice.cert }), false);
});

t.test('plain requests are relayed one at a time on a kept-alive connection', async (t) => {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.teardown(() => agent.destroy());
  const get = (path: string) =>
    new Promise<{ code: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: listener.port, path, ca: stack.ca.cert, key: alice.key, cert: alice.cert, agent }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  t.same(await get('/healthz'), { code: 200, body: 'ok' });
  const missing = await get('/nothing/here');
  t.equal(missing.code, 404);
  t.match(JSON.parse(missing.body), { kind: 'Status', code: 404 });
});

t.test('the CLI with a client certificate in its kubeconfig', async (t) => {
  const dir = tempDir('client-cert-cli-');
  t.teardown(() => dir.remove());
  const file = (name: string, content: Buffer): string => (writeFileSync(join(dir.path, name), content), join(dir.path, name));
  const kubeconfig = writeKubeconfig(dir.path, 'kubeconfig', {
    server: `https://127.0.0.1:${listener.port}`,
    ca: stack.ca.cert,
    users: { alice: { 'client-certificate': file('alice.crt', alice.cert), 'client-key': file('alice.key', alice.key) } },
    contexts: { alice: { user: 'alice' } },
  });
  const result = await runCli(['exec', 'm1', '--kubeconfig', kubeconfig, '--idle-exit', '2s'], { env: cliEnv(dir.path), input: 'echo cli-cert-$((6*6))\n' });
  t.match(result.stdout, /cli-cert-36/);
  t.equal(result.code, 0, result.stderr);
});
