// Incremental decoder for the link's length-prefixed frames. Socket chunks of any size go in;
// whole frames come out. Frames that lie inside one chunk are decoded in place and a data
// frame's payload is a view into that chunk; only a frame that spans chunks is copied, once,
// because its body must be contiguous. A malformed or oversized frame is reported once through
// onError and the decoder stops: the link is broken, nothing is thrown to the caller.
import { schema, FRAME_KINDS, type Frame } from './schema.js';
import { type Cursor, MAX_VARINT32_BYTES, VARINT_INCOMPLETE, VARINT_MALFORMED, readVarint } from './varint.js';

/** The default largest frame body: a 1 MiB payload plus its few bytes of fields. */
export const DEFAULT_MAX_FRAME_SIZE = (1 << 20) + 16;

const STREAM_TAG = 0x08;
const DATA_TAG = 0x22;

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
  private readonly cursor: Cursor = { pos: 0 };
  /** Bytes of an unfinished frame, from its length prefix on. */
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Prefix plus body length of the unfinished frame, once its prefix is known. */
  private pendingFrameLength = -1;
  private failed = false;

  constructor(options: FrameDecoderOptions) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.onFrame = options.onFrame;
    this.onError = options.onError;
  }

  /** Bytes received that are not yet part of a whole frame. */
  get pendingBytes(): number {
    return this.pendingLength;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    if (this.pendingLength === 0) return this.decodeChunk(chunk, 0);
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    this.completePending();
  }

  /** Decodes whole frames in place; keeps an unfinished tail for the next chunk. */
  private decodeChunk(chunk: Buffer, start: number): void {
    const cursor = this.cursor;
    cursor.pos = start;
    while (cursor.pos < chunk.length && !this.failed) {
      const frameStart = cursor.pos;
      const bodyLength = this.readLength(chunk, cursor);
      if (bodyLength === VARINT_MALFORMED) return;
      const bodyEnd = cursor.pos + bodyLength;
      if (bodyLength === VARINT_INCOMPLETE || bodyEnd > chunk.length) {
        this.pending.push(chunk.subarray(frameStart));
        this.pendingLength = chunk.length - frameStart;
        return;
      }
      const bodyStart = cursor.pos;
      cursor.pos = bodyEnd;
      this.emit(chunk, bodyStart, bodyEnd);
      cursor.pos = bodyEnd; // onFrame may have pushed more data re-entrantly; this chunk continues here
    }
  }

  /** Once the pending bytes hold a whole frame, decodes it and continues with the rest. */
  private completePending(): void {
    if (this.pendingFrameLength < 0) {
      const head = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, Math.min(MAX_VARINT32_BYTES, this.pendingLength));
      this.cursor.pos = 0;
      const bodyLength = this.readLength(head, this.cursor);
      if (bodyLength === VARINT_MALFORMED) return;
      if (bodyLength === VARINT_INCOMPLETE) return;
      this.pendingFrameLength = this.cursor.pos + bodyLength;
    }
    if (this.pendingLength < this.pendingFrameLength) return;

    const frameLength = this.pendingFrameLength;
    const last = this.pending[this.pending.length - 1]!;
    const restStart = last.length - (this.pendingLength - frameLength);
    const frame = Buffer.allocUnsafe(frameLength);
    let filled = 0;
    for (const piece of this.pending) {
      filled += piece.copy(frame, filled, 0, Math.min(piece.length, frameLength - filled));
    }
    this.pending = [];
    this.pendingLength = 0;
    this.pendingFrameLength = -1;
    this.decodeChunk(frame, 0);
    if (restStart < last.length && !this.failed) this.decodeChunk(last, restStart);
  }

  /** Reads a length prefix; reports malformed and oversized ones. */
  private readLength(chunk: Buffer, cursor: Cursor): number {
    const length = readVarint(chunk, cursor);
    if (length === VARINT_MALFORMED) {
      this.fail(new FrameError('malformed frame length prefix'));
    } else if (length > this.maxFrameSize) {
      this.fail(new FrameError(`frame of ${length} bytes exceeds the maximum of ${this.maxFrameSize}`));
      return VARINT_MALFORMED;
    }
    return length;
  }

  private emit(chunk: Buffer, start: number, end: number): void {
    const frame = decodeFrameBody(chunk, start, end);
    if (frame instanceof FrameError) this.fail(frame);
    else this.onFrame(frame);
  }

  private fail(error: FrameError): void {
    this.failed = true;
    this.pending = [];
    this.pendingLength = 0;
    this.onError(error);
  }
}

const bodyCursor: Cursor = { pos: 0 };

/** Decodes one frame body, the bytes of `chunk` from `start` to `end`. */
export function decodeFrameBody(chunk: Buffer, start = 0, end = chunk.length): Frame | FrameError {
  return decodeDataFast(chunk, start, end) ?? decodeGeneric(chunk.subarray(start, end));
}

// The canonical data frame: [0x08 stream]? 0x22 length payload, the payload running to the end.
function decodeDataFast(chunk: Buffer, start: number, end: number): Frame | undefined {
  const cursor = bodyCursor;
  cursor.pos = start;
  let stream = 0;
  if (chunk[start] === STREAM_TAG && start < end) {
    cursor.pos = start + 1;
    stream = readVarint(chunk, cursor, end);
    if (stream <= 0) return undefined;
  }
  if (cursor.pos >= end || chunk[cursor.pos] !== DATA_TAG) return undefined;
  cursor.pos++;
  const length = readVarint(chunk, cursor, end);
  if (length < 0 || cursor.pos + length !== end) return undefined;
  return { stream, kind: 'data', data: chunk.subarray(cursor.pos, end) };
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
