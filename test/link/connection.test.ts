import t from 'tap';
import { LinkClosedError, type LinkConnection } from '../../lib/link/index.js';
import { encodeData, encodeFrame, FrameError, type Frame } from '../../lib/protocol/index.js';
import { linkPair } from './fixtures/link-pair.js';
import { eventually } from './fixtures/wait.js';

function collect(link: LinkConnection): Frame[] {
  const frames: Frame[] = [];
  link.onFrame((frame) => frames.push(frame));
  return frames;
}

function closed(link: LinkConnection): Promise<Error | undefined> {
  return new Promise((resolve) => link.onClose(resolve));
}

t.test('sendData with a channel byte puts the same bytes on the wire as encodeData of [channel, ...payload]', async (t) => {
  const { client, server } = await linkPair(t);
  client.onFrame(() => {});
  const received: Buffer[] = [];
  server.socket.on('data', (chunk: Buffer) => received.push(chunk));
  server.socket.resume();
  const payload = Buffer.from([0x1d, 0x00, 0xff, 0x41]);
  client.sendData(300, payload, 1);
  client.sendData(5, Buffer.of(255, 0));
  const expected = Buffer.concat([...encodeData(300, Buffer.from([1, ...payload])), ...encodeData(5, Buffer.of(255, 0))]);
  await eventually(() => Buffer.concat(received).length >= expected.length, 'the frames');
  t.same(Buffer.concat(received), expected);
});

t.test('data frames keep their payload bytes exactly, across many writes in one tick', async (t) => {
  const { client, server } = await linkPair(t, { tls: true });
  client.onFrame(() => {});
  const frames = collect(server);
  const payloads = Array.from({ length: 100 }, (_, i) => Buffer.from(Array.from({ length: i * 37 }, (_, j) => (i + j) & 0xff)));
  payloads.forEach((payload, i) => client.sendData(2 * i + 1, payload));
  await eventually(() => frames.length === payloads.length, 'all frames');
  frames.forEach((frame, i) => t.same(frame, { stream: 2 * i + 1, kind: 'data', data: payloads[i] }, `frame ${i}`));
});

t.test('the decoder works when the wire delivers one byte at a time', async (t) => {
  const { client, server } = await linkPair(t, { tls: true });
  client.onFrame(() => {});
  const frames = collect(server);
  const sent: Frame[] = [
    { stream: 1, kind: 'open', open: { namespace: 'default', machine: 'm1', window: 65536, stdin: true } },
    { stream: 1, kind: 'data', data: Buffer.from('\x00hello') },
    { stream: 1, kind: 'resize', resize: { cols: 120, rows: 40 } },
  ];
  const bytes = Buffer.concat([encodeFrame(sent[0]!), ...encodeData(1, sent[1]!.kind === 'data' ? sent[1]!.data : Buffer.alloc(0)), encodeFrame(sent[2]!)]);
  const chunkSizes: number[] = [];
  server.socket.prependListener('data', (chunk: Buffer) => chunkSizes.push(chunk.length));
  for (const byte of bytes) {
    client.socket.write(Buffer.of(byte)); // each write is its own TLS record, read on its own
    await new Promise((resolve) => setImmediate(resolve));
  }
  await eventually(() => frames.length === 3, 'three frames');
  t.ok(chunkSizes.filter((size) => size === 1).length > bytes.length / 2, 'most chunks were one byte');
  t.match(frames[0], { stream: 1, kind: 'open', open: { machine: 'm1', window: 65536 } });
  t.same(frames[1], { stream: 1, kind: 'data', data: Buffer.from('\x00hello') });
  t.match(frames[2], { stream: 1, kind: 'resize', resize: { cols: 120, rows: 40 } });
});

t.test('a Ping on stream 0 is answered with a Pong and not delivered', async (t) => {
  const { client, server } = await linkPair(t);
  const serverFrames = collect(server);
  const clientSocketFrames: Buffer[] = [];
  client.socket.on('data', (chunk: Buffer) => clientSocketFrames.push(chunk));
  client.socket.resume();
  client.send({ stream: 0, kind: 'ping', ping: { nonce: 42 } });
  const pong = encodeFrame({ stream: 0, kind: 'pong', pong: { nonce: 42 } });
  await eventually(() => Buffer.concat(clientSocketFrames).equals(pong), 'the pong');
  t.same(serverFrames, []);
});

t.test('close() sends a link Close: the peer reports it as LinkClosedError and both sockets end', async (t) => {
  const { client, server } = await linkPair(t);
  client.onFrame(() => {});
  server.onFrame(() => {});
  const clientClosed = closed(client);
  const serverClosed = closed(server);
  server.close({ code: 503, reason: 'ServiceUnavailable', message: 'provider shutting down' });
  t.equal(await serverClosed, undefined);
  const error = await clientClosed;
  t.type(error, LinkClosedError);
  t.match((error as LinkClosedError).close, { code: 503, message: 'provider shutting down' });
  t.ok(client.socket.destroyed && server.socket.destroyed);
  t.notOk(client.isOpen);
  t.equal(client.send({ stream: 1, kind: 'credit', credit: { bytes: 1 } }), false, 'nothing is sent on a closed link');
});

t.test('a malformed frame destroys the link with a FrameError', async (t) => {
  const { client, server } = await linkPair(t);
  client.onFrame(() => {});
  server.onFrame(() => t.fail('no frame expected'));
  const serverClosed = closed(server);
  client.socket.write(Buffer.from([0x05, 0xff, 0xff, 0xff, 0xff, 0xff]));
  t.type(await serverClosed, FrameError);
});

t.test('an oversized frame destroys the link', async (t) => {
  const { client, server } = await linkPair(t, { server: { maxFrameSize: 1024 } });
  client.onFrame(() => {});
  server.onFrame(() => {});
  const serverClosed = closed(server);
  client.sendData(1, Buffer.alloc(2048));
  t.match(await serverClosed, { message: /exceeds the maximum of 1024/ });
});

t.test('a frame other than Ping, Pong or Close on stream 0 is a protocol error', async (t) => {
  const { client, server } = await linkPair(t);
  client.onFrame(() => {});
  server.onFrame(() => {});
  const serverClosed = closed(server);
  client.send({ stream: 0, kind: 'credit', credit: { bytes: 1 } });
  t.match(await serverClosed, { message: /credit frame on stream 0/ });
});

t.test('keepalive: a silent peer is detected within the ping timeout', async (t) => {
  const { client, server } = await linkPair(t, { client: { pingTimeoutMs: 300 } });
  client.onFrame(() => {});
  server.socket.pause(); // reads nothing, so it never answers Pings
  const started = Date.now();
  const error = await closed(client);
  t.match(error, { message: /link timed out/ });
  t.ok(Date.now() - started < 1500, 'detected promptly');
});

t.test('keepalive: Pings keep a quiet link alive past the timeout', async (t) => {
  const { client, server } = await linkPair(t, { client: { pingIntervalMs: 50, pingTimeoutMs: 400 } });
  client.onFrame(() => {});
  server.onFrame(() => {});
  let closedEarly = false;
  client.onClose(() => (closedEarly = true));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.notOk(closedEarly, 'still open after more than two timeouts');
  t.ok(client.isOpen);
  const serverClosed = closed(server);
  client.close();
  t.type(await serverClosed, LinkClosedError);
});

t.test('frames sent before the peer sets onFrame wait for it', async (t) => {
  const { client, server } = await linkPair(t);
  server.onFrame(() => {});
  server.send({ stream: 1, kind: 'credit', credit: { bytes: 1 } });
  server.send({ stream: 1, kind: 'credit', credit: { bytes: 2 } });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const frames = collect(client);
  await eventually(() => frames.length === 2, 'both frames');
  t.match(frames, [{ credit: { bytes: 1 } }, { credit: { bytes: 2 } }]);
});

t.test('the socket drains: writableNeedDrain and onDrain', async (t) => {
  const { client, server } = await linkPair(t);
  client.onFrame(() => {});
  server.socket.pause();
  const big = Buffer.alloc(1 << 20);
  let writes = 0;
  while (client.sendData(1, big)) writes++;
  t.ok(client.writableNeedDrain, `needs drain after ${writes + 1} MiB`);
  const drained = new Promise<void>((resolve) => client.onDrain(resolve));
  server.onFrame(() => {});
  await drained;
  t.notOk(client.writableNeedDrain);
});
