import t, { type Test } from 'tap';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { constants, createDeflate, createInflate, deflateSync, type Deflate, type Inflate } from 'node:zlib';
import {
  SPDY_HEADER_DICTIONARY,
  SpdyFrameDecoder,
  SpdyGoAwayStatus,
  SpdyHeaderCompressor,
  SpdyHeaderDecompressor,
  SpdyProtocolError,
  SpdyRstStatus,
  encodeSpdyDataHeader,
  encodeSpdyGoAway,
  encodeSpdyHeaders,
  encodeSpdyNameValueBlock,
  encodeSpdyPing,
  encodeSpdyRstStream,
  encodeSpdySettings,
  encodeSpdySynReply,
  encodeSpdySynStream,
  encodeSpdyWindowUpdate,
  spdyDataAsChannelMessage,
  type SpdyFrame,
} from '../../lib/protocol/index.js';

const dataFrame = (streamId: number, payload: Buffer, fin = false) => Buffer.concat([encodeSpdyDataHeader(streamId, payload.length, fin), payload]);

/** A control frame with any type, version, flags and payload. */
function rawControl(type: number, payload: Buffer, flags = 0, version = 3): Buffer {
  const out = Buffer.alloc(8 + payload.length);
  out.writeUInt16BE(0x8000 | version, 0);
  out.writeUInt16BE(type, 2);
  out.writeUInt32BE(((flags << 24) | payload.length) >>> 0, 4);
  payload.copy(out, 8);
  return out;
}

/** A SYN_STREAM around an already compressed block. */
function rawSynStream(streamId: number, block: Buffer): Buffer {
  const payload = Buffer.alloc(10 + block.length);
  payload.writeUInt32BE(streamId, 0);
  block.copy(payload, 10);
  return rawControl(1, payload);
}

function throwsProtocolError(t: Test, fn: () => unknown, pattern: RegExp, name: string): void {
  try {
    fn();
    t.fail(`${name}: no error`);
  } catch (error) {
    t.type(error, SpdyProtocolError, name);
    t.match((error as Error).message, pattern, name);
    t.equal((error as SpdyProtocolError).streamId, undefined, `${name}: a session error`);
  }
}

t.test('the header dictionary is the spec\'s 1423 bytes', async (t) => {
  t.equal(SPDY_HEADER_DICTIONARY.length, 1423);
  t.equal(createHash('sha256').update(SPDY_HEADER_DICTIONARY).digest('hex'), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02');
});

t.test('every frame type round-trips through the decoder', async (t) => {
  const compressor = new SpdyHeaderCompressor();
  const decoder = new SpdyFrameDecoder();
  const wire = Buffer.concat([
    encodeSpdySynStream(1, { streamtype: 'error', multi: ['a', 'b'] }, compressor, { priority: 3, fin: false }),
    encodeSpdySynReply(2, { Upper: 'x' }, compressor, true),
    encodeSpdyHeaders(3, { a: '' }, compressor),
    dataFrame(1, Buffer.from('hello'), true),
    encodeSpdyRstStream(5, SpdyRstStatus.CANCEL),
    encodeSpdySettings([{ id: 7, flags: 1, value: 65536 }], true),
    encodeSpdyPing(9),
    encodeSpdyGoAway(7, SpdyGoAwayStatus.OK),
    encodeSpdyWindowUpdate(0, 32768),
  ]);
  const frames = decoder.push(wire);
  t.same(frames.map((f) => f.type), ['syn_stream', 'syn_reply', 'headers', 'data', 'rst_stream', 'settings', 'ping', 'goaway', 'window_update']);
  const [syn, reply, headers, data, rst, settings, ping, goaway, window] = frames as [
    Extract<SpdyFrame, { type: 'syn_stream' }>, Extract<SpdyFrame, { type: 'syn_reply' }>, Extract<SpdyFrame, { type: 'headers' }>,
    Extract<SpdyFrame, { type: 'data' }>, Extract<SpdyFrame, { type: 'rst_stream' }>, Extract<SpdyFrame, { type: 'settings' }>,
    Extract<SpdyFrame, { type: 'ping' }>, Extract<SpdyFrame, { type: 'goaway' }>, Extract<SpdyFrame, { type: 'window_update' }>,
  ];
  t.equal(syn.streamId, 1);
  t.equal(syn.priority, 3);
  t.same([...syn.headers], [['streamtype', ['error']], ['multi', ['a', 'b']]], 'multiple values travel NUL-joined');
  t.same([...reply.headers], [['upper', ['x']]], 'names are sent lower-case');
  t.ok(reply.fin);
  t.same([...headers.headers], [['a', ['']]], 'an empty value is allowed');
  t.same({ ...data, data: data.data.toString() }, { type: 'data', streamId: 1, fin: true, data: 'hello' });
  t.same(rst, { type: 'rst_stream', streamId: 5, status: SpdyRstStatus.CANCEL });
  t.same(settings, { type: 'settings', clear: true, settings: [{ id: 7, flags: 1, value: 65536 }] });
  t.same(ping, { type: 'ping', id: 9 });
  t.same(goaway, { type: 'goaway', lastGoodStreamId: 7, status: 0 });
  t.same(window, { type: 'window_update', streamId: 0, delta: 32768 });
});

t.test('header blocks share one zlib stream per direction, as a streaming zlib peer writes and reads it', async (t) => {
  // A real zlib stream on the other side, the way Go's compress/zlib keeps one per connection.
  const blocks = Array.from({ length: 40 }, (_, i) => ({ streamtype: ['error', 'stdin', 'stdout', 'stderr', 'resize'][i % 5]!, n: String(i), long: 'x'.repeat(i * 50) }));
  const peerDeflate = zlibPeer(createDeflate({ dictionary: SPDY_HEADER_DICTIONARY }));
  const decompressor = new SpdyHeaderDecompressor();
  for (const [i, headers] of blocks.entries()) {
    const decoded = decompressor.decompress(await peerDeflate(encodeSpdyNameValueBlock(headers)), 1);
    t.notOk(decoded instanceof SpdyProtocolError, `block ${i} from a streaming peer`);
    t.same(Object.fromEntries([...(decoded as Map<string, string[]>)].map(([k, v]) => [k, v.join('\0')])), headers);
  }
  const peerInflate = zlibPeer(createInflate({ dictionary: SPDY_HEADER_DICTIONARY }));
  const compressor = new SpdyHeaderCompressor();
  // One block larger than a stored deflate block holds (64 KiB) is split across several.
  const ours: Array<Record<string, string>> = [...blocks, { big: 'y'.repeat(150_000) }, { after: 'big' }];
  for (const [i, headers] of ours.entries()) {
    t.same(await peerInflate(compressor.compress(headers)), encodeSpdyNameValueBlock(headers), `our block ${i} read by a streaming peer`);
  }
});

/** One zlib stream for a whole connection: each call writes a block and sync-flushes it. */
function zlibPeer(stream: Deflate | Inflate): (input: Buffer) => Promise<Buffer> {
  let output: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => output.push(chunk));
  return (input) =>
    new Promise((resolve) => {
      stream.write(input);
      stream.flush(constants.Z_SYNC_FLUSH, () => {
        resolve(Buffer.concat(output));
        output = [];
      });
    });
}

t.test('a bad header block is a stream error and the decoder goes on', async (t) => {
  const cases: Array<[string, Buffer]> = [
    ['upper-case name', block([['Streamtype', 'error']])],
    ['duplicate name', block([['a', '1'], ['a', '2']])],
    ['empty name', block([['', 'x']])],
    ['leading NUL', block([['a', '\0x']])],
    ['trailing NUL', block([['a', 'x\0']])],
    ['double NUL', block([['a', 'x\0\0y']])],
    ['count past the block', Buffer.from([0, 0, 0, 2, 0, 0, 0, 1, 0x61, 0, 0, 0, 0])],
    ['length past the block', Buffer.from([0, 0, 0, 1, 0, 0, 0, 9, 0x61])],
    ['bytes after the last pair', Buffer.concat([block([['a', 'b']]), Buffer.from([1])])],
    ['over the count limit', Buffer.from([0, 0, 1, 0])],
  ];
  for (const [name, raw] of cases) {
    const decoder = new SpdyFrameDecoder();
    const wire = Buffer.concat([rawSynStream(3, deflateSync(raw, { dictionary: SPDY_HEADER_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH })), encodeSpdyPing(1)]);
    const frames = decoder.push(wire);
    t.equal(frames.length, 2, `${name}: the next frame still decodes`);
    const syn = frames[0] as Extract<SpdyFrame, { type: 'syn_stream' }>;
    t.type(syn.headerError, SpdyProtocolError, name);
    t.equal(syn.headerError?.streamId, 3, `${name}: for stream 3`);
    t.equal(syn.headerError?.rstStatus, SpdyRstStatus.PROTOCOL_ERROR, `${name}: RST PROTOCOL_ERROR`);
  }
});

/** A name/value block with raw (unchecked) names and values. */
function block(pairs: Array<[string, string]>): Buffer {
  const parts = [u32(pairs.length)];
  for (const [name, value] of pairs) parts.push(u32(name.length), Buffer.from(name, 'latin1'), u32(value.length), Buffer.from(value, 'latin1'));
  return Buffer.concat(parts);
}

function u32(n: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(n);
  return out;
}

t.test('a zlib bomb fails the connection without inflating it', async (t) => {
  // 64 MiB of zeros compress to about 64 KiB; the limit stops inflation at 64 KiB of output.
  const bomb = deflateSync(Buffer.concat([u32(1), u32(1), Buffer.from('a'), u32(64 * 1024 * 1024), Buffer.alloc(64 * 1024 * 1024)]), {
    dictionary: SPDY_HEADER_DICTIONARY,
    finishFlush: constants.Z_SYNC_FLUSH,
  });
  t.ok(bomb.length < 200 * 1024, `the bomb is ${bomb.length} bytes on the wire`);
  const decoder = new SpdyFrameDecoder();
  const before = process.memoryUsage().arrayBuffers;
  throwsProtocolError(t, () => decoder.push(rawSynStream(1, bomb)), /inflates past 65536 bytes/, 'bomb');
  t.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'no large buffer was allocated');
  throwsProtocolError(t, () => decoder.push(encodeSpdyPing(1)), /inflates past/, 'the decoder stays failed');
  throwsProtocolError(t, () => new SpdyFrameDecoder().push(rawSynStream(1, Buffer.from('not zlib at all'))), /cannot be decompressed/, 'garbage block');
});

t.test('an oversized frame is refused from its header, before its payload arrives', async (t) => {
  const decoder = new SpdyFrameDecoder({ maxFrameSize: 1024 });
  throwsProtocolError(t, () => decoder.push(encodeSpdyDataHeader(1, 1025)), /1025 bytes exceeds the limit of 1024/, 'DATA');
  const split = new SpdyFrameDecoder({ maxFrameSize: 1024 });
  const header = rawControl(4, Buffer.alloc(4096)).subarray(0, 8);
  t.same(split.push(header.subarray(0, 5)), [], 'half a header waits');
  throwsProtocolError(t, () => split.push(header.subarray(5)), /4096 bytes exceeds/, 'control frame, header split');
});

t.test('malformed control frames are session errors; unknown types are ignored', async (t) => {
  const cases: Array<[string, Buffer, RegExp]> = [
    ['version 2', rawControl(6, Buffer.alloc(4), 0, 2), /version 2/],
    ['short PING', rawControl(6, Buffer.alloc(3)), /must carry 4 bytes/],
    ['long RST_STREAM', rawControl(3, Buffer.alloc(12)), /must carry 8 bytes/],
    ['RST_STREAM status 0', rawControl(3, Buffer.concat([u32(1), u32(0)])), /status 0/],
    ['RST_STREAM stream 0', rawControl(3, Buffer.concat([u32(0), u32(5)])), /stream 0/],
    ['DATA stream 0', Buffer.from([0, 0, 0, 0, 0, 0, 0, 1, 0x78]), /DATA frame on stream 0/],
    ['SYN_STREAM stream 0', rawSynStream(0, Buffer.alloc(0)), /stream 0/],
    ['short SYN_STREAM', rawControl(1, Buffer.alloc(6)), /too short/],
    ['SETTINGS count mismatch', rawControl(4, Buffer.concat([u32(2), Buffer.alloc(8)])), /cannot hold 2 entries/],
    ['WINDOW_UPDATE delta 0', rawControl(9, Buffer.concat([u32(1), u32(0)])), /delta 0/],
    ['GOAWAY of 4 bytes', rawControl(7, u32(0)), /must carry 8 bytes/],
  ];
  for (const [name, wire, pattern] of cases) throwsProtocolError(t, () => new SpdyFrameDecoder().push(wire), pattern, name);
  const decoder = new SpdyFrameDecoder();
  t.same(decoder.push(Buffer.concat([rawControl(10, Buffer.alloc(20)), rawControl(5, Buffer.alloc(0)), encodeSpdyPing(3)])), [{ type: 'ping', id: 3 }], 'CREDENTIAL and NOOP are skipped');
});

t.test('a DATA payload inside one chunk is a view; one that spans chunks is copied once', async (t) => {
  const decoder = new SpdyFrameDecoder();
  const wire = Buffer.concat([dataFrame(1, Buffer.from('inside')), dataFrame(1, Buffer.from('spanning'))]);
  const first = decoder.push(wire.subarray(0, 20));
  t.equal(first.length, 1);
  const inside = first[0] as Extract<SpdyFrame, { type: 'data' }>;
  const spanning = decoder.push(wire.subarray(20))[0] as Extract<SpdyFrame, { type: 'data' }>;
  t.equal(spanning.data.toString(), 'spanning');
  t.same(spdyDataAsChannelMessage(spanning.data, 2), Buffer.from('\x02spanning'), 'a channel message from a copied payload');
  const message = spdyDataAsChannelMessage(inside.data, 1);
  t.same(message, Buffer.from('\x01inside'), 'a channel message from a view');
  wire.fill(0x2e);
  t.equal(inside.data.toString(), '......', 'the first is a view of the chunk');
  t.equal(message.toString(), '......\x2e', 'and so is its channel message: no copy');
  t.equal(spanning.data.toString(), 'spanning', 'the second has its own bytes');
});

/** A random frame sequence, encoded with one compressor (header blocks depend on order). */
const frameSpec = fc.oneof(
  fc.record({ kind: fc.constant('data' as const), id: fc.integer({ min: 1, max: 99 }), payload: fc.uint8Array({ maxLength: 300 }), fin: fc.boolean() }),
  fc.record({ kind: fc.constant('syn' as const), id: fc.integer({ min: 1, max: 99 }), value: fc.string({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant('ping' as const), id: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({ kind: fc.constant('window' as const), id: fc.integer({ min: 0, max: 99 }), delta: fc.integer({ min: 1, max: 0x7fffffff }) }),
);

function encodeSequence(specs: Array<typeof frameSpec extends fc.Arbitrary<infer T> ? T : never>): Buffer {
  const compressor = new SpdyHeaderCompressor();
  return Buffer.concat(
    specs.map((spec) => {
      switch (spec.kind) {
        case 'data':
          return dataFrame(spec.id, Buffer.from(spec.payload), spec.fin);
        case 'syn':
          return encodeSpdySynStream(spec.id, { streamtype: 'stdout', v: spec.value.replace(/\0/g, '') || 'x' }, compressor);
        case 'ping':
          return encodeSpdyPing(spec.id);
        case 'window':
          return encodeSpdyWindowUpdate(spec.id, spec.delta);
      }
    }),
  );
}

const normalise = (frames: SpdyFrame[]) => frames.map((f) => (f.type === 'data' ? { ...f, data: f.data.toString('hex') } : f.type === 'syn_stream' ? { ...f, headers: [...f.headers] } : f));

t.test('every way of cutting a frame sequence into chunks decodes the same frames', async (t) => {
  fc.assert(
    fc.property(fc.array(frameSpec, { minLength: 1, maxLength: 12 }), fc.array(fc.nat(), { maxLength: 10 }), (specs, cuts) => {
      const wire = encodeSequence(specs);
      const whole = normalise(new SpdyFrameDecoder().push(wire));
      const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
      const decoder = new SpdyFrameDecoder();
      const pieces: SpdyFrame[] = [];
      let from = 0;
      for (const point of [...points, wire.length]) {
        pieces.push(...decoder.push(wire.subarray(from, point)));
        from = point;
      }
      return whole.length === specs.length && JSON.stringify(normalise(pieces)) === JSON.stringify(whole);
    }),
    { numRuns: 300 },
  );
  // Exhaustively: every single split point of one sequence.
  const wire = encodeSequence([
    { kind: 'syn', id: 1, value: 'a' },
    { kind: 'data', id: 1, payload: new Uint8Array([1, 2, 3]), fin: true },
    { kind: 'ping', id: 7 },
  ]);
  const whole = JSON.stringify(normalise(new SpdyFrameDecoder().push(wire)));
  for (let cut = 0; cut <= wire.length; cut++) {
    const decoder = new SpdyFrameDecoder();
    const frames = [...decoder.push(wire.subarray(0, cut)), ...decoder.push(wire.subarray(cut))];
    if (JSON.stringify(normalise(frames)) !== whole) t.fail(`split at ${cut}`);
  }
});

t.test('fuzz: random and mutated input yields frames or a SpdyProtocolError, nothing else', async (t) => {
  const valid = encodeSequence([
    { kind: 'syn', id: 1, value: 'abc' },
    { kind: 'data', id: 1, payload: new Uint8Array(40), fin: false },
    { kind: 'syn', id: 3, value: 'def' },
    { kind: 'ping', id: 5 },
  ]);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
        fc.array(fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => {
          const copy = Buffer.from(valid);
          for (const [at, value] of flips) copy[at] = value;
          return copy;
        }),
      ),
      (input) => {
        try {
          new SpdyFrameDecoder({ maxFrameSize: 4096 }).push(input);
          return true;
        } catch (error) {
          return error instanceof SpdyProtocolError;
        }
      },
    ),
    { numRuns: 2000 },
  );
  t.pass('no other error escaped');
});
