// SPDY/3 name/value header blocks (spec 2.6.10): a count, then length-prefixed names and
// values, zlib-compressed with the SPDY dictionary. The zlib stream spans the whole connection,
// one per direction, each block ending in a sync flush; so a compressor or decompressor belongs
// to one connection and must see every block in wire order. Node has no synchronous streaming
// zlib, so the stream is carried as its state: a later block is inflated raw with the stream's
// last 32 KiB as the preset dictionary (exactly the window it may refer to), and ours are
// stored (uncompressed) deflate blocks. No zlib context outlives a call. Decompression is bounded: a
// block that inflates past the limit fails the connection before a large buffer exists.
import { constants, inflateRawSync, inflateSync } from 'node:zlib';
import { SPDY_HEADER_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError, SpdyGoAwayStatus, type SpdyHeaders } from './frames.js';

/** Header names with one value or several (sent NUL-joined, as spdystream does for http.Header). */
export type SpdyHeaderInput = Readonly<Record<string, string | readonly string[]>>;

export interface SpdyHeaderLimits {
  /** The largest decompressed block accepted (default 64 KiB). */
  maxHeaderBytes?: number;
  /** The most name/value pairs in one block (default 128). */
  maxHeaderCount?: number;
}

export const DEFAULT_SPDY_MAX_HEADER_BYTES = 64 * 1024;
export const DEFAULT_SPDY_MAX_HEADER_COUNT = 128;

/** The most a deflate stream refers back (windowBits 15). */
const ZLIB_WINDOW_BYTES = 32 * 1024;

const NUL = '\u0000';

/** Serialises a block (uncompressed): names lower-cased, multiple values joined by NUL. */
export function encodeSpdyNameValueBlock(headers: SpdyHeaderInput): Buffer {
  const entries = Object.entries(headers).map(([name, value]) => {
    const joined = typeof value === 'string' ? value : value.join(NUL);
    return [Buffer.from(name.toLowerCase(), 'latin1'), Buffer.from(joined, 'latin1')] as const;
  });
  let size = 4;
  for (const [name, value] of entries) size += 8 + name.length + value.length;
  const out = Buffer.allocUnsafe(size);
  let at = out.writeUInt32BE(entries.length, 0);
  for (const [name, value] of entries) {
    at = out.writeUInt32BE(name.length, at);
    at += name.copy(out, at);
    at = out.writeUInt32BE(value.length, at);
    at += value.copy(out, at);
  }
  return out;
}

/**
 * Parses a decompressed block. Every rule broken here is a stream error (the zlib stream is
 * still in step): empty, upper-case or duplicate names, illegal NUL placement, a count or
 * length that runs past the block, or bytes after the last pair.
 */
export function decodeSpdyNameValueBlock(block: Buffer, streamId: number, maxCount = DEFAULT_SPDY_MAX_HEADER_COUNT): SpdyHeaders | SpdyProtocolError {
  const fail = (why: string) => SpdyProtocolError.forStream(streamId, `stream ${streamId}: invalid header block: ${why}`);
  if (block.length < 4) return fail('shorter than its count');
  const count = block.readUInt32BE(0);
  if (count > maxCount) return fail(`${count} headers, more than the limit of ${maxCount}`);
  const headers: SpdyHeaders = new Map();
  let at = 4;
  const field = (what: string): string | SpdyProtocolError => {
    if (block.length - at < 4) return fail(`${what} length runs past the block`);
    const length = block.readUInt32BE(at);
    at += 4;
    if (block.length - at < length) return fail(`${what} runs past the block`);
    const text = block.toString('latin1', at, at + length);
    at += length;
    return text;
  };
  for (let i = 0; i < count; i++) {
    const name = field('name');
    if (name instanceof SpdyProtocolError) return name;
    const value = field('value');
    if (value instanceof SpdyProtocolError) return value;
    if (name === '') return fail('empty header name');
    if (name !== name.toLowerCase()) return fail(`header name ${JSON.stringify(name)} is not lower case`);
    if (headers.has(name)) return fail(`duplicate header name ${JSON.stringify(name)}`);
    if (value.startsWith(NUL) || value.endsWith(NUL) || value.includes(NUL + NUL)) {
      return fail(`header ${JSON.stringify(name)} has an empty value between NULs`);
    }
    headers.set(name, value.split(NUL));
  }
  if (at !== block.length) return fail(`${block.length - at} bytes after the last header`);
  return headers;
}

/** Compresses the blocks we send, in order, on one connection. */
export class SpdyHeaderCompressor {
  private started = false;

  /**
   * Our blocks are deflate "stored" blocks: a zlib context per call costs tens of microseconds
   * and remotecommand's headers are a few bytes, so packing them is not worth it. The first
   * block opens the zlib stream with its header and the dictionary's id, as the spec requires;
   * each ends with the empty stored block a sync flush writes, which is what makes an inflater
   * (Go's flate among them) hand out the block's bytes before the next frame arrives.
   */
  compress(headers: SpdyHeaderInput): Buffer {
    const block = encodeSpdyNameValueBlock(headers);
    const head = this.started ? 0 : ZLIB_HEADER.length;
    this.started = true;
    const stored = Math.ceil(block.length / MAX_STORED);
    const out = Buffer.allocUnsafe(head + STORED_BLOCK_OVERHEAD * (stored + 1) + block.length);
    let at = head ? ZLIB_HEADER.copy(out) : 0;
    const storedBlock = (bytes: Buffer) => {
      out[at] = 0; // BFINAL 0, BTYPE 00 (stored), then padding to the byte
      out.writeUInt16LE(bytes.length, at + 1);
      out.writeUInt16LE(~bytes.length & 0xffff, at + 3);
      at += STORED_BLOCK_OVERHEAD + bytes.copy(out, at + STORED_BLOCK_OVERHEAD);
    };
    for (let from = 0; from < block.length; from += MAX_STORED) storedBlock(block.subarray(from, from + MAX_STORED));
    storedBlock(Buffer.alloc(0)); // the sync flush
    return out;
  }
}

/** A stored block's header: one byte of block header and padding, LEN and NLEN. */
const STORED_BLOCK_OVERHEAD = 5;
const MAX_STORED = 0xffff;

/** zlib's stream header for deflate with a preset dictionary: CMF, FLG (FDICT), then the dictionary's Adler-32. */
const ZLIB_HEADER = zlibHeader();

function zlibHeader(): Buffer {
  const cmf = 0x78; // deflate, 32 KiB window
  const flags = 0x20; // FDICT, FLEVEL 0
  const header = Buffer.alloc(6);
  header[0] = cmf;
  header[1] = flags + (31 - ((cmf * 256 + flags) % 31));
  header.writeUInt32BE(adler32(SPDY_HEADER_DICTIONARY), 2);
  return header;
}

function adler32(bytes: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (const byte of bytes) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Decompresses the blocks a peer sends, in order, on one connection. */
export class SpdyHeaderDecompressor {
  private readonly maxCount: number;
  private readonly maxBytes: number;
  /** The last 32 KiB of the inflated stream (the dictionary first): all a later block may refer to. */
  private window: Buffer | undefined;

  constructor(limits: SpdyHeaderLimits = {}) {
    this.maxBytes = limits.maxHeaderBytes ?? DEFAULT_SPDY_MAX_HEADER_BYTES;
    this.maxCount = limits.maxHeaderCount ?? DEFAULT_SPDY_MAX_HEADER_COUNT;
  }

  /** The block's headers, a stream error for a bad block, or throws a session error when zlib fails. */
  decompress(compressed: Buffer, streamId: number): SpdyHeaders | SpdyProtocolError {
    let block: Buffer;
    // maxOutputLength makes zlib stop (and throw) once a block inflates past the limit.
    const options = { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: this.maxBytes };
    try {
      block = this.window
        ? inflateRawSync(compressed, { ...options, dictionary: this.window })
        : inflateSync(compressed, { ...options, dictionary: SPDY_HEADER_DICTIONARY });
    } catch (error) {
      const why = (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? `inflates past ${this.maxBytes} bytes` : (error as Error).message;
      throw new SpdyProtocolError(`header block of stream ${streamId} cannot be decompressed: ${why}`, SpdyGoAwayStatus.PROTOCOL_ERROR);
    }
    const history = Buffer.concat([this.window ?? SPDY_HEADER_DICTIONARY, block]);
    this.window = history.subarray(Math.max(0, history.length - ZLIB_WINDOW_BYTES));
    return decodeSpdyNameValueBlock(block, streamId, this.maxCount);
  }
}
