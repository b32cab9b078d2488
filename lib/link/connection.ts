// One established link over a TCP or TLS socket: frames in through the FrameDecoder, frames
// out with data payloads written as they are (no copy). Stream 0 belongs to the link: Pings
// are answered here, a Close on it ends the link, and the optional keepalive lives here too.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import {
  FrameDecoder,
  encodeDataHeader,
  encodeFrame,
  type CloseMessage,
  type Frame,
} from '../protocol/index.js';
import { LINK_WRITE_HIGH_WATER } from './limits.js';
import type { ReadBuffer } from './read-buffer.js';
import { silentLogger } from './silent-logger.js';

export interface LinkOptions {
  /** The largest frame accepted from the peer (default: the decoder's 1 MiB + 16). */
  maxFrameSize?: number;
  /** Send a Ping on stream 0 this often; 0 or unset: never. */
  pingIntervalMs?: number;
  /** Destroy the link with 'link timed out' when no byte arrives for this long; 0 or unset: never. */
  pingTimeoutMs?: number;
  /** How long close() waits for the peer to end before destroying the socket (default 5 s). */
  lingerMs?: number;
  /** Unsent bytes over which writableNeedDrain is true (default LINK_WRITE_HIGH_WATER). */
  writeHighWaterBytes?: number;
  logger?: Logger;
}

/** The peer sent Close on stream 0: it is going away (e.g. 503 "provider shutting down"). */
export class LinkClosedError extends Error {
  override name = 'LinkClosedError';
  constructor(readonly close: CloseMessage) {
    super(`link closed by peer: ${close.code ?? 0} ${close.reason ?? ''} ${close.message ?? ''}`.trim());
  }
}

type LinkState = 'open' | 'closing' | 'closed';

const DEFAULT_LINGER_MS = 5000;
/** Data payloads up to this size are copied next to their frame header and written once. */
const INLINE_PAYLOAD_BYTES = 1024;

export class LinkConnection {
  private readonly decoder: FrameDecoder;
  private readonly logger: Logger;
  private readonly writeHighWater: number;
  private state: LinkState = 'open';
  private closeError: Error | undefined;
  private frameHandler: ((frame: Frame) => void) | undefined;
  private closeHandler: (error?: Error) => void = () => {};
  private drainHandler: () => void = () => {};
  /** What arrived before onFrame: the upgrade's head, and copies of reads lent meanwhile. */
  private early: Buffer[] = [];
  private uncorkScheduled = false;
  private lastReceivedAt = Date.now();
  private pingNonce = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;

  /**
   * Wraps an upgraded socket; `head` holds bytes that arrived with the upgrade. With `reads`,
   * the socket reads into that ReadBuffer instead of emitting 'data', and frames are lent.
   */
  constructor(
    readonly socket: Socket,
    private readonly options: LinkOptions = {},
    head?: Buffer,
    private readonly reads?: ReadBuffer,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.writeHighWater = options.writeHighWaterBytes ?? LINK_WRITE_HIGH_WATER;
    if (head?.length) this.early.push(head);
    reads?.deliverTo((view) => this.early.push(Buffer.from(view)));
    this.decoder = new FrameDecoder({
      maxFrameSize: options.maxFrameSize,
      reusedChunks: reads !== undefined,
      onFrame: (frame) => this.receive(frame),
      onError: (error) => this.destroy(error),
    });
    socket.setNoDelay(true);
    socket.on('end', () => this.onPeerEnd());
    socket.on('error', (error) => this.destroy(error));
    socket.on('close', () => this.finish());
    socket.on('drain', () => this.drainHandler());
    this.startKeepalive();
  }

  /** Whether frames can still be sent. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * True while the socket holds more unsent bytes than the link's high-water mark (data should
   * wait); onDrain says when it is empty again. The socket's own mark is lower, so a write has
   * already returned false and the socket's 'drain' will come.
   */
  get writableNeedDrain(): boolean {
    return this.socket.writableLength >= this.writeHighWater;
  }

  /**
   * Sets the handler for every frame of streams other than 0, and starts reading: no frame is
   * delivered before this is called, so nothing is lost between the handshake and the caller.
   */
  onFrame(handler: (frame: Frame) => void): void {
    const first = this.frameHandler === undefined;
    this.frameHandler = handler;
    if (!first || this.state === 'closed') return;
    for (const chunk of this.early) this.pushReceived(chunk);
    this.early = [];
    if (this.reads) this.reads.deliverTo((view) => this.pushReceived(view));
    else this.socket.on('data', (chunk: Buffer) => this.pushReceived(chunk));
    this.socket.resume();
  }

  /** Called once when the link is gone: no error after our own close(), else why it ended. */
  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
    if (this.state === 'closed') process.nextTick(() => handler(this.closeError));
  }

  /** Called each time the socket's write buffer has drained (after writableNeedDrain, among others). */
  onDrain(handler: () => void): void {
    this.drainHandler = handler;
  }

  /**
   * Sends a data frame. With `channel`, that byte is written before `payload` as the first
   * byte of the data field, so console output needs no copy to gain its channel byte. The
   * payload is written as it is: the caller must not change it afterwards. Returns false when
   * the socket wants to drain (or the link is closed).
   */
  sendData(stream: number, payload: Uint8Array, channel?: number): boolean {
    if (this.state !== 'open') return false;
    this.corkUntilNextTick();
    const prefix = channel === undefined ? 0 : 1;
    // A small payload rides in the header's buffer: one write instead of two is worth more
    // than the copy (a serial console's reads are tens of bytes). A large one is not copied.
    const inline = payload.length <= INLINE_PAYLOAD_BYTES;
    const room = prefix + (inline ? payload.length : 0);
    const head = encodeDataHeader(stream, prefix + payload.length, room);
    const at = head.length - room;
    if (prefix) head[at] = channel!;
    if (inline) head.set(payload, at + prefix);
    this.socket.write(head);
    if (!inline) this.socket.write(payload);
    return !this.writableNeedDrain;
  }

  /** Sends a control frame (any kind; use sendData for data). Returns false as sendData does. */
  send(frame: Frame): boolean {
    if (this.state !== 'open') return false;
    this.corkUntilNextTick();
    this.socket.write(encodeFrame(frame));
    return !this.writableNeedDrain;
  }

  /** Says goodbye with a Close on stream 0 (default 200) and ends the socket gracefully. */
  close(close: CloseMessage = { code: 200 }): void {
    if (this.state !== 'open') return;
    this.send({ stream: 0, kind: 'close', close });
    this.beginClosing();
    this.socket.end();
  }

  /** Tears the link down at once; `error` is what onClose reports. */
  destroy(error?: Error): void {
    if (this.state === 'closed') return;
    if (error && !this.closeError) {
      this.closeError = error;
      // A peer that went away (a restarted provider, an idle link the other side dropped) is routine.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ECONNRESET' || code === 'EPIPE') this.logger.debug({ code, remote: this.socket.remoteAddress }, 'link closed by the peer');
      else this.logger.warn({ err: error, remote: this.socket.remoteAddress }, 'link failed');
    }
    this.stopTimers();
    this.socket.destroy();
  }

  private pushReceived(chunk: Buffer): void {
    this.lastReceivedAt = Date.now();
    this.decoder.push(chunk);
  }

  private receive(frame: Frame): void {
    if (this.state === 'closed') return;
    if (frame.stream !== 0) {
      if (this.state === 'open') this.frameHandler!(frame);
      return;
    }
    switch (frame.kind) {
      case 'ping':
        this.send({ stream: 0, kind: 'pong', pong: { nonce: frame.ping.nonce ?? 0 } });
        return;
      case 'pong':
        return; // its arrival already counted as activity
      case 'close':
        this.closeError ??= new LinkClosedError(frame.close);
        this.beginClosing();
        this.socket.end();
        return;
      default:
        this.destroy(new Error(`protocol error: ${frame.kind} frame on stream 0`));
    }
  }

  private onPeerEnd(): void {
    if (this.state === 'open') this.closeError ??= new Error('link closed by peer without a Close frame');
    this.beginClosing();
    if (!this.socket.writableEnded) this.socket.end();
  }

  private beginClosing(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.stopTimers();
    this.lingerTimer = setTimeout(() => this.destroy(), this.options.lingerMs ?? DEFAULT_LINGER_MS).unref();
  }

  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopTimers();
    clearTimeout(this.lingerTimer);
    this.closeHandler(this.closeError);
  }

  // Writes of one tick go out together in one writev (header and payload, and any frames
  // sent in the same tick): measured faster than uncorking after every frame.
  private corkUntilNextTick(): void {
    if (this.uncorkScheduled) return;
    this.uncorkScheduled = true;
    this.socket.cork();
    process.nextTick(() => {
      this.uncorkScheduled = false;
      this.socket.uncork();
    });
  }

  private startKeepalive(): void {
    const interval = this.options.pingIntervalMs ?? 0;
    if (interval > 0) {
      this.pingTimer = setInterval(() => {
        this.pingNonce = (this.pingNonce + 1) >>> 0;
        this.send({ stream: 0, kind: 'ping', ping: { nonce: this.pingNonce } });
      }, interval).unref();
    }
    const timeout = this.options.pingTimeoutMs ?? 0;
    if (timeout > 0) this.armTimeout(timeout);
  }

  private armTimeout(timeout: number): void {
    const idle = Date.now() - this.lastReceivedAt;
    if (idle >= timeout) {
      this.destroy(new Error(`link timed out: nothing received for ${idle} ms`));
      return;
    }
    this.timeoutTimer = setTimeout(() => this.armTimeout(timeout), timeout - idle).unref();
  }

  private stopTimers(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.timeoutTimer);
  }
}
