import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import t, { type Test } from 'tap';
import { LinkHandshakeError, connectLink } from '../../lib/link/index.js';
import { LINK_PATH, LINK_UPGRADE, encodeData, encodeFrame, type Frame } from '../../lib/protocol/index.js';
import { startLinkServer } from './fixtures/link-pair.js';

/** A raw TCP server that calls `onRequest` with each socket once its request arrived. */
async function rawServerWith(t: Test, onRequest: (socket: Socket) => void): Promise<AddressInfo> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('data', () => onRequest(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return server.address() as AddressInfo;
}

/** A raw TCP server answering every request with `answer` (or never, when undefined), then ending unless `end` is false. */
function rawServer(t: Test, answer?: string | Buffer, end = true): Promise<AddressInfo> {
  return rawServerWith(t, (socket) => {
    if (answer === undefined) return;
    if (end) socket.end(answer);
    else socket.write(answer);
  });
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

/** A raw TCP server that answers with `pieces`, one per turn of the event loop, then calls `then`. */
function trickleServer(t: Test, pieces: Buffer[], then?: (socket: Socket) => void): Promise<AddressInfo> {
  return rawServerWith(t, async (socket) => {
    for (const piece of pieces) {
      socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    then?.(socket);
  });
}

function pieces(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

for (const reuseReadBuffer of [false, true]) {
  t.test(`connectLink reads a refusal whose body runs to the end of the connection (no Content-Length) (reuseReadBuffer ${reuseReadBuffer})`, async (t) => {
    const address = await rawServer(t, 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n{"kind":"Status","code":503,"message":"draining"}');
    const error = await connectLink({ host: '127.0.0.1', port: address.port, tls: false, timeoutMs: 5000, reuseReadBuffer }).catch((e: unknown) => e);
    t.match(error, { statusCode: 503, status: { message: 'draining' }, message: /refused: HTTP 503 Service Unavailable: draining/ });
  });

  t.test(`an answer head a byte at a time, then a 200 KiB data frame in 7 KiB pieces: one frame, every byte in place (reuseReadBuffer ${reuseReadBuffer})`, async (t) => {
    const answer = Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${LINK_UPGRADE}\r\n\r\n`);
    const data = Buffer.from(Array.from({ length: 200 * 1024 }, (_, i) => (i * 7) & 0xff));
    const frame = Buffer.concat([...encodeData(3, data)]);
    const address = await trickleServer(t, [...pieces(answer, 1), ...pieces(frame, 7 * 1024)]);
    const client = await connectLink({ host: '127.0.0.1', port: address.port, tls: false, timeoutMs: 5000, reuseReadBuffer });
    t.teardown(() => client.destroy());
    const got = await new Promise<Frame>((resolve) => client.onFrame(resolve));
    t.equal(got.kind, 'data');
    t.ok(got.kind === 'data' && got.data.equals(data), 'the payload arrived whole and unchanged');
  });

  t.test(`a link that dies in the middle of a frame delivers no part of it and reports the loss (reuseReadBuffer ${reuseReadBuffer})`, async (t) => {
    const answer = Buffer.from(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${LINK_UPGRADE}\r\n\r\n`);
    const frame = Buffer.concat([...encodeData(3, Buffer.alloc(100 * 1024, 1))]);
    const address = await trickleServer(t, [answer, frame.subarray(0, 70 * 1024)], (socket) => socket.destroy());
    const client = await connectLink({ host: '127.0.0.1', port: address.port, tls: false, timeoutMs: 5000, reuseReadBuffer });
    const frames: Frame[] = [];
    client.onFrame((f) => frames.push(f));
    const error = await new Promise<Error | undefined>((resolve) => client.onClose(resolve));
    t.ok(error, `the link reports why it ended: ${error?.message}`);
    t.same(frames, []);
  });
}
