// The incremental SPDY/3.1 frame decoder: push socket chunks, get whole frames. A frame that
// lies inside one chunk is returned as views of it; only a frame that spans chunks is copied,
// once, into a buffer of its exact size. Frames larger than the limit are refused from their
// header, before anything is buffered. Header blocks are inflated here, in wire order, because
// the peer's zlib stream spans the connection.
import {
  SPDY_FLAG_FIN,
  SPDY_FLAG_SETTINGS_CLEAR,
  SPDY_FLAG_UNIDIRECTIONAL,
  SPDY_FRAME_HEADER_BYTES,
  SPDY_MAX_STREAM_ID,
  SPDY_VERSION,
  SpdyFrameType,
  SpdyProtocolError,
  type SpdyFrame,
  type SpdyHeaders,
  type SpdySetting,
} from './frames.js';
import { SpdyHeaderDecompressor, type SpdyHeaderLimits } from './header-block.js';

export interface SpdyFrameDecoderOptions extends SpdyHeaderLimits {
  /** The largest frame payload accepted (default 1 MiB; the format allows 16 MiB - 1). */
  maxFrameSize?: number;
}

export const DEFAULT_SPDY_MAX_FRAME_SIZE = 1024 * 1024;

/**
 * A DATA frame's payload as a binary channel message [channel][payload] without a copy: the
 * decoder's payloads always follow their 8-byte frame header in the same buffer, and the header
 * is spent once decoded, so its last byte becomes the channel byte.
 */
export function spdyDataAsChannelMessage(data: Buffer, channel: number): Buffer {
  const message = Buffer.from(data.buffer, data.byteOffset - 1, data.length + 1);
  message[0] = channel;
  return message;
}

/** The fixed payload length of each fixed-size control frame. */
const FIXED_LENGTH: Partial<Record<number, number>> = {
  [SpdyFrameType.RST_STREAM]: 8,
  [SpdyFrameType.PING]: 4,
  [SpdyFrameType.GOAWAY]: 8,
  [SpdyFrameType.WINDOW_UPDATE]: 8,
};

/** The bytes before the header block in each frame that carries one. */
const HEADER_BLOCK_OFFSET: Partial<Record<number, number>> = {
  [SpdyFrameType.SYN_STREAM]: 10,
  [SpdyFrameType.SYN_REPLY]: 4,
  [SpdyFrameType.HEADERS]: 4,
};

export class SpdyFrameDecoder {
  private readonly maxFrameSize: number;
  private readonly headers: SpdyHeaderDecompressor;
  /** An incomplete frame: its first bytes until the header is whole, then a buffer of its full size. */
  private partial: Buffer | undefined;
  private filled = 0;
  private failed: SpdyProtocolError | undefined;

  constructor(options: SpdyFrameDecoderOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_SPDY_MAX_FRAME_SIZE;
    this.headers = new SpdyHeaderDecompressor(options);
  }

  /**
   * The frames completed by `chunk`. Throws a SpdyProtocolError on a session error; after
   * one, every push throws it again (the zlib stream and the framing are out of step).
   */
  push(chunk: Buffer): SpdyFrame[] {
    if (this.failed) throw this.failed;
    try {
      return this.decode(chunk);
    } catch (error) {
      this.failed = error instanceof SpdyProtocolError ? error : new SpdyProtocolError(`SPDY decoder failed: ${(error as Error).message}`);
      this.partial = undefined;
      throw this.failed;
    }
  }

  /** Drops a partial frame. */
  close(): void {
    this.partial = undefined;
  }

  private decode(chunk: Buffer): SpdyFrame[] {
    const frames: SpdyFrame[] = [];
    let offset = 0;
    if (this.partial) {
      offset = this.fillPartial(chunk);
      if (this.filled < this.partial.length) return frames;
      const whole = this.partial;
      this.partial = undefined;
      this.emit(whole, frames);
    }
    while (offset < chunk.length) {
      const available = chunk.length - offset;
      if (available < SPDY_FRAME_HEADER_BYTES) {
        this.startPartial(chunk.subarray(offset), SPDY_FRAME_HEADER_BYTES);
        break;
      }
      const size = SPDY_FRAME_HEADER_BYTES + this.payloadLength(chunk, offset);
      if (available < size) {
        this.startPartial(chunk.subarray(offset), size);
        break;
      }
      this.emit(chunk.subarray(offset, offset + size), frames);
      offset += size;
    }
    return frames;
  }

  /** The payload length a frame header says, refused when over the limit. */
  private payloadLength(buffer: Buffer, at: number): number {
    const length = buffer.readUIntBE(at + 5, 3);
    if (length > this.maxFrameSize) {
      throw new SpdyProtocolError(`frame of ${length} bytes exceeds the limit of ${this.maxFrameSize}`);
    }
    return length;
  }

  private startPartial(bytes: Buffer, size: number): void {
    this.partial = Buffer.allocUnsafe(size);
    this.filled = bytes.copy(this.partial);
  }

  /** Copies from `chunk` into the partial frame; returns how much of `chunk` was used. */
  private fillPartial(chunk: Buffer): number {
    let used = 0;
    if (this.partial!.length === SPDY_FRAME_HEADER_BYTES && this.filled < SPDY_FRAME_HEADER_BYTES) {
      used = chunk.copy(this.partial!, this.filled, 0, SPDY_FRAME_HEADER_BYTES - this.filled);
      this.filled += used;
      if (this.filled < SPDY_FRAME_HEADER_BYTES) return used;
      const size = SPDY_FRAME_HEADER_BYTES + this.payloadLength(this.partial!, 0);
      const header = this.partial!;
      this.partial = Buffer.allocUnsafe(size);
      header.copy(this.partial);
    }
    const more = chunk.copy(this.partial!, this.filled, used, used + (this.partial!.length - this.filled));
    this.filled += more;
    return used + more;
  }

  private emit(frame: Buffer, frames: SpdyFrame[]): void {
    const parsed = this.parse(frame);
    if (parsed) frames.push(parsed);
  }

  /** One whole frame (header + payload); undefined for a control frame type we must ignore. */
  private parse(frame: Buffer): SpdyFrame | undefined {
    const first = frame.readUInt32BE(0);
    const flags = frame[4]!;
    const payload = frame.subarray(SPDY_FRAME_HEADER_BYTES);
    if ((first & 0x80000000) === 0) {
      if (first === 0) throw new SpdyProtocolError('DATA frame on stream 0');
      return { type: 'data', streamId: first, fin: (flags & SPDY_FLAG_FIN) !== 0, data: payload };
    }
    const version = (first >>> 16) & 0x7fff;
    const type = first & 0xffff;
    if (version !== SPDY_VERSION) throw new SpdyProtocolError(`control frame of SPDY version ${version}; only version ${SPDY_VERSION} is spoken`);
    const fixed = FIXED_LENGTH[type];
    if (fixed !== undefined && payload.length !== fixed) {
      throw new SpdyProtocolError(`control frame type ${type} must carry ${fixed} bytes, not ${payload.length}`);
    }
    const blockAt = HEADER_BLOCK_OFFSET[type];
    if (blockAt !== undefined) return this.parseWithHeaders(type, flags, payload, blockAt);
    switch (type) {
      case SpdyFrameType.RST_STREAM: {
        const streamId = this.streamId(payload, 0, 'RST_STREAM');
        const status = payload.readUInt32BE(4);
        if (status === 0) throw new SpdyProtocolError(`RST_STREAM of stream ${streamId} with status 0`);
        return { type: 'rst_stream', streamId, status };
      }
      case SpdyFrameType.SETTINGS:
        return { type: 'settings', clear: (flags & SPDY_FLAG_SETTINGS_CLEAR) !== 0, settings: parseSettings(payload) };
      case SpdyFrameType.PING:
        return { type: 'ping', id: payload.readUInt32BE(0) };
      case SpdyFrameType.GOAWAY:
        return { type: 'goaway', lastGoodStreamId: payload.readUInt32BE(0) & SPDY_MAX_STREAM_ID, status: payload.readUInt32BE(4) };
      case SpdyFrameType.WINDOW_UPDATE: {
        const streamId = payload.readUInt32BE(0) & SPDY_MAX_STREAM_ID;
        const delta = payload.readUInt32BE(4) & 0x7fffffff;
        if (delta === 0) throw new SpdyProtocolError(`WINDOW_UPDATE of stream ${streamId} with delta 0`);
        return { type: 'window_update', streamId, delta };
      }
      default:
        return undefined; // the spec: unknown control frames are ignored (NOOP, CREDENTIAL, ...)
    }
  }

  private parseWithHeaders(type: number, flags: number, payload: Buffer, blockAt: number): SpdyFrame {
    const name = type === SpdyFrameType.SYN_STREAM ? 'SYN_STREAM' : type === SpdyFrameType.SYN_REPLY ? 'SYN_REPLY' : 'HEADERS';
    if (payload.length < blockAt) throw new SpdyProtocolError(`${name} frame of ${payload.length} bytes is too short`);
    const streamId = this.streamId(payload, 0, name);
    const decoded = this.headers.decompress(payload.subarray(blockAt), streamId);
    const headers: SpdyHeaders = decoded instanceof SpdyProtocolError ? new Map() : decoded;
    const headerError = decoded instanceof SpdyProtocolError ? decoded : undefined;
    const fin = (flags & SPDY_FLAG_FIN) !== 0;
    if (type === SpdyFrameType.SYN_STREAM) {
      return {
        type: 'syn_stream',
        streamId,
        associatedStreamId: payload.readUInt32BE(4) & SPDY_MAX_STREAM_ID,
        priority: payload[8]! >> 5,
        slot: payload[9]!,
        fin,
        unidirectional: (flags & SPDY_FLAG_UNIDIRECTIONAL) !== 0,
        headers,
        ...(headerError && { headerError }),
      };
    }
    return { type: type === SpdyFrameType.SYN_REPLY ? 'syn_reply' : 'headers', streamId, fin, headers, ...(headerError && { headerError }) };
  }

  private streamId(payload: Buffer, at: number, frame: string): number {
    const streamId = payload.readUInt32BE(at) & SPDY_MAX_STREAM_ID;
    if (streamId === 0) throw new SpdyProtocolError(`${frame} frame on stream 0`);
    return streamId;
  }
}

function parseSettings(payload: Buffer): SpdySetting[] {
  if (payload.length < 4) throw new SpdyProtocolError('SETTINGS frame shorter than its count');
  const count = payload.readUInt32BE(0);
  if (payload.length !== 4 + 8 * count) throw new SpdyProtocolError(`SETTINGS frame of ${payload.length} bytes cannot hold ${count} entries`);
  const settings: SpdySetting[] = [];
  for (let at = 4; at < payload.length; at += 8) {
    const word = payload.readUInt32BE(at);
    settings.push({ flags: word >>> 24, id: word & 0xffffff, value: payload.readUInt32BE(at + 4) });
  }
  return settings;
}
