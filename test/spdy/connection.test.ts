// SpdyConnection on real TCP sockets, driven by a raw peer that writes frames byte by byte as
// it likes (good ones with the codec, bad ones by hand) and reads what comes back.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import net, { type AddressInfo } from 'node:net';
import { constants, deflateSync } from 'node:zlib';
import {
  SPDY_HEADER_DICTIONARY,
  SpdyFrameDecoder,
  SpdyGoAwayStatus,
  SpdyHeaderCompressor,
  SpdyProtocolError,
  SpdyRstStatus,
  encodeSpdyDataHeader,
  encodeSpdyGoAway,
  encodeSpdyPing,
  encodeSpdySynStream,
  type SpdyFrame,
} from '../../lib/protocol/index.js';
import { SpdyConnection, type SpdyConnectionOptions, type SpdyStream } from '../../lib/spdy/index.js';

interface ServerSide {
  connection: SpdyConnection;
  streams: SpdyStream[];
  closed: Promise<Error | undefined>;
}

/** A server whose connections are SpdyConnections, and a raw peer connected to it. */
async function setup(t: Test, options: Partial<SpdyConnectionOptions> = {}, onStream: (stream: SpdyStream) => void = (s) => s.reply()) {
  const sides: ServerSide[] = [];
  const server = net.createServer((socket) => {
    const connection = new SpdyConnection(socket, { role: 'server', ...options });
    const side: ServerSide = { connection, streams: [], closed: new Promise((resolve) => connection.onClose(resolve)) };
    connection.onStream((stream) => {
      side.streams.push(stream);
      onStream(stream);
    });
    sides.push(side);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  const peer = () => rawPeer(port, t);
  const first = await peer();
  await waitUntil(() => sides.length > 0);
  return { peer, first, sides, server };
}


/** A peer that writes raw bytes and decodes whatever the server sends. */
async function rawPeer(port: number, t: Test) {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  t.teardown(() => socket.destroy());
  const decoder = new SpdyFrameDecoder();
  const frames: SpdyFrame[] = [];
  let ended = false;
  socket.on('data', (chunk) => frames.push(...decoder.push(chunk)));
  socket.on('close', () => (ended = true));
  socket.on('error', () => {});
  return {
    socket,
    frames,
    compressor: new SpdyHeaderCompressor(),
    send: (bytes: Buffer) => socket.write(bytes),
    frame: <K extends SpdyFrame['type']>(type: K, match: (f: Extract<SpdyFrame, { type: K }>) => boolean = () => true) =>
      waitUntil(() => frames.find((f) => f.type === type && match(f as Extract<SpdyFrame, { type: K }>)) as Extract<SpdyFrame, { type: K }> | undefined),
    closed: () => waitUntil(() => ended),
  };
}

async function waitUntil<T>(probe: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${probe.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const u32 = (n: number) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
};

function synStreamWithBlock(streamId: number, block: Buffer): Buffer {
  const head = Buffer.from([0x80, 3, 0, 1, 0, 0, 0, 0]);
  head.writeUInt32BE(10 + block.length, 4);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt32BE(streamId, 0);
  return Buffer.concat([head, fixed, block]);
}

const data = (streamId: number, payload: Buffer, fin = false) => Buffer.concat([encodeSpdyDataHeader(streamId, payload.length, fin), payload]);

t.test('garbage gets GOAWAY PROTOCOL_ERROR and closes only that connection', async (t) => {
  const { first, sides, peer } = await setup(t);
  first.send(Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]));
  const goaway = await first.frame('goaway');
  t.equal(goaway.status, SpdyGoAwayStatus.PROTOCOL_ERROR);
  await first.closed();
  const error = await sides[0]!.closed;
  t.type(error, SpdyProtocolError);
  t.match(error?.message, /version 2/);
  const second = await peer();
  second.send(encodeSpdyPing(1));
  t.same(await second.frame('ping'), { type: 'ping', id: 1 }, 'the next connection is served');
});

t.test('stream ids must increase and be the client\'s parity', async (t) => {
  for (const [name, ids] of [['reuse', [1, 1]], ['decrease', [5, 3]], ['even from a client', [2]]] as const) {
    const { first, sides } = await setup(t);
    for (const id of ids) first.send(encodeSpdySynStream(id, { streamtype: 'stdin' }, first.compressor));
    const goaway = await first.frame('goaway');
    t.equal(goaway.status, SpdyGoAwayStatus.PROTOCOL_ERROR, name);
    t.match((await sides[0]!.closed)?.message, /ids must increase and be odd/, name);
    await first.closed();
  }
});

t.test('an oversized frame and a zlib bomb each end their connection with GOAWAY', async (t) => {
  const oversized = await setup(t, { maxFrameSize: 4096 });
  oversized.first.send(encodeSpdyDataHeader(1, 5000));
  t.equal((await oversized.first.frame('goaway')).status, SpdyGoAwayStatus.PROTOCOL_ERROR);
  t.match((await oversized.sides[0]!.closed)?.message, /5000 bytes exceeds the limit of 4096/);

  const bomb = await setup(t);
  const block = deflateSync(Buffer.concat([u32(1), u32(1), Buffer.from('a'), u32(8 << 20), Buffer.alloc(8 << 20)]), {
    dictionary: SPDY_HEADER_DICTIONARY,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  bomb.first.send(synStreamWithBlock(1, block));
  t.equal((await bomb.first.frame('goaway')).status, SpdyGoAwayStatus.PROTOCOL_ERROR);
  t.match((await bomb.sides[0]!.closed)?.message, /inflates past/);
  t.equal(bomb.sides[0]!.streams.length, 0, 'no stream was created');
});

t.test('stream-level errors reset that stream and the connection goes on', async (t) => {
  const { first, sides } = await setup(t, { maxStreams: 2 });
  // A duplicate header name: the block inflates fine, so only stream 1 fails.
  const duplicate = Buffer.concat([u32(2), u32(1), Buffer.from('a'), u32(1), Buffer.from('1'), u32(1), Buffer.from('a'), u32(1), Buffer.from('2')]);
  first.send(synStreamWithBlock(1, deflateSync(duplicate, { dictionary: SPDY_HEADER_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH })));
  t.same(await first.frame('rst_stream'), { type: 'rst_stream', streamId: 1, status: SpdyRstStatus.PROTOCOL_ERROR }, 'bad header block');
  // Later blocks continue the zlib stream: the peer's next block is a raw deflate continuation.
  const compressor = new SpdyHeaderCompressor();
  compressor.compress({}); // the peer's first block (stream 1's) opened the zlib stream
  first.send(encodeSpdySynStream(3, { streamtype: 'stdin' }, compressor));
  first.send(encodeSpdySynStream(5, { streamtype: 'stdout' }, compressor));
  first.send(encodeSpdySynStream(7, { streamtype: 'stderr' }, compressor));
  t.same(await first.frame('rst_stream', (f) => f.streamId === 7), { type: 'rst_stream', streamId: 7, status: SpdyRstStatus.REFUSED_STREAM }, 'over maxStreams');
  await first.frame('syn_reply', (f) => f.streamId === 5);
  first.send(data(9, Buffer.from('x')));
  t.same(await first.frame('rst_stream', (f) => f.streamId === 9), { type: 'rst_stream', streamId: 9, status: SpdyRstStatus.INVALID_STREAM }, 'DATA on a stream never opened');
  first.send(data(3, Buffer.from('in'), true));
  first.send(data(3, Buffer.from('late')));
  t.same(await first.frame('rst_stream', (f) => f.streamId === 3), { type: 'rst_stream', streamId: 3, status: SpdyRstStatus.STREAM_ALREADY_CLOSED }, 'DATA after FIN');
  first.send(encodeSpdyPing(11));
  t.same(await first.frame('ping'), { type: 'ping', id: 11 }, 'the connection is alive');
  t.same(sides[0]!.streams.map((s) => s.header('streamtype')), ['stdin', 'stdout']);
});

t.test('pings: the peer\'s are echoed, ours resolve with the round trip', async (t) => {
  const { first, sides } = await setup(t);
  first.send(encodeSpdyPing(3));
  t.same(await first.frame('ping'), { type: 'ping', id: 3 });
  const rtt = sides[0]!.connection.ping();
  const ours = await first.frame('ping', (f) => f.id % 2 === 0);
  t.equal(ours.id, 2, 'a server pings with even ids');
  first.send(encodeSpdyPing(ours.id));
  t.ok((await rtt) >= 0);
});

t.test('a connection pings on its interval, with its own parity', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = new SpdyConnection(net.connect((server.address() as AddressInfo).port, '127.0.0.1'), { role: 'client', pingIntervalMs: 30 });
  t.teardown(() => client.destroy());
  const peer = await accepted;
  const decoder = new SpdyFrameDecoder();
  const pings: number[] = [];
  peer.on('data', (chunk) => {
    for (const frame of decoder.push(chunk)) {
      if (frame.type !== 'ping') continue;
      pings.push(frame.id);
      peer.write(encodeSpdyPing(frame.id));
    }
  });
  await waitUntil(() => pings.length >= 3);
  t.same(pings.slice(0, 3), [1, 3, 5], 'a client pings with odd ids');
  peer.destroy();
});

t.test('windows are granted as data arrives, for the stream and the session', async (t) => {
  const { first, sides } = await setup(t);
  first.send(encodeSpdySynStream(1, { streamtype: 'stdin' }, first.compressor));
  await first.frame('syn_reply');
  const received: Buffer[] = [];
  sides[0]!.streams[0]!.onData((chunk) => received.push(chunk));
  for (let i = 0; i < 5; i++) first.send(data(1, Buffer.alloc(8192, i)));
  t.same(await first.frame('window_update', (f) => f.streamId === 1), { type: 'window_update', streamId: 1, delta: 32768 });
  t.same(await first.frame('window_update', (f) => f.streamId === 0), { type: 'window_update', streamId: 0, delta: 32768 });
  await waitUntil(() => Buffer.concat(received).length === 40960);
});

t.test('a peer\'s GOAWAY closes the connection once its streams are done', async (t) => {
  const { first, sides } = await setup(t);
  first.send(encodeSpdySynStream(1, { streamtype: 'stdout' }, first.compressor));
  await first.frame('syn_reply');
  first.send(encodeSpdyGoAway(1, SpdyGoAwayStatus.OK));
  first.send(data(1, Buffer.alloc(0), true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.notOk(first.socket.readableEnded, 'still open while stream 1 is half open');
  sides[0]!.streams[0]!.write(Buffer.from('bye'), true);
  const last = await first.frame('data');
  t.same([last.data.toString(), last.fin], ['bye', true]);
  await first.closed();
  t.equal(await sides[0]!.closed, undefined, 'a clean close');
});

t.test('a peer that does not read cannot grow our buffers', async (t) => {
  const highWaterBytes = 16 * 1024;
  const { first, sides } = await setup(t, { highWaterBytes });
  first.socket.pause();
  first.send(encodeSpdySynStream(1, { streamtype: 'stdout' }, first.compressor));
  await waitUntil(() => sides[0]!.streams.length === 1);
  const stream = sides[0]!.streams[0]!;
  let writes = 0;
  while (stream.write(Buffer.alloc(4096)) && writes < 10_000) writes++;
  t.ok(writes < 10_000, `write() said false after ${writes} writes`);
  let drained = false;
  sides[0]!.connection.onDrain(() => (drained = true));
  // Pings the peer never reads the answers to: reading stops instead of buffering answers.
  const pings = Buffer.concat(Array.from({ length: 20_000 }, (_, i) => encodeSpdyPing(2 * i + 1)));
  const rounds = 100; // 24 MB: more than loopback's socket buffers can hold
  for (let i = 0; i < rounds; i++) first.send(pings);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const buffered = sides[0]!.connection.bufferedAmount;
  t.ok(buffered < 4 * highWaterBytes + 256 * 1024, `buffered ${buffered} bytes for ${rounds * pings.length} bytes of pings`);
  const read = (sides[0]!.connection.socket as net.Socket).bytesRead;
  t.ok(read < rounds * pings.length, `reading stopped after ${read} bytes`);
  first.socket.resume();
  await waitUntil(() => drained);
  t.pass('drain came once the peer read');
});

t.test('an idle connection is closed', async (t) => {
  const { first, sides } = await setup(t, { idleTimeoutMs: 150 });
  t.match((await sides[0]!.closed)?.message, /idle for 150 ms/);
  await first.closed();
});

t.test('two SpdyConnections: streams both ways, FIN half-closes, close() is clean on both sides', async (t) => {
  const { server } = await setup(t);
  server.removeAllListeners('connection');
  let serverConnection: SpdyConnection | undefined;
  server.on('connection', (socket) => {
    serverConnection = new SpdyConnection(socket, { role: 'server' });
    serverConnection.onStream((stream) => {
      stream.reply({ ok: 'yes' });
      stream.onData((chunk) => stream.write(Buffer.concat([Buffer.from('echo:'), chunk])));
      stream.onEnd(() => stream.end());
    });
  });
  const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  const client = new SpdyConnection(socket, { role: 'client' });
  const clientClosed = new Promise<Error | undefined>((resolve) => client.onClose(resolve));
  const stream = client.openStream({ streamtype: 'stdin' });
  t.equal(stream.id, 1, 'a client opens odd ids');
  const reply = await new Promise<Map<string, string[]>>((resolve) => stream.onReply(resolve));
  t.same([...reply], [['ok', ['yes']]]);
  const got: string[] = [];
  stream.onData((chunk) => got.push(chunk.toString()));
  const ended = new Promise<void>((resolve) => stream.onEnd(resolve));
  stream.write(Buffer.from('one'));
  stream.write(Buffer.from('two'), true);
  await ended;
  t.same(got.join(''), 'echo:oneecho:two');
  t.equal(client.openStream({ streamtype: 'x' }).id, 3);
  const serverClosed = new Promise<Error | undefined>((resolve) => serverConnection!.onClose(resolve));
  client.close();
  t.equal(await clientClosed, undefined);
  t.equal(await serverClosed, undefined, 'the server saw GOAWAY OK');
});

t.test('fuzz: whatever one peer sends, only its connection ends and the server serves the next', async (t) => {
  const { peer, sides, first } = await setup(t, { maxFrameSize: 4096 });
  first.socket.end();
  const compressor = new SpdyHeaderCompressor();
  const valid = Buffer.concat([
    encodeSpdySynStream(1, { streamtype: 'stdin' }, compressor),
    data(1, Buffer.from('payload')),
    encodeSpdySynStream(3, { streamtype: 'resize' }, compressor),
    encodeSpdyPing(5),
    data(3, Buffer.alloc(0), true),
  ]);
  const inputs = fc.oneof(
    fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
    fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }).map((flips) => {
      const copy = Buffer.from(valid);
      for (const [at, value] of flips) copy[at] = value;
      return copy;
    }),
  );
  await fc.assert(
    fc.asyncProperty(inputs, async (input) => {
      const before = sides.length;
      const attacker = await peer();
      attacker.send(input);
      attacker.socket.end();
      await waitUntil(() => sides.length > before);
      await sides[before]!.closed;
      return true;
    }),
    { numRuns: 60 },
  );
  const after = await peer();
  after.send(encodeSpdyPing(1));
  t.same(await after.frame('ping'), { type: 'ping', id: 1 }, 'still serving');
});
