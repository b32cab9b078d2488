// The HTTP front relays websockets to the gateway's private uWS app. Bulk output to a client
// that reads slowly keeps the private app's socket under backpressure, where this uWS build lost
// bytes mid-frame on a unix socket: every byte must arrive, in order, through every front.
import t, { type Test } from 'tap';
import pino from 'pino';
import WebSocket from 'ws';
import { listenFrontProxy } from '../../lib/gateway/index.js';
import { FRONT_KEY_HEADER } from '../../lib/gateway/front-key.js';
import { listenPrivateApp } from '../../lib/gateway/private-app.js';
import type { ConsoleBackend, ConsoleStream } from '../../lib/provider/index.js';
import { issueClientCert, makeCA } from '../fixtures/certs.js';
import { SessionReader, connect, execPath, relayedIdentityGateway, startStack, type Stack } from '../fixtures/stack.js';

const CHUNK = 64 * 1024;
const TOTAL = 8 * 1024 * 1024;
// A pattern whose period (251, a prime) no frame size divides, so a lost or repeated piece shows.
const EXPECTED = Buffer.from(Array.from({ length: TOTAL }, (_, i) => i % 251)).toString('latin1');

/** A console that prints TOTAL bytes of the pattern in CHUNK pieces as fast as it may, then ends. */
const bulkBackend: ConsoleBackend = {
  async open(): Promise<ConsoleStream> {
    let onData: (chunk: Buffer) => void = () => {};
    let onEnd: (end: { exitCode: number }) => void = () => {};
    let sent = 0;
    let paused = false;
    let closed = false;
    const pump = () => {
      while (!paused && !closed && sent < TOTAL) {
        onData(Buffer.from(EXPECTED.slice(sent, sent + CHUNK), 'latin1'));
        sent += CHUNK;
      }
      if (sent >= TOTAL && !closed) {
        closed = true;
        onEnd({ exitCode: 0 });
      }
    };
    return {
      write: () => true,
      end() {},
      pause: () => void (paused = true),
      resume() {
        paused = false;
        setImmediate(pump);
      },
      onData(handler) {
        onData = handler;
        setImmediate(pump);
      },
      onDrain() {},
      onEnd: (handler) => void (onEnd = handler),
      onError() {},
      close: () => void (closed = true),
    };
  },
};

let stack: Stack;
t.before(async () => {
  stack = await startStack({ backend: bulkBackend, listenMode: 'split' });
});
t.teardown(() => stack?.close());

/** Reads the whole session, stopping for a moment every few messages, as a slow terminal does. */
async function readSlowly(ws: WebSocket): Promise<SessionReader> {
  const session = new SessionReader(ws);
  ws.on('error', () => {}); // a broken stream fails the checks below
  let messages = 0;
  ws.on('message', () => {
    if (++messages % 16 !== 0) return;
    ws.pause();
    setTimeout(() => ws.resume(), 3);
  });
  await session.closed;
  return session;
}

function intact(t: Test, session: SessionReader): void {
  t.equal(session.rawStdout.length, EXPECTED.length, 'every byte arrived');
  t.ok(session.rawStdout === EXPECTED, 'in order, none changed');
  t.match(JSON.parse(session.errorChannel), { status: 'Success' }, 'and the session ended with Success');
}

t.test('bulk output through the public listener\'s front reaches a slow reader intact', async (t) => {
  intact(t, await readSlowly(connect(stack, 'default', 'm1', { token: 'alice-token', query: 'stdin=false&tty=true' })));
});

t.test('bulk output through the front-proxy listener reaches a slow reader intact', async (t) => {
  const frontProxyCa = await makeCA('front-proxy CA');
  const proxyClient = await issueClientCert(frontProxyCa, { cn: 'front-proxy-client' });
  const relayed = await relayedIdentityGateway(stack);
  const listener = await listenFrontProxy(relayed.gateway, {
    host: '127.0.0.1', port: 0, key: relayed.server.key, cert: relayed.server.cert,
    clientCa: frontProxyCa.cert, allowedNames: [], logger: pino({ level: 'silent' }),
  });
  t.teardown(async () => {
    await listener.close();
    await relayed.close();
  });
  const ws = new WebSocket(`wss://127.0.0.1:${listener.port}${execPath('default', 'm1', 'stdin=false&tty=false')}`, ['v5.channel.k8s.io'], {
    ca: stack.ca.cert, key: proxyClient.key, cert: proxyClient.cert,
    // A client's own front key is dropped, not passed on beside the front's.
    headers: { 'x-remote-user': 'alice', 'x-remote-group': 'devs', [FRONT_KEY_HEADER]: 'guessed' },
  });
  intact(t, await readSlowly(ws));
});

t.test('the private app behind a front answers only requests that carry its key', async (t) => {
  const relayed = await relayedIdentityGateway(stack);
  const app = await listenPrivateApp(relayed.gateway);
  t.teardown(async () => {
    app.close();
    await relayed.close();
  });
  const direct = (headers: Record<string, string>) =>
    new WebSocket(`ws://127.0.0.1:${app.port}${execPath('default', 'm1', 'stdin=false&tty=false')}`, ['v5.channel.k8s.io'], { headers });
  const claimed = direct({ 'x-remote-user': 'alice', 'x-remote-group': 'devs' });
  const error = await new Promise<Error>((resolve) => {
    claimed.on('open', () => resolve(new Error('opened')));
    claimed.on('unexpected-response', () => resolve(new Error('answered')));
    claimed.on('error', resolve);
  });
  t.match(error.message, /socket hang up|ECONNRESET/, 'an identity claimed without the key: the connection is cut, nothing answered');
  const keyed = direct({ 'x-remote-user': 'alice', 'x-remote-group': 'devs', [FRONT_KEY_HEADER]: app.key });
  intact(t, await readSlowly(keyed));
});
