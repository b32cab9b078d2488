// A bounded random fuzz run of the codecs that parse what peers send: the link's frame decoder
// (random bytes, valid streams cut anywhere, valid streams with bytes flipped, dropped or
// inserted) and the Kubernetes channel codec (base64 messages, client messages, resize JSON,
// offered subprotocols, bearer tokens, object names). Each property gets an equal share of
// FUZZ_SECONDS and runs as many cases as fit; a failure prints fast-check's seed and path.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import {
  CHANNEL_PROTOCOLS,
  ChannelProtocolError,
  FrameDecoder,
  FrameError,
  checkClientMessage,
  decodeBase64Message,
  decodeBearerToken,
  decodeFrameBody,
  encodeBase64Message,
  encodeBearerProtocol,
  encodeFrame,
  invalidLabel,
  invalidSubdomain,
  parseOfferedProtocols,
  parseResize,
  type Frame,
} from '../../lib/protocol/index.js';
import { settings } from './fixtures/settings.js';

const PROPERTIES = 9;
const shareMs = Math.max(500, (settings.fuzzSeconds * 1000) / PROPERTIES);

/** Runs `property` for this file's time share; reports how many cases ran, or the counterexample. */
function fuzz(t: Test, name: string, property: fc.IProperty<unknown>): void {
  const details = fc.check(property, { numRuns: 1e9, seed: settings.seed, plugins: [fc.interruptAfterTimeLimit(shareMs)] });
  if (details.failed) t.fail(`${name}\n${fc.defaultReportMessage(details)}`);
  else t.pass(`${name}: ${details.numRuns} cases in ${(shareMs / 1000).toFixed(1)} s`);
}

/** Decodes `bytes` pushed in chunks of the given sizes; checks the decoder's own contract. */
function decode(bytes: Uint8Array, cuts: number[]): { frames: Frame[]; errors: FrameError[] } {
  const frames: Frame[] = [];
  const errors: FrameError[] = [];
  const decoder = new FrameDecoder({
    onFrame: (frame) => {
      if (errors.length > 0) throw new Error('a frame was delivered after the error');
      frames.push(frame);
    },
    onError: (error) => errors.push(error),
  });
  let offset = 0;
  for (const cut of [...cuts, bytes.length]) {
    const end = Math.min(bytes.length, offset + Math.max(1, cut));
    decoder.push(Buffer.from(bytes.subarray(offset, end)));
    offset = end;
    if (offset >= bytes.length) break;
  }
  if (errors.length > 1) throw new Error(`onError was called ${errors.length} times`);
  return { frames, errors };
}

const uint32 = fc.integer({ min: 0, max: 0xffffffff });
const text = fc.string({ maxLength: 40 });
const frameArbitrary: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({ stream: uint32, kind: fc.constant('data' as const), data: fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 20 }, { arbitrary: fc.uint8Array({ minLength: 60_000, maxLength: 70_000 }), weight: 1 }).map((bytes) => Buffer.from(bytes)) }),
  fc.record({ stream: uint32, kind: fc.constant('open' as const), open: fc.record({ namespace: text, machine: text, tty: fc.boolean(), cols: uint32, rows: uint32, window: uint32, takeover: fc.boolean(), readOnly: fc.boolean(), noReplay: fc.boolean(), stdin: fc.boolean(), user: fc.record({ username: text, uid: text, groups: fc.array(text, { maxLength: 4 }) }) }, { requiredKeys: [] }) }),
  fc.record({ stream: uint32, kind: fc.constant('opened' as const), opened: fc.record({ window: uint32, writer: fc.boolean() }, { requiredKeys: [] }) }),
  fc.record({ stream: uint32, kind: fc.constant('resize' as const), resize: fc.record({ cols: uint32, rows: uint32 }, { requiredKeys: [] }) }),
  fc.record({ stream: uint32, kind: fc.constant('close' as const), close: fc.record({ code: uint32, reason: text, message: text, exitCode: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }, { requiredKeys: [] }) }),
  fc.record({ stream: uint32, kind: fc.constant('credit' as const), credit: fc.record({ bytes: uint32 }) }),
  fc.record({ stream: uint32, kind: fc.constant('ping' as const), ping: fc.record({ nonce: uint32 }) }),
  fc.record({ stream: uint32, kind: fc.constant('pong' as const), pong: fc.record({ nonce: uint32 }) }),
) as fc.Arbitrary<Frame>;
const cutsArbitrary = fc.array(fc.integer({ min: 1, max: 4096 }), { maxLength: 40 });

t.comment(`seed ${settings.seed}, ${settings.fuzzSeconds} s over ${PROPERTIES} properties`);

t.test('the frame decoder', async (t) => {
  fuzz(t, 'random bytes, cut anywhere: frames or one error, never a throw', fc.property(fc.uint8Array({ maxLength: 2048 }), cutsArbitrary, (bytes, cuts) => {
    decode(bytes, cuts);
  }));

  fuzz(t, 'a random frame body: a Frame or a FrameError, never a throw', fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
    const result = decodeFrameBody(Buffer.from(bytes));
    return result instanceof FrameError || typeof result.kind === 'string';
  }));

  fuzz(t, 'valid frames, cut anywhere: the same frames come out, in order', fc.property(fc.array(frameArbitrary, { minLength: 1, maxLength: 12 }), cutsArbitrary, (frames, cuts) => {
    const encoded = Buffer.concat(frames.map((frame) => encodeFrame(frame)));
    const { frames: decoded, errors } = decode(encoded, cuts);
    if (errors.length > 0) throw errors[0];
    if (decoded.length !== frames.length) return false;
    // Compared by their canonical encoding, which ignores how defaults are represented.
    return decoded.every((frame, i) => encodeFrame(frame).equals(encodeFrame(frames[i]!)));
  }));

  const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('flip', 'drop', 'insert'), byte: fc.integer({ min: 0, max: 255 }) });
  fuzz(t, 'valid frames with bytes flipped, dropped or inserted: never a throw', fc.property(fc.array(frameArbitrary, { minLength: 1, maxLength: 6 }), fc.array(edit, { minLength: 1, maxLength: 8 }), cutsArbitrary, (frames, edits, cuts) => {
    const bytes = [...Buffer.concat(frames.map((frame) => encodeFrame(frame)))];
    for (const { at, kind, byte } of edits) {
      const position = at % (bytes.length + 1);
      if (kind === 'flip') bytes[position % bytes.length] = byte;
      else if (kind === 'drop') bytes.splice(position, 1);
      else bytes.splice(position, 0, byte);
    }
    decode(Uint8Array.from(bytes), cuts);
  }));
});

t.test('the channel codec', async (t) => {
  const protocol = fc.constantFrom(...CHANNEL_PROTOCOLS);
  fuzz(t, 'base64 messages: any text decodes to a message (that round-trips) or a ChannelProtocolError', fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.base64String({ maxLength: 200 }).map((b) => `0${b}`)), (input) => {
    const decoded = decodeBase64Message(input);
    if (decoded instanceof ChannelProtocolError) return decoded.code === 400;
    // Non-canonical trailing bits are accepted, as Go's decoder does; the bytes must round-trip.
    const again = decodeBase64Message(encodeBase64Message(decoded));
    return Buffer.isBuffer(again) && again.equals(decoded);
  }));

  fuzz(t, 'client messages: any bytes are accepted or refused with a ChannelProtocolError', fc.property(protocol, fc.uint8Array({ maxLength: 64 }), (p, bytes) => {
    const verdict = checkClientMessage(p, bytes);
    if (verdict !== undefined) return verdict instanceof ChannelProtocolError;
    return bytes[0] === 0 || bytes[0] === 4 || (bytes[0] === 255 && bytes.length === 2 && bytes[1] === 0);
  }));

  const dimension = fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 8 }), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 2 }));
  const resizeJson = fc.oneof(
    fc.record({ Width: dimension, Height: dimension }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 60 }),
  );
  fuzz(t, 'resize messages: a size of 1..65535 both ways, or a ChannelProtocolError', fc.property(fc.oneof(resizeJson.map((s) => Buffer.from(s)), fc.uint8Array({ maxLength: 60 })), (payload) => {
    const size = parseResize(payload);
    if (size instanceof ChannelProtocolError) return true;
    return [size.cols, size.rows].every((n) => Number.isInteger(n) && n >= 1 && n <= 65535);
  }));

  fuzz(t, 'offered subprotocols: never a bearer token and an error together; tokens round-trip', fc.property(fc.array(fc.oneof(fc.constantFrom(...CHANNEL_PROTOCOLS), fc.string({ maxLength: 30 }), fc.string({ minLength: 1, maxLength: 60 }).map(encodeBearerProtocol), fc.string({ maxLength: 30 }).map((s) => `base64url.bearer.authorization.k8s.io.${s}`)), { maxLength: 5 }), fc.string({ minLength: 1, maxLength: 60 }), (entries, token) => {
    const offered = parseOfferedProtocols(entries.join(', '));
    if (offered.bearerToken !== undefined && offered.bearerError !== undefined) return false;
    const decoded = decodeBearerToken(encodeBearerProtocol(token).slice('base64url.bearer.authorization.k8s.io.'.length));
    const wellFormed = Buffer.from(token, 'utf8').toString('utf8') === token; // lone surrogates cannot survive UTF-8
    return !wellFormed || decoded === token;
  }));

  fuzz(t, 'object names: what is accepted can never change the shape of a path', fc.property(fc.oneof(fc.string({ maxLength: 80 }), fc.stringMatching(/^[a-z0-9.%\/-]{0,70}$/)), (name) => {
    for (const [verdict, max] of [[invalidLabel(name), 63], [invalidSubdomain(name), 253]] as const) {
      if (verdict !== undefined) continue;
      if (name.length === 0 || name.length > max || /[^a-z0-9.-]/.test(name) || name.includes('..') || name.startsWith('.')) return false;
    }
    return true;
  }));
});
