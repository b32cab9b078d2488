// Encodes link frames. Data frames, the hot path, are written by hand so that the payload is
// never copied: the caller gets a small header and the payload itself, to write together with
// cork/writev. The bytes are exactly what protobufjs writes for the same Frame (tested).
// Every other frame kind is rare and goes through protobufjs.
import protobuf from 'protobufjs/minimal.js';
import { schema, type Frame } from './schema.js';
import { varintLength, writeVarint } from './varint.js';

const STREAM_TAG = 0x08; // field 1, varint
const DATA_TAG = 0x22; // field 4, length-delimited

/**
 * The length prefix and Frame fields that precede a data payload of `payloadLength` bytes,
 * followed by `room` unwritten bytes for the caller to fill with the payload's start (a small
 * payload sent in the same buffer as its header).
 */
export function encodeDataHeader(stream: number, payloadLength: number, room = 0): Buffer {
  // proto3 leaves a zero stream out, as protobufjs does.
  const streamBytes = stream === 0 ? 0 : 1 + varintLength(stream);
  const bodyLength = streamBytes + 1 + varintLength(payloadLength) + payloadLength;
  const headerLength = varintLength(bodyLength) + bodyLength - payloadLength;
  const header = Buffer.allocUnsafe(headerLength + room);
  let offset = writeVarint(header, 0, bodyLength);
  if (stream !== 0) {
    header[offset++] = STREAM_TAG;
    offset = writeVarint(header, offset, stream);
  }
  header[offset++] = DATA_TAG;
  writeVarint(header, offset, payloadLength);
  return header;
}

/** A data frame as [header, payload]: the payload is the caller's bytes, not a copy. */
export function encodeData(stream: number, payload: Uint8Array): [Buffer, Uint8Array] {
  return [encodeDataHeader(stream, payload.length), payload];
}

/** Any frame, length-prefixed, as one buffer (via protobufjs; use encodeData for data). */
export function encodeFrame(frame: Frame): Buffer {
  const message = { stream: frame.stream, [frame.kind]: (frame as Record<string, unknown>)[frame.kind] };
  const bytes = schema.Frame.encode(message, protobuf.Writer.create().fork()).ldelim().finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}
