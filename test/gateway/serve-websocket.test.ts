// Gateway.serveWebsocket: an exec websocket upgrade that node:http parsed, served in this process
// (as the front-proxy and client-certificate listeners do) with the rules of the uWS path:
// admission before the 101 (a refusal is an HTTP Status), the channel protocols both ways, a
// client that breaks its protocol ends with 400 on the error channel, and a drain's Status
// reaches the client before its connection closes.
import t from 'tap';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import type { Gateway } from '../../lib/gateway/index.js';
import { SessionReader, execPath, refusal, relayedIdentityGateway, startStack, type Stack } from '../fixtures/stack.js';

const EXEC = /^\/apis\/compute\.ironcore\.dev\/v1alpha1\/namespaces\/([^/]+)\/machines\/([^/]+)\/exec/;

let stack: Stack;
let gateway: Gateway;
let server: Server;
let closeGateway: () => Promise<void>;

t.before(async () => {
  stack = await startStack();
  const relayed = await relayedIdentityGateway(stack);
  gateway = relayed.gateway;
  server = createServer();
  server.on('upgrade', (req, socket, head) => {
    const [, namespace, machine] = EXEC.exec(req.url ?? '') ?? [];
    gateway.serveWebsocket(req, socket, head, namespace!, machine!);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closeGateway = async () => {
    server.closeAllConnections();
    server.close();
    await relayed.close();
  };
});
t.teardown(async () => {
  await closeGateway?.();
  await stack?.close();
});

function open(user: string | undefined, protocol = 'v5.channel.k8s.io'): WebSocket {
  const { port } = server.address() as AddressInfo;
  return new WebSocket(`ws://127.0.0.1:${port}${execPath('default', 'm1')}`, [protocol], { headers: user ? { 'x-remote-user': user } : {} });
}

t.test('a session runs both ways and its end is the Status on the error channel', async (t) => {
  const session = new SessionReader(open('alice'));
  await session.opened();
  t.equal(session.ws.protocol, 'v5.channel.k8s.io', 'the negotiated subprotocol');
  session.send(0, 'echo served-$((6*7))\n');
  await session.waitFor('served-42');
  session.send(0, 'exit\n');
  await session.closed;
  t.match(session.errorChannel, /"status":"Success"/);
});

t.test('the base64 protocol is framed as text', async (t) => {
  const session = new SessionReader(open('alice', 'base64.channel.k8s.io'), true);
  await session.opened();
  t.equal(session.ws.protocol, 'base64.channel.k8s.io');
  session.send(0, 'echo in-base64-$((3*3))\n');
  await session.waitFor('in-base64-9');
  session.ws.close();
  await session.closed;
});

t.test('a refused open is an HTTP Status, before any upgrade', async (t) => {
  const refused = await refusal(open(undefined));
  t.equal(refused.code, 401);
  t.equal(refused.status.code, 401);
});

t.test('a message the client may not send ends the session with 400 on the error channel', async (t) => {
  const session = new SessionReader(open('alice'));
  await session.opened();
  session.ws.send(Buffer.from([1, 0x61]));
  await session.closed;
  t.match(session.errorChannel, /channel 1 is not writable by the client/);
  t.match(session.errorChannel, /"code":400/);
});

t.test('a drain ends the session with the shutdown Status, which the client takes before the close', async (t) => {
  const session = new SessionReader(open('alice'));
  await session.opened();
  session.send(0, 'echo before-drain\n');
  await session.waitFor('before-drain');
  const closed = session.closed.then(() => session.errorChannel);
  await gateway.drain(0);
  t.equal(gateway.sessions, 0);
  t.match(await closed, /"code":503/);
});
