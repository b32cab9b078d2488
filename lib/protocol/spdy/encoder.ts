// Encoders for every SPDY/3.1 frame we send. Control frames are small and built whole; a DATA
// frame is its 8-byte header here and the payload as the caller has it, written after it (the
// connection corks both into one write), so console bytes are never copied to gain a header.
import {
  SPDY_FLAG_FIN,
  SPDY_FLAG_SETTINGS_CLEAR,
  SPDY_FLAG_UNIDIRECTIONAL,
  SPDY_FRAME_HEADER_BYTES,
  SPDY_MAX_FRAME_LENGTH,
  SPDY_MAX_STREAM_ID,
  SPDY_VERSION,
  SpdyFrameType,
  type SpdySetting,
} from './frames.js';
import type { SpdyHeaderCompressor, SpdyHeaderInput } from './header-block.js';

function checkLength(length: number): void {
  if (length > SPDY_MAX_FRAME_LENGTH) throw new RangeError(`SPDY frame payload of ${length} bytes exceeds ${SPDY_MAX_FRAME_LENGTH}`);
}

function checkStreamId(streamId: number, allowZero = false): void {
  if (!Number.isInteger(streamId) || streamId < (allowZero ? 0 : 1) || streamId > SPDY_MAX_STREAM_ID) {
    throw new RangeError(`invalid SPDY stream id ${streamId}`);
  }
}

/** The 8-byte header of a DATA frame carrying `length` bytes. */
export function encodeSpdyDataHeader(streamId: number, length: number, fin = false): Buffer {
  checkStreamId(streamId);
  checkLength(length);
  const out = Buffer.allocUnsafe(SPDY_FRAME_HEADER_BYTES);
  out.writeUInt32BE(streamId, 0);
  out.writeUInt32BE(((fin ? SPDY_FLAG_FIN : 0) << 24) | length, 4);
  return out;
}

/** A control frame with room for `length` payload bytes after its header. */
function controlFrame(type: number, flags: number, length: number): Buffer {
  checkLength(length);
  const out = Buffer.allocUnsafe(SPDY_FRAME_HEADER_BYTES + length);
  out.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  out.writeUInt16BE(type, 2);
  out.writeUInt32BE(((flags << 24) | length) >>> 0, 4);
  return out;
}

export interface SpdySynStreamOptions {
  fin?: boolean;
  unidirectional?: boolean;
  /** 0 (highest) to 7. */
  priority?: number;
  associatedStreamId?: number;
}

export function encodeSpdySynStream(streamId: number, headers: SpdyHeaderInput, compressor: SpdyHeaderCompressor, options: SpdySynStreamOptions = {}): Buffer {
  checkStreamId(streamId);
  checkStreamId(options.associatedStreamId ?? 0, true);
  const block = compressor.compress(headers);
  const flags = (options.fin ? SPDY_FLAG_FIN : 0) | (options.unidirectional ? SPDY_FLAG_UNIDIRECTIONAL : 0);
  const out = controlFrame(SpdyFrameType.SYN_STREAM, flags, 10 + block.length);
  out.writeUInt32BE(streamId, 8);
  out.writeUInt32BE(options.associatedStreamId ?? 0, 12);
  out[16] = ((options.priority ?? 0) & 7) << 5;
  out[17] = 0; // credential slot: unused
  block.copy(out, 18);
  return out;
}

function streamHeadersFrame(type: number, streamId: number, headers: SpdyHeaderInput, compressor: SpdyHeaderCompressor, fin: boolean): Buffer {
  checkStreamId(streamId);
  const block = compressor.compress(headers);
  const out = controlFrame(type, fin ? SPDY_FLAG_FIN : 0, 4 + block.length);
  out.writeUInt32BE(streamId, 8);
  block.copy(out, 12);
  return out;
}

export function encodeSpdySynReply(streamId: number, headers: SpdyHeaderInput, compressor: SpdyHeaderCompressor, fin = false): Buffer {
  return streamHeadersFrame(SpdyFrameType.SYN_REPLY, streamId, headers, compressor, fin);
}

export function encodeSpdyHeaders(streamId: number, headers: SpdyHeaderInput, compressor: SpdyHeaderCompressor, fin = false): Buffer {
  return streamHeadersFrame(SpdyFrameType.HEADERS, streamId, headers, compressor, fin);
}

export function encodeSpdyRstStream(streamId: number, status: number): Buffer {
  checkStreamId(streamId);
  const out = controlFrame(SpdyFrameType.RST_STREAM, 0, 8);
  out.writeUInt32BE(streamId, 8);
  out.writeUInt32BE(status, 12);
  return out;
}

export function encodeSpdySettings(settings: readonly SpdySetting[], clear = false): Buffer {
  const out = controlFrame(SpdyFrameType.SETTINGS, clear ? SPDY_FLAG_SETTINGS_CLEAR : 0, 4 + 8 * settings.length);
  out.writeUInt32BE(settings.length, 8);
  settings.forEach((setting, i) => {
    out.writeUInt32BE((((setting.flags & 0xff) << 24) | (setting.id & 0xffffff)) >>> 0, 12 + 8 * i);
    out.writeUInt32BE(setting.value >>> 0, 16 + 8 * i);
  });
  return out;
}

export function encodeSpdyPing(id: number): Buffer {
  const out = controlFrame(SpdyFrameType.PING, 0, 4);
  out.writeUInt32BE(id >>> 0, 8);
  return out;
}

export function encodeSpdyGoAway(lastGoodStreamId: number, status: number): Buffer {
  checkStreamId(lastGoodStreamId, true);
  const out = controlFrame(SpdyFrameType.GOAWAY, 0, 8);
  out.writeUInt32BE(lastGoodStreamId, 8);
  out.writeUInt32BE(status, 12);
  return out;
}

/** Stream 0 is the session window (SPDY/3.1). */
export function encodeSpdyWindowUpdate(streamId: number, delta: number): Buffer {
  checkStreamId(streamId, true);
  if (!Number.isInteger(delta) || delta < 1 || delta > 0x7fffffff) throw new RangeError(`invalid SPDY window delta ${delta}`);
  const out = controlFrame(SpdyFrameType.WINDOW_UPDATE, 0, 8);
  out.writeUInt32BE(streamId, 8);
  out.writeUInt32BE(delta, 12);
  return out;
}
