// SPDY/3.1 remotecommand on the gateway's exec endpoint, as client-go's SPDY executor speaks it
// (kubectl before 1.30, kubectl ironcore): the same session as a websocket one (auth, lookup,
// shared console, exit codes on the v4 error stream), on the public listener's front.
import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createKubeGateway } from '../../lib/gateway/kube-gateway.js';
import { listenGateway } from '../../lib/gateway/index.js';
import { connectSpdyChannelPort, type SpdyChannelPort } from '../../lib/spdy/index.js';
import { issueServerCert } from '../fixtures/certs.js';
import { ALICE, BOB, SessionReader, connect, execPath, startStack, type Stack } from '../fixtures/stack.js';

let stack: Stack;
t.before(async () => {
  // Shared consoles and a scrollback larger than the stream window (1 MiB): a SPDY client opens
  // its streams a round trip after the 101, so the whole replay arrives before it is attached.
  stack = await startStack({ sharing: 'shared', scrollbackBytes: 2 << 20 });
});
t.teardown(() => stack.close());

/** Output and the error stream of a SPDY session, as the client's channel port delivers them. */
class SpdyReader {
  output = '';
  errorStream = '';
  readonly closed: Promise<void>;
  private waiters: { text: string; resolve: () => void }[] = [];

  constructor(readonly port: SpdyChannelPort) {
    this.closed = new Promise((resolve) => port.onClose(() => resolve()));
    port.onMessage((message) => {
      if (message[0] === 1 || message[0] === 2) this.output += message.toString('utf8', 1);
      if (message[0] === 3) this.errorStream += message.toString('utf8', 1);
      this.waiters = this.waiters.filter((w) => (this.output.includes(w.text) ? (w.resolve(), false) : true));
    });
  }

  waitFor(text: string, timeoutMs = 15_000): Promise<void> {
    if (this.output.includes(text)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${text}; output: ${JSON.stringify(this.output.slice(-300))}`)), timeoutMs);
      this.waiters.push({ text, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  type(text: string): void {
    this.port.send(Buffer.concat([Buffer.of(0), Buffer.from(text)]));
  }
}

function spdy(machine: string, options: { token?: string; query?: string; port?: number; method?: 'POST' | 'GET' } = {}) {
  const port = options.port ?? stack.gateway.port;
  return connectSpdyChannelPort({
    url: `https://127.0.0.1:${port}${execPath('default', machine, options.query ?? 'stdin=true&stdout=true&tty=true')}`,
    method: options.method ?? 'POST',
    tls: { ca: stack.ca.cert },
    headers: { Authorization: `Bearer ${options.token ?? ALICE}` },
    stdin: true,
    stdout: true,
    stderr: false,
    tty: true,
  });
}

t.test('a SPDY session: output, resize, exit code on the v4 error stream', async (t) => {
  const reader = new SpdyReader(await spdy('m1'));
  t.equal(reader.port.protocol, 'v4.channel.k8s.io');
  reader.type('echo answer-$((6*7))\n');
  await reader.waitFor('answer-42');
  reader.port.send(Buffer.concat([Buffer.of(4), Buffer.from(JSON.stringify({ Width: 123, Height: 45 }))]));
  reader.type('stty size\n');
  await reader.waitFor('45 123');
  reader.type('exit 3\n');
  await reader.closed;
  t.match(JSON.parse(reader.errorStream), {
    status: 'Failure',
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
});

t.test('GET upgrades to SPDY too', async (t) => {
  const reader = new SpdyReader(await spdy('m2', { method: 'GET' }));
  reader.type('echo by-get-$((2*21))\n');
  await reader.waitFor('by-get-42');
  reader.port.close();
  await reader.closed;
  t.pass('served');
});

t.test('refusals before the upgrade are Status answers with their codes', async (t) => {
  const refused = async (machine: string, token: string) => {
    const error = await spdy(machine, { token }).then(() => undefined, (e: { code?: number; message: string }) => e);
    return { code: error?.code, message: error?.message ?? '' };
  };
  t.match(await refused('nope', ALICE), { code: 404, message: /nope/ });
  t.match(await refused('m1', BOB), { code: 403, message: /User "bob" cannot create resource "machines\/exec"/ });
  t.match(await refused('unscheduled', ALICE), { code: 400, message: /no machine pool/ });
});

t.test('a SPDY writer and a websocket viewer share one console', async (t) => {
  const writer = new SpdyReader(await spdy('m1'));
  writer.type('echo writer-$((3*3))\n');
  await writer.waitFor('writer-9');
  const viewer = new SessionReader(connect(stack, 'default', 'm1', { token: ALICE, query: 'stdin=true&tty=true&readOnly=true' }));
  await viewer.opened();
  writer.type('echo shared-$((7*6))\n');
  await viewer.waitFor('shared-42');
  viewer.send(0, 'echo from-viewer\n');
  await viewer.waitFor(/read-only/);
  writer.type('echo still-writer-$((1+1))\n');
  await writer.waitFor('still-writer-2');
  t.notMatch(writer.output, /from-viewer/, 'the viewer\'s input never reached the console');
  viewer.ws.close();
  writer.port.close();
  await Promise.all([viewer.closed, writer.closed]);
});

t.test('a SPDY session attached after a replay larger than its window keeps flowing', async (t) => {
  const first = new SpdyReader(await spdy('m2'));
  // 1.5 MiB of scrollback for the next session on this console: more than its stream window.
  first.type("head -c 1572864 /dev/zero | tr '\\0' x; echo; echo filled-$((1+1))\n");
  await first.waitFor('filled-2', 60_000);
  const late = new SpdyReader(await spdy('m2', { query: 'stdin=true&stdout=true&tty=true&takeover=true' }));
  await late.waitFor('filled-2', 60_000);
  late.type('echo after-replay-$((5*5))\n');
  await late.waitFor('after-replay-25', 30_000);
  t.pass('output after the replay arrived');
  late.port.close();
  first.port.close();
  await Promise.all([first.closed, late.closed]);
});

t.test('without --listen-spdy uWS owns the port and SPDY gets a 400 Status', async (t) => {
  const kubeGateway = createKubeGateway({
    kube: { server: stack.kube.url, ca: stack.ca.cert, token: () => 'gateway-sa-token' },
    providerTls: false,
    auth: 'kube',
    logger: pino({ level: 'silent' }),
  });
  const server = await issueServerCert(stack.ca);
  const dir = mkdtempSync(join(tmpdir(), 'ws-only-'));
  writeFileSync(join(dir, 'key.pem'), server.key);
  writeFileSync(join(dir, 'cert.pem'), server.cert);
  const listening = await listenGateway(kubeGateway.gateway, {
    host: '127.0.0.1', port: 0, mode: 'websocket', tls: { keyFile: join(dir, 'key.pem'), certFile: join(dir, 'cert.pem') },
  });
  t.teardown(async () => {
    await listening.shutdown(0);
    await kubeGateway.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const error = await spdy('m1', { port: listening.port }).then(() => undefined, (e: { code?: number; message: string }) => e);
  t.match(error, { code: 400, message: /an upgrade: a websocket .* or SPDY\/3.1/ });
});
