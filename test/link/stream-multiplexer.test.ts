// The stream table and the credit rules both ends share, on a real link: the gateway's side
// opens, the provider's side accepts, and each side's streams run on CreditedStream.
import t from 'tap';
import {
  CreditedStream,
  MAX_DATA_PAYLOAD,
  MIN_STREAM_WINDOW,
  StreamMultiplexer,
  invalidStreamWindow,
  type LinkConnection,
  type MultiplexedStream,
} from '../../lib/link/index.js';
import type { Frame, OpenMessage } from '../../lib/protocol/index.js';
import { linkPair } from './fixtures/link-pair.js';
import { eventually } from './fixtures/wait.js';

/** A stream that keeps what reaches it, on the credit core. */
class RecordingStream implements MultiplexedStream {
  readonly frames: Frame[] = [];
  lost: Error | undefined | 'no' = 'no';
  readonly credited: CreditedStream;

  constructor(link: LinkConnection, readonly id: number, window: number) {
    this.credited = new CreditedStream(link, id, window);
  }

  receive(frame: Frame): void {
    this.frames.push(frame);
    if (frame.kind === 'credit') this.credited.credit(frame.credit.bytes ?? 0);
    if (frame.kind === 'data') this.credited.received(frame.data.length);
  }

  linkLost(error: Error | undefined): void {
    this.lost = error;
  }

  linkDrained(): void {
    this.credited.linkDrained();
  }
}

/** Every frame a raw link receives. */
function collect(link: LinkConnection): Frame[] {
  const frames: Frame[] = [];
  link.onFrame((frame) => frames.push(frame));
  return frames;
}

const OPEN: OpenMessage = { namespace: 'default', machine: 'm1', window: MIN_STREAM_WINDOW };

t.test('the opening end numbers its streams 1, 3, 5 and routes frames by id', async (t) => {
  const { client, server } = await linkPair(t);
  const opener = new StreamMultiplexer<RecordingStream>(client);
  const seen = collect(server);
  const streams = [0, 1, 2].map(() => opener.open((id) => new RecordingStream(client, id, MIN_STREAM_WINDOW)));
  t.same(streams.map((s) => s.id), [1, 3, 5]);
  t.equal(opener.size, 3);
  for (const stream of streams) server.send({ stream: stream.id, kind: 'resize', resize: { cols: stream.id, rows: 1 } });
  await eventually(() => streams.every((s) => s.frames.length === 1), 'a frame on each stream');
  streams.forEach((s) => t.match(s.frames[0], { kind: 'resize', resize: { cols: s.id } }));
  // A frame for a stream it does not have (an Open too: this end opens) is answered; a Close is not.
  opener.forget(3);
  server.send({ stream: 3, kind: 'credit', credit: { bytes: 1 } });
  server.send({ stream: 7, kind: 'open', open: OPEN });
  server.send({ stream: 9, kind: 'close', close: { code: 200 } });
  await eventually(() => seen.length >= 2, 'the answers');
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.match(seen, [
    { stream: 3, kind: 'close', close: { code: 400, reason: 'BadRequest', message: 'stream 3 is not open' } },
    { stream: 7, kind: 'close', close: { code: 400, message: 'stream 7 is not open' } },
  ]);
  t.equal(seen.length, 2, 'the Close is not answered');
});

t.test('the accepting end keeps the id rules and refuses what accept() refuses', async (t) => {
  const { client, server } = await linkPair(t);
  const accepted: RecordingStream[] = [];
  new StreamMultiplexer<RecordingStream>(server, {
    accept: (id, open, register) => {
      if (open.machine === 'refused') return 'machine refused';
      const stream = new RecordingStream(server, id, MIN_STREAM_WINDOW);
      register(stream);
      accepted.push(stream);
      return undefined;
    },
  });
  const seen = collect(client);
  client.send({ stream: 3, kind: 'open', open: OPEN });
  client.send({ stream: 1, kind: 'open', open: OPEN }); // lower than the last
  client.send({ stream: 4, kind: 'open', open: OPEN }); // even
  client.send({ stream: 5, kind: 'open', open: { ...OPEN, machine: 'refused' } });
  client.send({ stream: 5, kind: 'data', data: Buffer.from('\x00after the refusal') });
  client.send({ stream: 3, kind: 'data', data: Buffer.from('\x00hello') });
  await eventually(() => seen.length >= 4 && accepted[0]?.frames.length === 1, 'the answers');
  t.same(accepted.map((s) => s.id), [3]);
  t.same(accepted[0]!.frames, [{ stream: 3, kind: 'data', data: Buffer.from('\x00hello') }]);
  t.match(seen, [
    { stream: 1, kind: 'close', close: { code: 400, message: /odd stream ids, increasing, never reused \(last was 3\)/ } },
    { stream: 4, kind: 'close', close: { code: 400, message: /odd stream ids/ } },
    { stream: 5, kind: 'close', close: { code: 400, reason: 'BadRequest', message: 'machine refused' } },
    { stream: 5, kind: 'close', close: { code: 400, message: 'stream 5 is not open' } },
  ]);
});

t.test('a lost link ends every stream on both ends, once, after onGone', async (t) => {
  const { client, server } = await linkPair(t);
  const order: string[] = [];
  const opener = new StreamMultiplexer<RecordingStream>(client, { onGone: (_, streams) => order.push(`gateway gone with ${streams}`) });
  const accepted: RecordingStream[] = [];
  new StreamMultiplexer<RecordingStream>(server, {
    accept: (id, _, register) => {
      const stream = new RecordingStream(server, id, MIN_STREAM_WINDOW);
      register(stream);
      accepted.push(stream);
      return undefined;
    },
    onGone: (_, streams) => order.push(`provider gone with ${streams}`),
  });
  const opened = [0, 1].map(() => opener.open((id) => new RecordingStream(client, id, MIN_STREAM_WINDOW)));
  for (const stream of opened) client.send({ stream: stream.id, kind: 'open', open: OPEN });
  await eventually(() => accepted.length === 2, 'both streams accepted');
  server.socket.destroy();
  await eventually(() => [...opened, ...accepted].every((s) => s.lost !== 'no'), 'every stream told');
  t.same(order.sort(), ['gateway gone with 2', 'provider gone with 2']);
  t.equal(opener.size, 0);
  t.notOk(opener.canOpen, 'a lost link opens nothing');
  t.throws(() => opener.open((id) => new RecordingStream(client, id, MIN_STREAM_WINDOW)), /no more streams/);
});

t.test('a credited stream sends frames of at most half the window, whole, as credit allows', async (t) => {
  const { client, server } = await linkPair(t);
  const seen = collect(server);
  const sender = new CreditedStream(client, 1, MIN_STREAM_WINDOW);
  const window = 4096;
  sender.send(1, Buffer.alloc(5000, 0x61)); // before start: all of it waits
  t.equal(sender.waitingBytes, 5000);
  sender.start(window);
  await eventually(() => seen.length === 1, 'what the window allows');
  await new Promise((resolve) => setTimeout(resolve, 50));
  // A frame is half the window (2048 + the channel byte); the second would need 2049 of the
  // 2047 left, and frames are not cut to fit the credit: it waits.
  t.same(seen.map((f) => f.kind === 'data' && f.data.length), [2049]);
  t.equal(sender.waitingBytes, 5000 - 2048);
  t.equal(sender.credit(window), undefined);
  await eventually(() => sender.waitingBytes === 0, 'the rest after more credit');
  await eventually(() => seen.length === 3, 'three frames');
  t.same(seen.map((f) => f.kind === 'data' && f.data.length), [2049, 2049, 905]);
  t.ok(seen.every((f) => f.kind === 'data' && f.data[0] === 1), 'each frame has its channel byte');
  t.match(sender.credit(2 ** 31), { message: /flow control window overflow/ });
});

t.test('a credited stream returns credit in batches and checks what the peer sends', async (t) => {
  const { client, server } = await linkPair(t);
  const seen = collect(server);
  const receiver = new CreditedStream(client, 1, 4000);
  t.ok(receiver.received(4000));
  receiver.release(500);
  receiver.release(499);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.same(seen, [], 'nothing before a quarter window is consumed');
  receiver.release(1);
  await eventually(() => seen.length === 1, 'the batch');
  t.same(seen[0], { stream: 1, kind: 'credit', credit: { bytes: 1000 } });
  t.ok(receiver.received(1000), 'the returned credit may be used');
  t.notOk(receiver.received(1), 'a byte past the credit is flagged');
  receiver.close();
  receiver.release(4000);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(seen.length, 1, 'a closed stream returns no credit');
});

t.test('frames never pass MAX_DATA_PAYLOAD however large the window', async (t) => {
  const { client, server } = await linkPair(t);
  const seen = collect(server);
  const sender = new CreditedStream(client, 1, MIN_STREAM_WINDOW);
  sender.start(16 * MAX_DATA_PAYLOAD);
  sender.send(1, Buffer.alloc(3 * MAX_DATA_PAYLOAD + 5));
  await eventually(() => seen.length === 4, 'four frames');
  t.same(seen.map((f) => f.kind === 'data' && f.data.length - 1), [MAX_DATA_PAYLOAD, MAX_DATA_PAYLOAD, MAX_DATA_PAYLOAD, 5]);
});

t.test('a link whose socket is slow holds its high-water mark, not every window; the rest waits, in turn, and arrives whole', async (t) => {
  const highWater = 64 * 1024;
  const { client, server } = await linkPair(t, { tls: true, client: { writeHighWaterBytes: highWater } });
  const sender = new StreamMultiplexer<RecordingStream>(client);
  const perStream = 16 * 1024 * 1024;
  const received = new Map<number, number>();
  let whenTheFirstWasDone: number[] | undefined;
  server.onFrame((frame) => {
    if (frame.kind !== 'data') return;
    const count = (received.get(frame.stream) ?? 0) + frame.data.length - 1;
    received.set(frame.stream, count);
    if (count === perStream) whenTheFirstWasDone ??= streams.map((s) => received.get(s.id) ?? 0);
  });
  server.socket.pause(); // the receiver stops reading: the sender's socket fills up

  // Eight streams with 16 MiB of credit each: without the socket's mark, 128 MiB would sit in
  // the sender's socket buffer. One buffer for all (the link sends views), so the test holds 16 MiB.
  const output = Buffer.alloc(perStream, 0x61);
  const streams = Array.from({ length: 8 }, () => sender.open((id) => new RecordingStream(client, id, MIN_STREAM_WINDOW)));
  for (const stream of streams) {
    stream.credited.start(perStream + 1024);
    stream.credited.send(1, output);
  }
  let mostUnsent = client.socket.writableLength;
  const waiting = () => streams.reduce((n, s) => n + s.credited.waitingBytes, 0);
  // Let the kernel's buffers fill; the socket's unsent bytes never pass the mark and one frame.
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    mostUnsent = Math.max(mostUnsent, client.socket.writableLength);
  }
  t.ok(mostUnsent <= highWater + MAX_DATA_PAYLOAD + 64, `at most the mark and a frame unsent in the socket (${mostUnsent} bytes)`);
  t.ok(waiting() > 8 * perStream - 32 * 1024 * 1024, `the rest waits in the streams, not the socket (${waiting()} bytes)`);

  server.socket.resume();
  const allArrived = () => {
    mostUnsent = Math.max(mostUnsent, client.socket.writableLength);
    return streams.every((s) => received.get(s.id) === perStream);
  };
  await eventually(allArrived, () => `every stream's 16 MiB (${[...received.values()].join(', ')})`, 60_000);
  t.equal(waiting(), 0);
  t.ok(mostUnsent <= highWater + MAX_DATA_PAYLOAD + 64, 'and so while it drained');
  // Each drain starts with the next stream: they finish together, none waits for the others.
  t.ok(whenTheFirstWasDone!.every((n) => n >= perStream * 0.9), `when the first stream was done, the others had ${whenTheFirstWasDone!.map((n) => (n / perStream).toFixed(2)).join(', ')} of theirs`);
});

t.test('a stream window must be from MIN_STREAM_WINDOW to 2^31-1', async (t) => {
  t.equal(invalidStreamWindow('opened.window', MIN_STREAM_WINDOW), undefined);
  t.equal(invalidStreamWindow('opened.window', 2 ** 31 - 1), undefined);
  t.match(invalidStreamWindow('opened.window', MIN_STREAM_WINDOW - 1), /^opened.window must be from 1024 to 2147483647 bytes, got 1023$/);
  t.match(invalidStreamWindow('open.window', 2 ** 31), /got 2147483648/);
});
