import t from 'tap';
import fc from 'fast-check';
import protobuf from 'protobufjs/minimal.js';
import {
  DEFAULT_MAX_FRAME_SIZE,
  FrameDecoder,
  FrameError,
  encodeData,
  encodeDataHeader,
  encodeFrame,
  schema,
  type Frame,
} from '../../lib/protocol/index.js';

/** What protobufjs itself writes for a length-delimited Frame. */
function protobufjsDelimited(message: Record<string, unknown>): Buffer {
  const bytes = schema.Frame.encode(message, protobuf.Writer.create().fork()).ldelim().finish();
  return Buffer.from(bytes);
}

function decodeAll(bytes: Buffer, chunkSizes: (i: number) => number, maxFrameSize?: number) {
  const frames: Frame[] = [];
  const errors: FrameError[] = [];
  const decoder = new FrameDecoder({ maxFrameSize, onFrame: (f) => frames.push(f), onError: (e) => errors.push(e) });
  for (let offset = 0, i = 0; offset < bytes.length; i++) {
    const size = Math.max(1, chunkSizes(i));
    decoder.push(bytes.subarray(offset, offset + size));
    offset += size;
  }
  return { frames, errors, decoder };
}

const everyKind: Frame[] = [
  {
    stream: 1,
    kind: 'open',
    open: {
      namespace: 'default', machine: 'm1', tty: true, cols: 80, rows: 24, window: 262144,
      takeover: true, readOnly: false, noReplay: true, stdin: true, replayFrom: 2 ** 40 + 7,
      user: { username: 'alice', uid: 'u1', groups: ['devs', 'system:authenticated'] },
    },
  },
  { stream: 1, kind: 'opened', opened: { window: 65536, writer: true, outputOffset: 2 ** 45 + 1 } },
  { stream: 3, kind: 'data', data: Buffer.from([1, 104, 105]) },
  { stream: 3, kind: 'resize', resize: { cols: 132, rows: 43 } },
  { stream: 5, kind: 'close', close: { code: 500, reason: 'NonZeroExitCode', message: 'exit 3', exitCode: 3 } },
  { stream: 5, kind: 'close', close: { code: 200, reason: '', message: '', exitCode: 0 } },
  { stream: 7, kind: 'credit', credit: { bytes: 131072 } },
  { stream: 0, kind: 'ping', ping: { nonce: 4294967295 } },
  { stream: 0, kind: 'pong', pong: { nonce: 7 } },
];

t.test('every message kind round-trips through encodeFrame and the decoder', async (t) => {
  for (const frame of everyKind) {
    const { frames, errors } = decodeAll(encodeFrame(frame), () => 1 << 20);
    t.same(errors, [], `${frame.kind}: no error`);
    t.equal(frames.length, 1);
    const got = frames[0]!;
    t.equal(got.kind, frame.kind);
    t.equal(got.stream, frame.stream);
    const value = (got as Record<string, unknown>)[got.kind] as Record<string, unknown>;
    const sent = (frame as Record<string, unknown>)[frame.kind] as Record<string, unknown>;
    if (Buffer.isBuffer(sent)) t.same(value, sent, 'data survives');
    else for (const key of Object.keys(sent)) t.same(value[key], sent[key], `${frame.kind}.${key} survives`);
  }
  // proto3 `optional`: an exit code of 0 is present, an absent one stays absent.
  const [withZero] = decodeAll(encodeFrame(everyKind[5]!), () => 64).frames;
  t.equal((withZero as Extract<Frame, { kind: 'close' }>).close.exitCode, 0);
  const [without] = decodeAll(encodeFrame({ stream: 9, kind: 'close', close: { code: 404 } }), () => 64).frames;
  t.notOk((without as Extract<Frame, { kind: 'close' }>).close.exitCode, 'no exit code when none was set');
  const [opened] = decodeAll(encodeFrame({ stream: 1, kind: 'opened', opened: { window: 1024 } }), () => 64).frames;
  t.equal((opened as Extract<Frame, { kind: 'opened' }>).opened.outputOffset, 0, 'an absent 64-bit field is the number 0, not a Long');
});

t.test('the data fast path is byte-identical to protobufjs', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 70000 }), (stream, payload) => {
      const [header, body] = encodeData(stream, payload);
      t.equal(body, payload, 'payload is passed through, not copied');
      const ours = Buffer.concat([header, body]);
      return ours.equals(protobufjsDelimited({ stream, data: payload }));
    }),
    { numRuns: 300 },
  );
  // The length-prefix and field-length boundaries of the varint encoding.
  for (const length of [0, 1, 127, 128, 16383, 16384, 2097151, 2097152]) {
    for (const stream of [0, 1, 127, 128, 16384, 0xffffffff]) {
      const payload = Buffer.alloc(length, 7);
      const ours = Buffer.concat(encodeData(stream, payload));
      t.ok(ours.equals(protobufjsDelimited({ stream, data: payload })), `stream ${stream}, ${length} B`);
    }
  }
});

t.test('a header with room: the same header, then the payload written in place', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.uint8Array({ maxLength: 2000 }), (stream, payload) => {
      const head = encodeDataHeader(stream, payload.length, payload.length);
      head.set(payload, head.length - payload.length);
      return head.equals(Buffer.concat(encodeData(stream, payload)));
    }),
    { numRuns: 300 },
  );
});

t.test('decoded data is a view into the received chunk, not a copy', async (t) => {
  const wire = Buffer.concat(encodeData(5, Buffer.from('\x01hello')));
  const { frames } = decodeAll(wire, () => wire.length);
  const frame = frames[0] as Extract<Frame, { kind: 'data' }>;
  t.equal(frame.data.buffer, wire.buffer, 'same ArrayBuffer');
  t.equal(frame.data.toString(), '\x01hello');
});

t.test('the decoder yields the same frames for every way of splitting the stream', async (t) => {
  const frames: Frame[] = [
    ...everyKind,
    { stream: 11, kind: 'data', data: Buffer.alloc(300, 9) },
    { stream: 0xffffffff, kind: 'data', data: Buffer.alloc(0) },
  ];
  const wire = Buffer.concat(frames.map((f) => (f.kind === 'data' ? Buffer.concat(encodeData(f.stream, f.data)) : encodeFrame(f))));
  const whole = decodeAll(wire, () => wire.length);
  t.equal(whole.frames.length, frames.length, 'many frames in one chunk');

  const oneByte = decodeAll(wire, () => 1);
  t.same(oneByte.errors, []);
  t.same(JSON.stringify(oneByte.frames), JSON.stringify(whole.frames), '1-byte chunks');

  for (let split = 1; split < wire.length; split++) {
    const sizes = [split, wire.length];
    const two = decodeAll(wire, (i) => sizes[i]!);
    if (JSON.stringify(two.frames) !== JSON.stringify(whole.frames)) t.fail(`split at ${split}`);
  }
  t.pass(`all ${wire.length - 1} two-way splits agree`);

  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }), (sizes) => {
      const random = decodeAll(wire, (i) => sizes[i % sizes.length]!);
      return random.errors.length === 0 && JSON.stringify(random.frames) === JSON.stringify(whole.frames);
    }),
    { numRuns: 200 },
  );
});

t.test('an oversized frame is an error for the link, reported once', async (t) => {
  const wire = Buffer.concat(encodeData(1, Buffer.alloc(2000)));
  const { frames, errors, decoder } = decodeAll(wire, () => 3, 1000);
  t.equal(frames.length, 0);
  t.equal(errors.length, 1);
  t.match(errors[0]!.message, /exceeds the maximum of 1000/);
  decoder.push(Buffer.concat(encodeData(1, Buffer.from('x'))));
  t.equal(errors.length, 1, 'a failed decoder stays failed and silent');
  t.equal(DEFAULT_MAX_FRAME_SIZE > 1 << 20, true, 'the default holds a 1 MiB payload');
});

t.test('malformed frames are reported, never thrown', async (t) => {
  const cases: [string, Buffer, RegExp][] = [
    ['length prefix longer than 5 bytes', Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), /length prefix/],
    ['body with an invalid wire type', Buffer.from([2, 0x0f, 0x00]), /malformed frame/],
    ['truncated field inside the body', Buffer.from([3, 0x22, 0x05, 0x01]), /malformed frame/],
    ['frame with no message', Buffer.from([2, 0x08, 0x01]), /no message/],
    ['empty frame', Buffer.from([0]), /no message/],
  ];
  for (const [name, bytes, expected] of cases) {
    const { frames, errors } = decodeAll(bytes, () => bytes.length);
    t.equal(frames.length, 0, name);
    t.equal(errors.length, 1, name);
    t.match(errors[0]!.message, expected, name);
  }
});

t.test('fuzz: random and mutated bytes never throw and always end in frames or one error', async (t) => {
  const valid = Buffer.concat([
    ...everyKind.map((f) => (f.kind === 'data' ? Buffer.concat(encodeData(f.stream, f.data)) : encodeFrame(f))),
  ]);
  let reported = 0;
  const run = (bytes: Uint8Array, chunk: number) => {
    const { errors, decoder } = decodeAll(Buffer.from(bytes), () => chunk, 4096);
    if (errors.length > 1) throw new Error('more than one error reported');
    if (errors.length === 1) reported++;
    return errors.length === 1 || decoder.pendingBytes >= 0;
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), fc.integer({ min: 1, max: 64 }), run), { numRuns: 3000 });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 64 }),
      (mutations, chunk) => {
        const bytes = Buffer.from(valid);
        for (const [at, value] of mutations) bytes[at] = value;
        return run(bytes, chunk);
      },
    ),
    { numRuns: 3000 },
  );
  t.ok(reported > 0, `errors were reported (${reported} inputs rejected)`);
});

t.test('reused chunks: the same frames for every split, each whole until the next push', async (t) => {
  const frames: Frame[] = [
    ...everyKind,
    { stream: 11, kind: 'data', data: Buffer.alloc(300, 9) },
    { stream: 13, kind: 'data', data: Buffer.alloc(5000, 7) },
    { stream: 15, kind: 'data', data: Buffer.alloc(70000, 3) },
    { stream: 17, kind: 'data', data: Buffer.alloc(4100, 5) },
  ];
  const wire = Buffer.concat(frames.map((f) => (f.kind === 'data' ? Buffer.concat(encodeData(f.stream, f.data)) : encodeFrame(f))));
  const expected = JSON.stringify(decodeAll(wire, () => wire.length).frames);
  // A socket reading into one buffer: each chunk is copied into it, and it is scribbled over
  // once the push has returned and the frames it delivered were checked.
  const decodeReused = (sizes: (i: number) => number): string | undefined => {
    const scratch = Buffer.alloc(wire.length);
    const seen: string[] = [];
    let delivered: { frame: Frame; json: string }[] = [];
    const decoder = new FrameDecoder({
      reusedChunks: true,
      onFrame: (frame) => delivered.push({ frame, json: JSON.stringify(frame) }),
      onError: (error) => {
        throw error;
      },
    });
    for (let offset = 0, i = 0; offset < wire.length; i++) {
      const size = Math.min(Math.max(1, sizes(i)), wire.length - offset);
      wire.copy(scratch, 0, offset, offset + size);
      decoder.push(scratch.subarray(0, size));
      offset += size;
      for (const { frame, json } of delivered) {
        if (JSON.stringify(frame) !== json) return `a frame changed before the next push (chunk ${i})`;
        seen.push(json);
      }
      delivered = [];
      scratch.fill(0xee);
    }
    const all = `[${seen.join(',')}]`;
    return all === expected ? undefined : `frames differ: ${all.slice(0, 200)}`;
  };
  for (const size of [1, 2, 3, 7, 100, 4096, 16384, 65536]) t.equal(decodeReused(() => size), undefined, `${size}-byte chunks`);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 20000 }), { minLength: 1, maxLength: 40 }), (sizes) => decodeReused((i) => sizes[i % sizes.length]!) === undefined),
    { numRuns: 300 },
  );
});
