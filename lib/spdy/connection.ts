// A SPDY/3.1 connection over an upgraded socket (TCP or TLS), either role, behaving as moby's
// spdystream (the peer of every Kubernetes SPDY client and server) so real peers interoperate:
// - stream ids: client odd, server even, each side's strictly increasing; a peer's id out of
//   order or of our parity is a session error (GOAWAY PROTOCOL_ERROR, then the socket closes);
// - a peer's SYN_STREAM is answered by the caller with SYN_REPLY (stream.reply());
// - PING: the peer's are echoed, ours (ping()) resolve with the round trip;
// - GOAWAY from the peer: no new streams; the socket closes once the open ones are done;
// - flow control: spdystream neither grants nor checks windows, so our sends never wait for
//   one; we still grant the peer's windows as data arrives, so a peer that honours them never
//   stalls. Backpressure is the socket's: write() says false past the high-water mark, and
//   reading stops while the peer does not read what we owe it (pauseInput() stops it too);
// - SETTINGS and unknown control frames are ignored, as spdystream does.
// A peer's garbage ends only this connection; nothing here throws at the caller's event loop.
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import {
  SPDY_INITIAL_WINDOW,
  SPDY_MAX_STREAM_ID,
  SpdyFrameDecoder,
  SpdyGoAwayStatus,
  SpdyHeaderCompressor,
  SpdyProtocolError,
  SpdyRstStatus,
  encodeSpdyDataHeader,
  encodeSpdyGoAway,
  encodeSpdyPing,
  encodeSpdyRstStream,
  encodeSpdySynReply,
  encodeSpdySynStream,
  encodeSpdyWindowUpdate,
  type SpdyFrame,
  type SpdyHeaderInput,
  type SpdyHeaderLimits,
} from '../protocol/index.js';
import { silentLogger } from '../link/silent-logger.js';
import { SpdyStream, type SpdyStreamOwner } from './stream.js';

export interface SpdyConnectionOptions extends SpdyHeaderLimits {
  role: 'server' | 'client';
  /** The largest frame payload accepted from the peer (default 1 MiB). */
  maxFrameSize?: number;
  /** Concurrent streams the peer may open (default 16; remotecommand uses at most 5). */
  maxStreams?: number;
  /** write() returns false once this much is buffered (default 64 KiB); reading stops at 4x. */
  highWaterBytes?: number;
  /** Destroy the connection when no byte moves either way for this long; 0 or unset: never. */
  idleTimeoutMs?: number;
  /** Send a PING this often (client-go's SPDY clients: every 5 s) so idle load balancers keep the connection; 0 or unset: never. */
  pingIntervalMs?: number;
  /** How long close() waits for the peer to hang up before destroying the socket (default 5 s). */
  lingerMs?: number;
  logger?: Logger;
}

const DEFAULT_MAX_STREAMS = 16;
const DEFAULT_HIGH_WATER_BYTES = 64 * 1024;
const DEFAULT_LINGER_MS = 5000;
/**
 * Our DATA frames carry at most this much; larger writes become several frames (views, no
 * copy). Frames well under a socket read (64 KiB) mostly decode as views, not copies.
 */
const MAX_SEND_FRAME = 16 * 1024;
/** Grant the peer's window back once half of it is used. */
const GRANT_THRESHOLD = SPDY_INITIAL_WINDOW / 2;

type ConnectionState = 'open' | 'closing' | 'closed';

export class SpdyConnection implements SpdyStreamOwner {
  private readonly decoder: SpdyFrameDecoder;
  private readonly compressor = new SpdyHeaderCompressor();
  private readonly logger: Logger;
  private readonly streams = new Map<number, SpdyStream>();
  private readonly highWater: number;
  private readonly pings = new Map<number, { started: number; resolve: (ms: number) => void; reject: (error: Error) => void }>();
  private state: ConnectionState = 'open';
  private closeError: Error | undefined;
  private nextStreamId: number;
  private nextPingId: number;
  /** The highest stream id the peer opened (0: none yet). */
  private lastPeerStreamId = 0;
  private sentGoAway = false;
  private sentGoAwayOk = false;
  /** After a session error the framing is lost: what still arrives is dropped unread. */
  private discarding = false;
  private peerGoneAway = false;
  private ungrantedSession = 0;
  private userPaused = false;
  private writePaused = false;
  private uncorkScheduled = false;
  private lastActivity = Date.now();
  private idleTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private streamHandler: ((stream: SpdyStream) => void) | undefined;
  private closeHandler: (error?: Error) => void = () => {};
  private drainHandler: () => void = () => {};

  /** Wraps an upgraded socket; `head` holds bytes that came with the upgrade. Reading starts on the next tick. */
  constructor(
    readonly socket: Duplex,
    private readonly options: SpdyConnectionOptions,
    head?: Buffer,
  ) {
    this.logger = options.logger ?? silentLogger;
    // Never below the socket's own mark: 'drain' only follows a socket write that said false.
    this.highWater = Math.max(options.highWaterBytes ?? DEFAULT_HIGH_WATER_BYTES, socket.writableHighWaterMark);
    this.nextStreamId = options.role === 'client' ? 1 : 2;
    this.nextPingId = options.role === 'client' ? 1 : 2;
    this.decoder = new SpdyFrameDecoder({ maxFrameSize: options.maxFrameSize, maxHeaderBytes: options.maxHeaderBytes, maxHeaderCount: options.maxHeaderCount });
    (socket as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    // A reset after our own graceful close (the peer hung up with our last frames unread) is no failure.
    socket.on('error', (error) => this.destroy(this.state === 'closing' && this.sentGoAwayOk ? undefined : error));
    socket.on('end', () => this.onPeerEnd());
    socket.on('close', () => this.finish());
    socket.on('drain', () => this.onSocketDrain());
    if (options.idleTimeoutMs) this.armIdle(options.idleTimeoutMs);
    if (options.pingIntervalMs) {
      // A ping the connection's end rejects needs no answer; the close says why.
      this.pingTimer = setInterval(() => this.ping().catch(() => {}), options.pingIntervalMs).unref();
    }
    process.nextTick(() => {
      if (this.state === 'closed') return;
      if (head?.length) this.receive(head);
      socket.on('data', (chunk: Buffer) => this.receive(chunk));
      // An upgraded socket may come paused; a 'data' listener alone would not start it then.
      if (!this.userPaused && !this.writePaused) socket.resume();
    });
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  private get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Bytes written but not yet flushed to the socket. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** Handles each stream the peer opens; without one, the peer's streams are refused. */
  onStream(handler: (stream: SpdyStream) => void): void {
    this.streamHandler = handler;
  }

  /** Called once when the socket is gone: no error after a GOAWAY OK either way, else why. */
  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
  }

  /** Called when buffered output falls below the high-water mark after write() said false. */
  onDrain(handler: () => void): void {
    this.drainHandler = handler;
  }

  /** Opens a stream with SYN_STREAM; its SYN_REPLY comes to stream.onReply. */
  openStream(headers: SpdyHeaderInput, options: { fin?: boolean } = {}): SpdyStream {
    if (this.state !== 'open' || this.peerGoneAway || this.sentGoAway) throw new Error('SPDY connection is closing: no new streams');
    const id = this.nextStreamId;
    if (id > SPDY_MAX_STREAM_ID) throw new Error('SPDY stream ids exhausted');
    this.nextStreamId += 2;
    const stream = new SpdyStream(this, id, new Map(), true);
    this.streams.set(id, stream);
    this.write(encodeSpdySynStream(id, headers, this.compressor, { fin: options.fin }));
    if (options.fin) stream.localClosed = true;
    return stream;
  }

  /** Sends a PING; resolves with the round trip in ms, rejects when the connection closes first. */
  ping(): Promise<number> {
    if (this.state !== 'open') return Promise.reject(new Error('SPDY connection is closed'));
    const id = this.nextPingId;
    // Ids wrap within 31 bits, keeping our parity (spdystream's rule).
    this.nextPingId = this.nextPingId > 0x7ffffffe ? this.nextPingId - 0x7ffffffe : this.nextPingId + 2;
    return new Promise((resolve, reject) => {
      this.pings.set(id, { started: performance.now(), resolve, reject });
      this.write(encodeSpdyPing(id));
    });
  }

  /** Stops reading the peer (backpressure for whoever consumes the streams). */
  pauseInput(): void {
    this.userPaused = true;
    this.socket.pause();
  }

  resumeInput(): void {
    this.userPaused = false;
    if (!this.writePaused && this.state !== 'closed') this.socket.resume();
  }

  /**
   * Says GOAWAY OK (as spdystream's Close), ends our side of the socket and keeps reading
   * until the peer hangs up or the linger time passes. Streams should be ended first.
   */
  close(): void {
    if (this.state !== 'open') return;
    this.sendGoAway(SpdyGoAwayStatus.OK);
    this.beginClosing();
  }

  /** Tears the connection down at once; `error` is what onClose reports. */
  destroy(error?: Error): void {
    if (this.state === 'closed') return;
    if (error && !this.closeError) this.closeError = error;
    this.socket.destroy();
    this.finish();
  }

  // --- SpdyStreamOwner ---

  sendData(stream: SpdyStream, data: Uint8Array, fin: boolean): boolean {
    if (this.state === 'closed' || stream.localClosed) return false;
    if (fin) stream.localClosed = true;
    for (let at = 0; at < data.length || (at === 0 && data.length === 0); at += MAX_SEND_FRAME) {
      const end = Math.min(data.length, at + MAX_SEND_FRAME);
      const last = end === data.length;
      this.write(encodeSpdyDataHeader(stream.id, end - at, fin && last));
      if (end > at) this.write(at === 0 && last ? data : data.subarray(at, end));
      if (last) break;
    }
    if (fin) this.settle(stream);
    return this.socket.writableLength < this.highWater;
  }

  sendReply(stream: SpdyStream, headers: SpdyHeaderInput, fin: boolean): void {
    if (this.state === 'closed') return;
    stream.replied = true;
    this.write(encodeSpdySynReply(stream.id, headers, this.compressor, fin));
    if (fin) {
      stream.localClosed = true;
      this.settle(stream);
    }
  }

  sendReset(stream: SpdyStream, status: number): void {
    if (!this.streams.has(stream.id)) return;
    this.forget(stream);
    if (this.state !== 'closed') this.write(encodeSpdyRstStream(stream.id, status));
  }

  // --- receiving ---

  private receive(chunk: Buffer): void {
    if (this.state === 'closed' || this.discarding) return;
    this.lastActivity = Date.now();
    let frames: SpdyFrame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (error) {
      this.fail(error as SpdyProtocolError);
      return;
    }
    for (const frame of frames) {
      if (this.isClosed) return;
      this.handle(frame);
    }
    // A peer that sends but does not read what we answer must not grow our buffers.
    if (this.socket.writableLength >= 4 * this.highWater && !this.writePaused) {
      this.writePaused = true;
      this.socket.pause();
    }
  }

  private handle(frame: SpdyFrame): void {
    switch (frame.type) {
      case 'data':
        return this.handleData(frame.streamId, frame.data, frame.fin);
      case 'syn_stream':
        return this.handleSynStream(frame);
      case 'syn_reply': {
        const stream = this.knownStream(frame.streamId);
        if (!stream) return;
        if (frame.headerError) return this.resetStream(frame.streamId, SpdyRstStatus.PROTOCOL_ERROR, frame.headerError.message);
        if (!stream.local || stream.replied) return this.resetStream(frame.streamId, SpdyRstStatus.STREAM_IN_USE, `SYN_REPLY on stream ${frame.streamId}, which was not ours or was answered`);
        stream.replied = true;
        stream.receiveReply(frame.headers);
        if (frame.fin) this.remoteEnd(stream);
        return;
      }
      case 'headers': {
        const stream = this.knownStream(frame.streamId);
        if (!stream) return;
        if (frame.headerError) return this.resetStream(frame.streamId, SpdyRstStatus.PROTOCOL_ERROR, frame.headerError.message);
        if (frame.fin) this.remoteEnd(stream);
        return;
      }
      case 'rst_stream': {
        const stream = this.streams.get(frame.streamId);
        if (!stream) return; // already gone on our side
        this.forget(stream);
        stream.receiveReset(frame.status);
        return;
      }
      case 'ping':
        if ((frame.id & 1) !== (this.nextPingId & 1)) {
          this.write(encodeSpdyPing(frame.id));
          return;
        }
        this.answerPing(frame.id);
        return;
      case 'goaway':
        return this.handleGoAway(frame.lastGoodStreamId, frame.status);
      case 'settings':
      case 'window_update':
        return; // see the header: nothing to honour
    }
  }

  private handleSynStream(frame: Extract<SpdyFrame, { type: 'syn_stream' }>): void {
    const id = frame.streamId;
    const peerParity = this.options.role === 'server' ? 1 : 0;
    if ((id & 1) !== peerParity || id <= this.lastPeerStreamId) {
      this.fail(new SpdyProtocolError(`SYN_STREAM with stream id ${id} after ${this.lastPeerStreamId}: ids must increase and be ${peerParity ? 'odd' : 'even'}`));
      return;
    }
    this.lastPeerStreamId = id;
    if (frame.headerError) return this.resetStream(id, SpdyRstStatus.PROTOCOL_ERROR, frame.headerError.message);
    if (this.sentGoAway || this.state !== 'open' || !this.streamHandler) return this.resetStream(id, SpdyRstStatus.REFUSED_STREAM);
    const peerStreams = [...this.streams.values()].filter((stream) => !stream.local).length;
    if (peerStreams >= (this.options.maxStreams ?? DEFAULT_MAX_STREAMS)) {
      return this.resetStream(id, SpdyRstStatus.REFUSED_STREAM, `more than ${this.options.maxStreams ?? DEFAULT_MAX_STREAMS} concurrent streams`);
    }
    const stream = new SpdyStream(this, id, frame.headers, false);
    this.streams.set(id, stream);
    if (frame.unidirectional) stream.localClosed = true;
    this.streamHandler(stream);
    if (frame.fin) this.remoteEnd(stream);
  }

  private handleData(id: number, data: Buffer, fin: boolean): void {
    const stream = this.knownStream(id);
    if (!stream) return;
    if (stream.remoteClosed) return this.resetStream(id, SpdyRstStatus.STREAM_ALREADY_CLOSED, `DATA on stream ${id} after its FIN`);
    if (data.length > 0) {
      this.grant(stream, data.length);
      stream.receiveData(data);
    }
    if (fin && this.streams.has(id)) this.remoteEnd(stream);
  }

  /** The open stream `id`, or undefined: silently for one that existed (late frames), with RST INVALID_STREAM for one that never did. */
  private knownStream(id: number): SpdyStream | undefined {
    const stream = this.streams.get(id);
    if (stream) return stream;
    const ours = (id & 1) === (this.nextStreamId & 1);
    const existed = ours ? id < this.nextStreamId : id <= this.lastPeerStreamId;
    if (!existed) this.resetStream(id, SpdyRstStatus.INVALID_STREAM, `frame on stream ${id}, which was never opened`);
    return undefined;
  }

  private grant(stream: SpdyStream, bytes: number): void {
    stream.ungranted += bytes;
    this.ungrantedSession += bytes;
    if (stream.ungranted >= GRANT_THRESHOLD) {
      this.write(encodeSpdyWindowUpdate(stream.id, stream.ungranted));
      stream.ungranted = 0;
    }
    if (this.ungrantedSession >= GRANT_THRESHOLD) {
      this.write(encodeSpdyWindowUpdate(0, this.ungrantedSession));
      this.ungrantedSession = 0;
    }
  }

  private remoteEnd(stream: SpdyStream): void {
    if (stream.remoteClosed) return;
    stream.remoteClosed = true;
    stream.receiveEnd();
    this.settle(stream);
  }

  private answerPing(id: number): void {
    const pending = this.pings.get(id);
    if (!pending) return;
    this.pings.delete(id);
    pending.resolve(performance.now() - pending.started);
  }

  private handleGoAway(lastGoodStreamId: number, status: number): void {
    this.peerGoneAway = true;
    if (status !== SpdyGoAwayStatus.OK) this.closeError ??= new Error(`SPDY peer went away with status ${status}`);
    // Streams we opened after the peer's last good one were never seen: they are refused.
    for (const stream of [...this.streams.values()]) {
      if (stream.local && stream.id > lastGoodStreamId) {
        this.forget(stream);
        stream.receiveReset(SpdyRstStatus.REFUSED_STREAM);
      }
    }
    this.endIfDone();
  }

  // --- sending and closing ---

  private write(buffer: Uint8Array): void {
    if (this.state === 'closed' || this.socket.writableEnded) return;
    this.lastActivity = Date.now();
    if (!this.uncorkScheduled) {
      this.uncorkScheduled = true;
      this.socket.cork();
      process.nextTick(() => {
        this.uncorkScheduled = false;
        this.socket.uncork();
      });
    }
    this.socket.write(buffer);
  }

  private resetStream(id: number, status: number, why?: string): void {
    if (why) this.logger.debug({ stream: id, status }, `SPDY stream reset: ${why}`);
    const stream = this.streams.get(id);
    if (stream) this.forget(stream);
    this.write(encodeSpdyRstStream(id, status));
  }

  private sendGoAway(status: number): void {
    if (this.sentGoAway) return;
    this.sentGoAway = true;
    this.sentGoAwayOk = status === SpdyGoAwayStatus.OK;
    this.write(encodeSpdyGoAway(this.lastPeerStreamId, status));
  }

  /** A session error: GOAWAY with its status, then the connection ends with that error. */
  private fail(error: SpdyProtocolError): void {
    this.logger.warn({ err: error, remote: (this.socket as { remoteAddress?: string }).remoteAddress }, 'SPDY peer broke the protocol');
    this.closeError ??= error;
    this.discarding = true;
    this.sendGoAway(error.goAwayStatus);
    this.beginClosing();
  }

  /** A stream both of whose halves are closed leaves the table. */
  private settle(stream: SpdyStream): void {
    if (stream.localClosed && stream.remoteClosed) this.forget(stream);
  }

  private forget(stream: SpdyStream): void {
    stream.localClosed = stream.remoteClosed = true;
    if (!this.streams.delete(stream.id)) return;
    this.endIfDone();
  }

  /** After a GOAWAY either way, the connection ends once no stream is left. */
  private endIfDone(): void {
    if (this.state === 'open' && this.peerGoneAway && this.streams.size === 0) this.beginClosing();
  }

  private beginClosing(): void {
    if (this.state !== 'open') return;
    this.state = 'closing';
    this.socket.end();
    this.lingerTimer = setTimeout(() => this.destroy(), this.options.lingerMs ?? DEFAULT_LINGER_MS).unref();
    // Keep reading (and discarding) so the peer's last frames do not meet a reset socket.
    if (this.userPaused || this.writePaused) {
      this.userPaused = this.writePaused = false;
      this.socket.resume();
    }
  }

  private onPeerEnd(): void {
    if (this.state === 'open' && !this.peerGoneAway) this.closeError ??= new Error('SPDY connection closed by peer without GOAWAY');
    this.beginClosing();
  }

  private onSocketDrain(): void {
    if (this.writePaused) {
      this.writePaused = false;
      if (!this.userPaused) this.socket.resume();
    }
    this.drainHandler();
  }

  private armIdle(idleMs: number): void {
    const check = () => {
      const idle = Date.now() - this.lastActivity;
      if (idle >= idleMs) this.destroy(new Error(`SPDY connection idle for ${idleMs} ms`));
      else this.idleTimer = setTimeout(check, idleMs - idle).unref();
    };
    this.idleTimer = setTimeout(check, idleMs).unref();
  }

  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.idleTimer);
    clearInterval(this.pingTimer);
    clearTimeout(this.lingerTimer);
    this.decoder.close();
    const gone = new Error('SPDY connection closed');
    for (const ping of this.pings.values()) ping.reject(gone);
    this.pings.clear();
    this.streams.clear();
    if (!this.socket.destroyed) this.socket.destroy();
    this.closeHandler(this.closeError);
  }
}


