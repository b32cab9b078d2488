// Bulk console output arrives whole at the clients whose sockets node writes (SPDY, and the
// websockets a front serves in process): the link lends its reads (they live in one reused
// buffer) and node's socket keeps what it is given until written, so those clients must send
// copies. Random bytes, checked by sha256, fast enough that the socket buffers.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import WebSocket from 'ws';
import { connectSpdyChannelPort } from '../../lib/spdy/index.js';
import { bulkBackend } from '../fixtures/bulk-backend.js';
import { ALICE, execPath, relayedIdentityGateway, startStack, type Stack } from '../fixtures/stack.js';

const BULK = randomBytes(16 * 1024 * 1024);
const BULK_SHA256 = createHash('sha256').update(BULK).digest('hex');

let stack: Stack;
t.before(async () => {
  stack = await startStack({ backend: bulkBackend(BULK) });
});
t.teardown(() => stack.close());

t.test('a SPDY client receives every byte of a bulk output', async (t) => {
  const port = await connectSpdyChannelPort({
    url: `https://127.0.0.1:${stack.gateway.port}${execPath('default', 'm1', 'stdout=true')}`,
    method: 'POST',
    tls: { ca: stack.ca.cert },
    headers: { Authorization: `Bearer ${ALICE}` },
    stdin: false,
    stdout: true,
    stderr: false,
    tty: false,
  });
  const hash = createHash('sha256');
  let received = 0;
  port.onMessage((message) => {
    if (message[0] !== 1) return;
    hash.update(message.subarray(1));
    received += message.length - 1;
  });
  await new Promise<void>((resolve) => port.onClose(() => resolve()));
  t.equal(received, BULK.length, 'every byte arrived');
  t.equal(hash.digest('hex'), BULK_SHA256, 'sha256 matches');
});

t.test('a websocket client of Gateway.serveWebsocket receives every byte of a bulk output', async (t) => {
  const relayed = await relayedIdentityGateway(stack);
  const server = createServer();
  server.on('upgrade', (req, socket, head) => relayed.gateway.serveWebsocket(req, socket, head, 'default', 'm1'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    server.close();
    await relayed.close();
  });
  const { port } = server.address() as AddressInfo;
  const ws = new WebSocket(`ws://127.0.0.1:${port}${execPath('default', 'm1', 'stdout=true')}`, ['v5.channel.k8s.io'], { headers: { 'x-remote-user': 'alice' } });
  const hash = createHash('sha256');
  let received = 0;
  ws.on('message', (data: Buffer) => {
    if (data[0] !== 1) return;
    hash.update(data.subarray(1));
    received += data.length - 1;
  });
  await new Promise((resolve) => ws.on('close', resolve));
  t.equal(received, BULK.length, 'every byte arrived');
  t.equal(hash.digest('hex'), BULK_SHA256, 'sha256 matches');
});
