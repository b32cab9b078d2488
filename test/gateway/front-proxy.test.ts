// The aggregated-API request-header scheme: X-Remote-User is trusted on the front-proxy
// listener, where node:tls demands a certificate from the front-proxy CA, and nowhere else.
import t from 'tap';
import pino from 'pino';
import WebSocket from 'ws';
import { listenFrontProxy, type FrontProxyListener } from '../../lib/gateway/index.js';
import { issueClientCert, makeCA, type CertificateAuthority, type IssuedCert } from '../fixtures/certs.js';
import { SessionReader, connect, execPath, refusal, relayedIdentityGateway, startStack, type Stack } from '../fixtures/stack.js';
import { resumesSession } from '../fixtures/tls-session.js';

let stack: Stack;
let frontProxyCa: CertificateAuthority;
let proxyClient: IssuedCert;
let listener: FrontProxyListener;
let closeGateway: () => Promise<void>;

t.before(async () => {
  stack = await startStack();
  frontProxyCa = await makeCA('front-proxy CA');
  proxyClient = await issueClientCert(frontProxyCa, { cn: 'front-proxy-client' });
  const relayed = await relayedIdentityGateway(stack);
  listener = await listenFrontProxy(relayed.gateway, {
    host: '127.0.0.1', port: 0, key: relayed.server.key, cert: relayed.server.cert,
    clientCa: frontProxyCa.cert, allowedNames: ['front-proxy-client'], logger: pino({ level: 'silent' }),
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

function viaFrontProxy(user: string, cert?: IssuedCert, groups: string[] = []): WebSocket {
  const headers: Record<string, string | string[]> = { 'x-remote-user': user };
  if (groups.length) headers['x-remote-group'] = groups;
  return new WebSocket(`wss://127.0.0.1:${listener.port}${execPath('default', 'm1')}`, ['v5.channel.k8s.io'], {
    ca: stack.ca.cert, headers, ...(cert && { key: cert.key, cert: cert.cert }),
  });
}

function refusedHandshake(ws: WebSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.on('open', () => reject(new Error('connected without a front-proxy certificate')));
    ws.on('unexpected-response', () => reject(new Error('got an HTTP answer: TLS should have refused')));
    ws.on('error', (error) => resolve(error.message));
  });
}

t.test('the front proxy, with its certificate, speaks for the user in X-Remote-User', async (t) => {
  const session = new SessionReader(viaFrontProxy('alice', proxyClient, ['devs']));
  await session.opened();
  session.send(0, 'echo proxied-$((3*4))\n');
  await session.waitFor('proxied-12');
  session.ws.close();
  await session.closed;

  const { code, status } = await refusal(viaFrontProxy('bob', proxyClient));
  t.equal(code, 403, 'and the user is still authorized by SubjectAccessReview');
  t.match(status.message, /User "bob" cannot create/);
});

t.test('without a front-proxy certificate there is no connection at all', async (t) => {
  t.ok(await refusedHandshake(viaFrontProxy('alice')), 'no certificate');
  const otherCa = await makeCA('not the front proxy');
  t.ok(await refusedHandshake(viaFrontProxy('alice', await issueClientCert(otherCa, { cn: 'front-proxy-client' }))), 'a certificate from another CA');
  const wrongName = await issueClientCert(frontProxyCa, { cn: 'someone-else' });
  const ws = viaFrontProxy('alice', wrongName);
  await new Promise<void>((resolve) => {
    ws.on('open', () => t.fail('a certificate with a name not allowed connected'));
    ws.on('error', () => resolve());
    ws.on('close', () => resolve());
  });
  t.pass('a certificate whose name is not allowed is cut off');
});

t.test('no TLS session is resumed: kube-apiserver never would, and each ticket costs the handshake a sixth more', async (t) => {
  t.equal(await resumesSession(listener.port, { ca: stack.ca.cert, key: proxyClient.key, cert: proxyClient.cert }), false);
});

t.test('X-Remote-User on the public listener is ignored', async (t) => {
  const { code, status } = await refusal(connect(stack, 'default', 'm1', { headers: { 'x-remote-user': 'alice' } }));
  t.equal(code, 401);
  t.equal(status.message, 'Unauthorized');
});
