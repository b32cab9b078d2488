import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { LinkHandshakeError, connectLink } from '../../lib/link/index.js';
import { LINK_PATH, LINK_UPGRADE, encodeFrame } from '../../lib/protocol/index.js';
import { startLinkServer } from './fixtures/link-pair.js';

/** A raw TCP server answering every request with `answer` (or never, when undefined), then ending unless `end` is false. */
async function rawServer(t: Test, answer?: string | Buffer, end = true): Promise<AddressInfo> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => {
      if (answer === undefined) return;
      if (end) socket.end(answer);
      else socket.write(answer);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return server.address() as AddressInfo;
}

/** Sends `request` to the server and returns the whole answer. */
async function rawRequest(address: AddressInfo, request: string): Promise<string> {
  const socket = connect(address.port, address.address);
  socket.end(request);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'close');
  return Buffer.concat(chunks).toString();
}

t.test('a link is established over TLS and carries frames both ways', async (t) => {
  const server = await startLinkServer(t, true);
  const accepted = server.nextLink();
  const client = await connectLink({ host: '127.0.0.1', port: server.address.port, tls: server.clientTls, timeoutMs: 5000 });
  t.teardown(() => client.destroy());
  const serverLink = await accepted;
  const got = new Promise((resolve) => serverLink.onFrame(resolve));
  client.onFrame(() => {});
  client.send({ stream: 1, kind: 'credit', credit: { bytes: 7 } });
  t.match(await got, { stream: 1, kind: 'credit', credit: { bytes: 7 } });
});

t.test('a request for another path is refused with 404 and its Status message', async (t) => {
  const server = await startLinkServer(t, false);
  const answer = await rawRequest(server.address, 'GET /elsewhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: console.ironcore.dev/v1\r\n\r\n');
  t.match(answer, /^HTTP\/1\.1 404 Not Found\r\n/);
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
  t.match(body, { kind: 'Status', status: 'Failure', code: 404, reason: 'NotFound' });
});

t.test('a wrong Upgrade or method is refused with a Status body', async (t) => {
  const server = await startLinkServer(t, false);
  const wrongUpgrade = await rawRequest(server.address, `GET ${LINK_PATH} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
  t.match(wrongUpgrade, /^HTTP\/1\.1 400 Bad Request\r\n/);
  t.match(wrongUpgrade, /"message":"the link endpoint needs \\"Upgrade: console.ironcore.dev\/v1\\"/);
  const post = await rawRequest(server.address, `POST ${LINK_PATH} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: console.ironcore.dev/v1\r\n\r\n`);
  t.match(post, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
});

for (const reuseReadBuffer of [false, true]) {
  t.test(`connectLink reports an HTTP refusal with the status line and the Status message (reuseReadBuffer ${reuseReadBuffer})`, async (t) => {
    const status = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'no links today', reason: 'Forbidden', code: 403 });
    const address = await rawServer(t, `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${status.length}\r\n\r\n${status}`);
    const error = await connectLink({ host: '127.0.0.1', port: address.port, tls: false, timeoutMs: 5000, reuseReadBuffer }).catch((e: unknown) => e);
    t.type(error, LinkHandshakeError);
    t.equal((error as LinkHandshakeError).statusCode, 403);
    t.equal((error as LinkHandshakeError).status?.message, 'no links today');
    t.match((error as Error).message, /refused: HTTP 403 Forbidden: no links today/);
  });
}

t.test('connectLink refuses a 101 to another protocol', async (t) => {
  const address = await rawServer(t, 'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
  await t.rejects(connectLink({ host: '127.0.0.1', port: address.port, tls: false, timeoutMs: 5000 }), /upgraded to "websocket"/);
});

t.test('connectLink times out when the server never answers', async (t) => {
  const address = await rawServer(t);
  const started = Date.now();
  await t.rejects(connectLink({ host: '127.0.0.1', port: address.port, tls: false, timeoutMs: 200 }), /handshake timed out after 200 ms/);
  t.ok(Date.now() - started < 2000);
});

t.test('connectLink reports a refused connection', async (t) => {
  const unused = createServer();
  unused.listen(0, '127.0.0.1');
  await once(unused, 'listening');
  const port = (unused.address() as AddressInfo).port;
  unused.close();
  await t.rejects(connectLink({ host: '127.0.0.1', port, tls: false, timeoutMs: 5000 }), /ECONNREFUSED/);
});

for (const reuseReadBuffer of [false, true]) {
  t.test(`frame bytes that arrive in the same packet as the 101 are decoded (client side, reuseReadBuffer ${reuseReadBuffer})`, async (t) => {
    const frame = encodeFrame({ stream: 1, kind: 'credit', credit: { bytes: 9 } });
    const answer = `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${LINK_UPGRADE}\r\n\r\n`;
    const address = await rawServer(t, Buffer.concat([Buffer.from(answer), frame]), false);
    const client = await connectLink({ host: '127.0.0.1', port: address.port, tls: false, timeoutMs: 5000, reuseReadBuffer });
    t.teardown(() => client.destroy());
    const got = await new Promise((resolve) => client.onFrame(resolve));
    t.match(got, { stream: 1, kind: 'credit', credit: { bytes: 9 } });
  });
}

t.test('frame bytes sent in the same packet as the request are decoded (server side)', async (t) => {
  const server = await startLinkServer(t, false);
  const accepted = server.nextLink();
  const socket = connect(server.address.port, server.address.address);
  t.teardown(() => socket.destroy());
  const request = `GET ${LINK_PATH} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: ${LINK_UPGRADE}\r\n\r\n`;
  socket.write(Buffer.concat([Buffer.from(request), encodeFrame({ stream: 3, kind: 'credit', credit: { bytes: 5 } })]));
  const link = await accepted;
  const got = await new Promise((resolve) => link.onFrame(resolve));
  t.match(got, { stream: 3, kind: 'credit', credit: { bytes: 5 } });
});
