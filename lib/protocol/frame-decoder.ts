// Incremental decoder for the link's length-prefixed frames. Socket chunks of any size go in;
// whole frames come out. Frames that lie inside one chunk are decoded in place and a data
// frame's payload is a view into that chunk; only a frame that spans chunks is copied, once,
// into a buffer of its own, because its body must be contiguous. A malformed or oversized frame
// is reported once through onError and the decoder stops: the link is broken, nothing is thrown
// to the caller.
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
  /**
   * The caller reuses each chunk's memory once push() returns (a socket reading into one
   * buffer). The bytes of an unfinished frame are then always copied, and a frame that spans
   * chunks is assembled in one of two buffers used in turn, never in a new one. Either way a
   * frame's data is valid until the next push().
   */
  reusedChunks?: boolean;
  onFrame: (frame: Frame) => void;
  onError: (error: FrameError) => void;
}

export class FrameDecoder {
  readonly maxFrameSize: number;
  private readonly reusedChunks: boolean;
  private readonly onFrame: (frame: Frame) => void;
  private readonly onError: (error: FrameError) => void;
  private readonly cursor: Cursor = { pos: 0 };
  /** The first bytes of an unfinished frame whose length prefix is not whole yet. */
  private readonly prefix = Buffer.allocUnsafe(MAX_VARINT32_BYTES);
  private prefixLength = 0;
  /** The unfinished frame, from its length prefix on, once that prefix is known; `assembled` bytes are in. */
  private assembly: Buffer | undefined;
  private assembled = 0;
  /** Prefix plus body length of the unfinished frame in `assembly`. */
  private frameLength = 0;
  /** With reusedChunks: the two assembly buffers, and which one the last frame used. */
  private readonly spares: Buffer[] = [];
  private spareTurn = 0;
  private failed = false;

  constructor(options: FrameDecoderOptions) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    this.reusedChunks = options.reusedChunks ?? false;
    this.onFrame = options.onFrame;
    this.onError = options.onError;
  }

  /** Bytes received that are not yet part of a whole frame. */
  get pendingBytes(): number {
    return this.prefixLength + this.assembled;
  }

  push(chunk: Buffer): void {
    if (this.failed || chunk.length === 0) return;
    let start = 0;
    if (this.pendingBytes > 0) {
      start = this.continueFrame(chunk);
      if (start < 0) return;
    }
    this.decodeChunk(chunk, start);
  }

  /** Decodes whole frames in place; copies an unfinished tail for the next chunk. */
  private decodeChunk(chunk: Buffer, start: number): void {
    const cursor = this.cursor;
    cursor.pos = start;
    while (cursor.pos < chunk.length && !this.failed) {
      const frameStart = cursor.pos;
      const bodyLength = this.readLength(chunk, cursor);
      if (bodyLength === VARINT_MALFORMED) return;
      if (bodyLength === VARINT_INCOMPLETE) {
        this.prefixLength = chunk.copy(this.prefix, 0, frameStart);
        return;
      }
      const bodyStart = cursor.pos;
      const bodyEnd = bodyStart + bodyLength;
      if (bodyEnd > chunk.length) {
        this.startAssembly(bodyEnd - frameStart);
        this.assembled = chunk.copy(this.assembly!, 0, frameStart);
        return;
      }
      cursor.pos = bodyEnd;
      this.emit(chunk, bodyStart, bodyEnd);
      cursor.pos = bodyEnd; // onFrame may have pushed more data re-entrantly; this chunk continues here
    }
  }

  /**
   * Adds the start of `chunk` to the unfinished frame. Returns where the chunk's own frames
   * begin once that frame is whole and delivered, or -1 while it still needs more.
   */
  private continueFrame(chunk: Buffer): number {
    let at = 0;
    if (this.assembly === undefined) {
      // Its length prefix is itself split: take bytes until the prefix reads.
      const cursor = this.cursor;
      while (at < chunk.length) {
        this.prefix[this.prefixLength++] = chunk[at++]!;
        cursor.pos = 0;
        const bodyLength = this.readLength(this.prefix.subarray(0, this.prefixLength), cursor);
        if (bodyLength === VARINT_MALFORMED) return -1;
        if (bodyLength === VARINT_INCOMPLETE) continue;
        this.startAssembly(cursor.pos + bodyLength);
        this.assembled = this.prefix.copy(this.assembly!, 0, 0, this.prefixLength);
        this.prefixLength = 0;
        break;
      }
      if (this.assembly === undefined) return -1;
    }
    const taken = chunk.copy(this.assembly, this.assembled, at, at + this.frameLength - this.assembled);
    this.assembled += taken;
    at += taken;
    if (this.assembled < this.frameLength) return -1;
    const frame = this.assembly.subarray(0, this.frameLength);
    this.assembly = undefined;
    this.assembled = 0;
    this.decodeChunk(frame, 0);
    return this.failed ? -1 : at;
  }

  /** The buffer for an unfinished frame of `length` bytes (prefix included). */
  private startAssembly(length: number): void {
    this.frameLength = length;
    if (!this.reusedChunks) {
      this.assembly = Buffer.allocUnsafe(length);
      return;
    }
    // Two in turn: the frame delivered from one stays whole while the next is copied into the other.
    const turn = (this.spareTurn ^= 1);
    if ((this.spares[turn]?.length ?? 0) < length) this.spares[turn] = Buffer.allocUnsafe(length);
    this.assembly = this.spares[turn]!;
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
    this.assembly = undefined;
    this.assembled = 0;
    this.prefixLength = 0;
    this.spares.length = 0;
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
