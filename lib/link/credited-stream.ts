// The credit rules of one stream, for either end: what may be sent now, what waits for credit
// (or for the link's socket to drain), how big a frame is, and when credit goes back. Each end's stream (the provider's console
// session, the gateway's upstream stream) adds only what its data means.
import { MAX_WINDOW, ReceiveWindow, SendWindow } from './flow-control.js';
import { MAX_DATA_PAYLOAD, MIN_STREAM_WINDOW } from './limits.js';
import type { LinkConnection } from './connection.js';

/** Why `window` cannot be a stream's initial credit (Open.window, Opened.window), or undefined. */
export function invalidStreamWindow(field: string, window: number): string | undefined {
  if (window >= MIN_STREAM_WINDOW && window <= MAX_WINDOW) return undefined;
  return `${field} must be from ${MIN_STREAM_WINDOW} to ${MAX_WINDOW} bytes, got ${window}`;
}

interface Pending {
  channel: number;
  bytes: Buffer;
  /** Where small chunks queued behind `bytes` are copied to, so that they leave together. */
  room?: Buffer;
}

/**
 * Small chunks that wait for credit (or for the link to drain) are copied together up to this
 * size: a hundred provider streams of 256 B console reads held a hundred thousand views that
 * lived long enough to cost a third of the provider's CPU in garbage collection, and each left
 * as its own frame.
 */
const COALESCE_BYTES = 16 * 1024;
/**
 * Only chunks up to this size are copied: at 4 KiB the copies (and their 16 KiB buffers) cost
 * the provider more than the views did (TLS 100 x 4 KiB: 1.3 vs 0.7 s/GB).
 */
const COALESCE_CHUNK_BYTES = 1024;

export class CreditedStream {
  private sendWindow = new SendWindow(0);
  /** Payload bytes per frame: at most MAX_DATA_PAYLOAD, and half the peer's initial window; 0 until it granted one. */
  private largestFrame = 0;
  private readonly receiveWindow: ReceiveWindow;
  private readonly pending: Pending[] = [];
  private pendingBytes = 0;
  private closed = false;

  constructor(
    private readonly link: LinkConnection,
    readonly id: number,
    /** The credit this end grants the peer. */
    receiveWindow: number,
  ) {
    this.receiveWindow = new ReceiveWindow(receiveWindow);
  }

  /** Payload bytes waiting for credit or for the link to drain (channel bytes not counted). */
  get waitingBytes(): number {
    return this.pendingBytes;
  }

  /** The peer's initial credit (a valid one: see invalidStreamWindow); sends what waited for it. */
  start(window: number): void {
    this.sendWindow = new SendWindow(window);
    this.largestFrame = Math.min(MAX_DATA_PAYLOAD, Math.floor(window / 2));
    this.flush();
  }

  /**
   * Sends `bytes` on `channel` as far as the credit goes, while the link's socket is under its
   * high-water mark, and keeps the rest, in order, for the next Credit or drain. The bytes are
   * sent as views: the caller must not change them afterwards.
   */
  send(channel: number, bytes: Buffer): void {
    if (this.closed) return;
    const rest = this.pending.length === 0 ? this.sendWithinCredit(channel, bytes) : bytes;
    if (rest.length === 0) return;
    this.enqueue(channel, rest);
    this.pendingBytes += rest.length;
  }

  /** The peer's Credit frame; an error (the stream's to report) when it overflows the window. */
  credit(bytes: number): Error | undefined {
    const overflow = this.sendWindow.grant(bytes);
    if (overflow) return overflow;
    this.flush();
    return undefined;
  }

  /** The link's socket drained: sends what waited for it. */
  linkDrained(): void {
    if (!this.closed) this.flush();
  }

  /** Counts a data field the peer sent; false when it sent more than its credit. */
  received(bytes: number): boolean {
    return this.receiveWindow.receive(bytes);
  }

  /** This end is done with `bytes` the peer sent: returns the credit, batched. */
  release(bytes: number): void {
    const grant = this.receiveWindow.release(bytes);
    if (grant > 0 && !this.closed) this.link.send({ stream: this.id, kind: 'credit', credit: { bytes: grant } });
  }

  /** The stream is over: what waits is dropped and nothing more is sent. */
  close(): void {
    this.closed = true;
    this.pending.length = 0;
    this.pendingBytes = 0;
  }

  private enqueue(channel: number, bytes: Buffer): void {
    if (bytes.length > COALESCE_CHUNK_BYTES) return void this.pending.push({ channel, bytes });
    const tail = this.pending[this.pending.length - 1];
    if (tail?.room && tail.channel === channel) {
      // The tail's `bytes` may have lost its head to a frame already sent: append after its end.
      const end = tail.bytes.byteOffset - tail.room.byteOffset + tail.bytes.length;
      if (end + bytes.length <= tail.room.length) {
        bytes.copy(tail.room, end);
        tail.bytes = tail.room.subarray(end - tail.bytes.length, end + bytes.length);
        return;
      }
    }
    const room = Buffer.allocUnsafe(COALESCE_BYTES);
    bytes.copy(room);
    this.pending.push({ channel, bytes: room.subarray(0, bytes.length), room });
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0]!;
      const rest = this.sendWithinCredit(head.channel, head.bytes);
      this.pendingBytes -= head.bytes.length - rest.length;
      if (rest.length > 0) {
        head.bytes = rest;
        return;
      }
      this.pending.shift();
    }
  }

  /**
   * Sends what the credit allows, in frames of at most `largestFrame`; returns the rest. A
   * frame is not cut to fit the credit left: two small frames cost the receiver two messages
   * for one, so it waits for credit instead. It never waits for more than half the window: a
   * receiver returns credit before it holds that much back (ReceiveWindow).
   */
  private sendWithinCredit(channel: number, bytes: Buffer): Buffer {
    if (this.largestFrame === 0) return bytes;
    while (bytes.length > 0) {
      const size = Math.min(bytes.length, this.largestFrame);
      if (this.sendWindow.available < size + 1) break; // 1: the channel byte
      if (this.link.writableNeedDrain) break;
      this.sendWindow.take(size + 1);
      this.link.sendData(this.id, bytes.subarray(0, size), channel);
      bytes = bytes.subarray(size);
    }
    return bytes;
  }
}
