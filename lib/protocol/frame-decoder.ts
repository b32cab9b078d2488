// Incremental decoder for the link's length-prefixed frames. Socket chunks of any size go in;
// whole frames come out. A data frame's payload is a view into the received bytes: it is copied
// only when one frame spans several chunks, which a contiguous body needs. A malformed or
// oversized frame is reported once through onError and the decoder stops: the link is broken,
// nothing is thrown to the caller.
import { schema, FRAME_KINDS, type Frame } from './schema.js';
import { MAX_VARINT32_BYTES, readVarint } from './varint.js';

/** The default largest frame body: a 1 MiB payload plus its few bytes of fields. */
export const DEFAULT_MAX_FRAME_SIZE = (1 << 20) + 16;

export class FrameError extends Error {
  override name = 'FrameError';
}

export interface FrameDecoderOptions {
  maxFrameSize?: number;
  onFrame: (frame: Frame) => void;
  onError: (error: FrameError) => void;
}

export class FrameDecoder {
  readonly maxFrameSize: number;
  private readonly onFrame: (frame: Frame) => void;
  private readonly onError: (error: FrameError) => void;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private bodyLength = -1; // -1 while the length prefix is still being read
  private failed = false;

  constructor(options: FrameDecoderOptions) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.onFrame = options.onFrame;
    this.onError = options.onError;
  }

  /** Bytes received that are not yet part of a whole frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (!this.failed) {
      if (this.bodyLength < 0 && !this.readLengthPrefix()) return;
      if (this.buffered < this.bodyLength) return;
      const body = this.take(this.bodyLength);
      this.bodyLength = -1;
      const frame = decodeFrameBody(body);
      if (frame instanceof FrameError) return this.fail(frame);
      this.onFrame(frame);
    }
  }

  private readLengthPrefix(): boolean {
    const prefix = this.peek(MAX_VARINT32_BYTES);
    const length = readVarint(prefix, 0);
    if (length === undefined) return false;
    if (length === null) {
      this.fail(new FrameError('malformed frame length prefix'));
      return false;
    }
    if (length.value > this.maxFrameSize) {
      this.fail(new FrameError(`frame of ${length.value} bytes exceeds the maximum of ${this.maxFrameSize}`));
      return false;
    }
    this.take(length.next);
    this.bodyLength = length.value;
    return true;
  }

  /** Up to `n` leading bytes, copied only when they straddle chunks (prefixes are tiny). */
  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n || this.chunks.length === 1) return first;
    return Buffer.concat(this.chunks, Math.min(n, this.buffered));
  }

  private take(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0]!;
    if (first.length > n) {
      this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    if (first.length === n) {
      this.chunks.shift();
      return first;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0]!;
      const used = Math.min(chunk.length, n - filled);
      chunk.copy(out, filled, 0, used);
      filled += used;
      if (used === chunk.length) this.chunks.shift();
      else this.chunks[0] = chunk.subarray(used);
    }
    return out;
  }

  private fail(error: FrameError): void {
    this.failed = true;
    this.chunks = [];
    this.buffered = 0;
    this.onError(error);
  }
}

/** Decodes one frame body (without its length prefix). */
export function decodeFrameBody(body: Buffer): Frame | FrameError {
  return decodeDataFast(body) ?? decodeGeneric(body);
}

// The canonical data frame: [0x08 stream]? 0x22 length payload, payload to the end.
function decodeDataFast(body: Buffer): Frame | undefined {
  let offset = 0;
  let stream = 0;
  if (body[0] === 0x08) {
    const field = readVarint(body, 1);
    if (!field || field.value === 0) return undefined;
    stream = field.value;
    offset = field.next;
  }
  if (body[offset] !== 0x22) return undefined;
  const length = readVarint(body, offset + 1);
  if (!length || length.next + length.value !== body.length) return undefined;
  return { stream, kind: 'data', data: body.subarray(length.next) };
}

function decodeGeneric(body: Buffer): Frame | FrameError {
  let message;
  try {
    message = schema.Frame.decode(body);
  } catch (err) {
    return new FrameError(`malformed frame: ${(err as Error).message}`);
  }
  const kind = message.kind;
  if (kind === undefined || !FRAME_KINDS.includes(kind)) return new FrameError('frame carries no message');
  const value = message[kind];
  if (kind === 'data') {
    const data = value as Uint8Array;
    return { stream: message.stream, kind, data: Buffer.from(data.buffer, data.byteOffset, data.length) };
  }
  return { stream: message.stream, kind, [kind]: value } as Frame;
}
