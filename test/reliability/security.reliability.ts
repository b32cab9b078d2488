// Security, against the gateway and provider processes: who gets in (no credentials, wrong
// tokens, another namespace, X-Remote-User headers the gateway must ignore, foreign origins),
// who may talk to a provider (client certificates), whom the gateway will talk to (the
// provider's certificate), what never reaches a log (tokens, console bytes), and slow or idle
// connections that must be cut off rather than held forever.
import t from 'tap';
import { randomBytes } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { LinkHandshakeError, connectLink } from '../../lib/link/index.js';
import { encodeBearerProtocol } from '../../lib/protocol/index.js';
import { issueClientCert, issueServerCert, makeCA } from '../fixtures/certs.js';
import type { RunningProcess } from '../fixtures/processes.js';
import { ConsoleClient, refused } from './fixtures/console-client.js';
import { startEchoDevice, type TcpServer } from './fixtures/tcp-servers.js';
import { FakeProvider } from './fixtures/fake-provider.js';
import { expectNoLeaks, footprint, type Footprint } from './fixtures/leak-check.js';
import { startProviderProcess } from './fixtures/provider-process.js';
import { RawConnection } from './fixtures/raw-connection.js';
import { upgradeRequest } from './fixtures/upgrade-request.js';
import { untilSessionsWork } from './fixtures/session-probe.js';
import { within } from './fixtures/wait.js';
import { ALICE, ALL_TOKENS, BOB, startWorld, type World } from './fixtures/world.js';

/** uWS's HTTP idle timeout is about 10 s; a connection that sends no whole request must be gone well within this. */
const IDLE_CUTOFF_MS = 20_000;
const WRONG_TOKENS = ['not-a-token', `${ALICE}x`, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl'];
/** Sent through sessions and searched for in every log: console bytes must never be logged. */
const CONSOLE_MARKER = `console-marker-${randomBytes(8).toString('hex')}`;

let world: World;
let device: TcpServer;
let provider: RunningProcess;
let impostor: FakeProvider;
let baseline: Footprint;

t.before(async () => {
  device = await startEchoDevice();
  world = await startWorld({
    machines: [['default', 'echo', 'echo-pool'], ['other', 'echo', 'echo-pool'], ['default', 'impostor', 'impostor-pool']],
  });
  provider = await startProviderProcess({ dir: world.dir, name: 'secure', pki: world.pki, device });
  const stranger = await issueServerCert(await makeCA('impostor CA'));
  impostor = await FakeProvider.start(stranger);
  world.setPool('echo-pool', provider.port);
  world.setPool('impostor-pool', impostor.port);
  await untilSessionsWork(world.gateway, 'echo');
  baseline = footprint(world.gateway);
});

t.teardown(async () => {
  await Promise.all([world?.close(), provider?.kill()]);
  await Promise.all([device?.close(), impostor?.close()]);
});

t.test('no credentials, wrong credentials, or rights elsewhere: 401 or 403, never a console', async (t) => {
  const opensBefore = device.accepted;
  const cases: [string, Parameters<typeof refused>[3], number, RegExp][] = [
    ['no credentials', {}, 401, /^Unauthorized$/],
    ...WRONG_TOKENS.map((token): [string, Parameters<typeof refused>[3], number, RegExp] => [`a wrong token (${token.slice(0, 12)}...)`, { token }, 401, /^Unauthorized$/]),
    ['a wrong token as the bearer subprotocol', { token: 'not-a-token', bearerSubprotocol: true }, 401, /^Unauthorized$/],
    ['a malformed bearer subprotocol', { protocols: ['v5.channel.k8s.io', 'base64url.bearer.authorization.k8s.io.!!!'] }, 401, /^Unauthorized$/],
    ['a bearer subprotocol without a channel protocol', { protocols: [encodeBearerProtocol(ALICE)] }, 400, /no supported subprotocol offered/],
    ['Basic credentials', { headers: { authorization: `Basic ${Buffer.from(`alice:${ALICE}`).toString('base64')}` } }, 401, /^Unauthorized$/],
    ['an empty Bearer', { headers: { authorization: 'Bearer ' } }, 401, /^Unauthorized$/],
    ['a valid token, another namespace', { token: ALICE }, 403, /cannot create resource "machines\/exec" .* in the namespace "other"/],
    ['a valid token without the right', { token: BOB }, 403, /User "bob" cannot create resource "machines\/exec"/],
  ];
  for (const [name, options, code, message] of cases) {
    const namespace = name.includes('another namespace') ? 'other' : 'default';
    const { code: got, status } = await refused(world.gateway, namespace, 'echo', options);
    t.equal(got, code, `${name}: HTTP ${code}`);
    t.match(status.message, message, `${name}: ${status.message}`);
  }
  t.equal(device.accepted, opensBefore, 'no console was opened for any of them');
});

t.test('X-Remote-User and other front-proxy or impersonation headers are ignored', async (t) => {
  const proxyHeaders = {
    'x-remote-user': 'alice',
    'x-remote-group': 'system:masters',
    'x-remote-extra-scopes': 'all',
    'impersonate-user': 'alice',
    'impersonate-group': 'system:masters',
  };
  const alone = await refused(world.gateway, 'default', 'echo', { headers: proxyHeaders });
  t.equal(alone.code, 401, 'the headers alone: 401 (the gateway has no request-header authentication)');
  const withBob = await refused(world.gateway, 'default', 'echo', { token: BOB, headers: proxyHeaders });
  t.equal(withBob.code, 403, 'with bob\'s token: 403, bob stays bob');
  t.match(withBob.status.message, /User "bob"/);
  const raw = await RawConnection.open(world.gateway.port, world.gateway.ca);
  raw.write(upgradeRequest({ headers: ['X-Remote-User: alice', 'X-Remote-Group: system:masters'] }));
  await raw.until(() => raw.statusCode !== undefined);
  t.equal(raw.statusCode, 401, 'the same over a raw connection: 401');
  raw.destroy();
});

t.test('browsers from a foreign Origin are refused; the gateway\'s own origin is served', async (t) => {
  for (const origin of ['https://evil.example', 'null', `https://127.0.0.1:${world.gateway.port}.evil.example`, `http://127.0.0.1:${world.gateway.port + 1}`]) {
    // A browser sends its token in the subprotocol: a page cannot set Authorization.
    const { code, status } = await refused(world.gateway, 'default', 'echo', { token: ALICE, bearerSubprotocol: true, headers: { origin } });
    t.equal(code, 403, `Origin ${origin}: 403`);
    t.match(status.message, /is not allowed to open consoles/);
  }
  // A program with its token in the Authorization header may send an Origin of its own
  // (Python's websocket-client does): no page could have made that request.
  const program = await ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE, headers: { origin: 'http://python-client.example' } });
  await program.echo(CONSOLE_MARKER);
  t.pass('a bearer header with a foreign Origin gets a console');
  program.ws.close();
  await program.closed;
  const own = await ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE, bearerSubprotocol: true, headers: { origin: `https://127.0.0.1:${world.gateway.port}` } });
  await own.echo(CONSOLE_MARKER);
  t.pass('the gateway\'s own origin, with the bearer subprotocol as a browser sends it, gets a console');
  own.ws.close();
  await own.closed;
});

t.test('a provider serves only clients with a certificate from its CA', async (t) => {
  const attempt = (tls: Parameters<typeof connectLink>[0]['tls']) =>
    connectLink({ host: '127.0.0.1', port: provider.port, tls, timeoutMs: 5000 }).then((link) => (link.destroy(), undefined), (error: unknown) => error);
  for (const [name, tls] of [
    ['no client certificate', { ca: world.pki.ca.cert }],
    ['a certificate from another CA', await issueClientCert(await makeCA('stranger CA'), { cn: 'ironcore-console-gateway' }).then((c) => ({ ca: world.pki.ca.cert, key: c.key, cert: c.cert }))],
  ] as const) {
    const error = await attempt(tls);
    t.type(error, LinkHandshakeError, `${name}: refused`);
    t.equal((error as LinkHandshakeError).statusCode, undefined, `${name}: in the TLS handshake, before any HTTP`);
  }
  t.equal(await attempt({ ca: world.pki.ca.cert, key: world.pki.gatewayClient.key, cert: world.pki.gatewayClient.cert }), undefined, 'the gateway\'s certificate is served');
  t.ok(provider.process.exitCode === null, 'the provider is still running');
});

t.test('the gateway will not talk to a provider whose certificate it does not trust', async (t) => {
  const { code, status } = await refused(world.gateway, 'default', 'impostor', { token: ALICE });
  t.equal(code, 503, 'HTTP 503');
  t.match(status.message, /provider 127\.0\.0\.1:\d+ is unreachable: .*(certificate|self.signed)/i, `${status.message}`);
  t.equal(impostor.linksAccepted, 0, 'no link was established with the impostor');
});

t.test('slow and idle connections are cut off, not held', async (t) => {
  const request = upgradeRequest({ token: ALICE });
  const trickle = await RawConnection.open(world.gateway.port, world.gateway.ca);
  let sent = 0;
  // One byte a second: a slowloris. Bounded: it stops at the cutoff whatever happens.
  const trickling = setInterval(() => sent < request.length && trickle.write(request[sent++]!), 1000);
  const silentTls = await RawConnection.open(world.gateway.port, world.gateway.ca);
  const silentTcp = netConnect(world.gateway.port, '127.0.0.1');
  silentTcp.on('error', () => {});
  const tcpClosed = new Promise<number>((resolve) => silentTcp.once('close', () => resolve(Date.now())));
  const idle = await Promise.all(Array.from({ length: 100 }, () => RawConnection.open(world.gateway.port, world.gateway.ca)));
  const started = Date.now();
  const [trickleClosed, silentClosed, idleClosed] = await Promise.all([
    trickle.closedWithin(IDLE_CUTOFF_MS),
    silentTls.closedWithin(IDLE_CUTOFF_MS),
    Promise.all(idle.map((connection) => connection.closedWithin(IDLE_CUTOFF_MS))),
  ]);
  clearInterval(trickling);
  t.ok(trickleClosed, `slowloris (a byte a second): cut off after ${trickle.closedAfterMs} ms, ${sent} of ${request.length} bytes in`);
  t.ok(silentClosed, `TLS done, then silence: cut off after ${silentTls.closedAfterMs} ms`);
  t.ok(idleClosed.every(Boolean), `100 idle connections: all cut off (the last after ${Math.max(...idle.map((c) => c.closedAfterMs ?? Infinity))} ms)`);
  const tcpCut = await within(tcpClosed, Math.max(0, IDLE_CUTOFF_MS - (Date.now() - started)));
  t.ok(tcpCut !== undefined, `TCP connected, no TLS handshake: cut off${tcpCut ? ` after ${tcpCut - started} ms` : ''}`);
  silentTcp.destroy();
  await expectNoLeaks(t, world.gateway, baseline);
});

t.test('no token and no console byte ever reaches a log', async (t) => {
  const session = await ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE });
  await session.echo(`${CONSOLE_MARKER}-again`);
  session.ws.close();
  await session.closed;
  const logs = [...world.gateway.logs, ...provider.logs].join('\n');
  t.match(world.gateway.logs.join('\n'), /"msg":"console session opened"/, 'the gateway did log sessions (the search is not vacuous)');
  t.match(world.gateway.logs.join('\n'), /"msg":"console open refused"/, 'and refusals');
  const secrets = [...ALL_TOKENS, ...WRONG_TOKENS, encodeBearerProtocol(ALICE), encodeBearerProtocol('not-a-token'), Buffer.from(`alice:${ALICE}`).toString('base64')];
  t.same(secrets.filter((secret) => logs.includes(secret)), [], `none of ${secrets.length} tokens (valid, wrong, encoded) in any log`);
  t.notOk(logs.includes(CONSOLE_MARKER), 'no console bytes in any log');
  t.comment(`${world.gateway.logs.length} gateway and ${provider.logs.length} provider log lines searched`);
});
