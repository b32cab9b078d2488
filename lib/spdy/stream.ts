// One SPDY stream of a SpdyConnection: its two halves (ours ends with FIN or a reset, the
// peer's with its FIN), the reply, and the handlers the connection calls. Events that arrive
// before a handler is set wait in order, so nothing is lost between SYN_STREAM and the caller.
import { SpdyRstStatus, type SpdyHeaderInput, type SpdyHeaders } from '../protocol/index.js';

/** What a stream needs from its connection. */
export interface SpdyStreamOwner {
  sendData(stream: SpdyStream, data: Uint8Array, fin: boolean): boolean;
  sendReply(stream: SpdyStream, headers: SpdyHeaderInput, fin: boolean): void;
  sendReset(stream: SpdyStream, status: number): void;
}

type StreamEvent = { kind: 'data'; data: Buffer } | { kind: 'end' };

export class SpdyStream {
  /** Our half is closed (we sent FIN or the stream was reset). */
  localClosed = false;
  /** The peer's half is closed (it sent FIN or the stream was reset). */
  remoteClosed = false;
  /** A SYN_REPLY went (peer's stream) or came (ours). */
  replied = false;
  /** Bytes received since the last WINDOW_UPDATE we sent for this stream. */
  ungranted = 0;
  private pending: StreamEvent[] = [];
  private dataHandler: ((data: Buffer) => void) | undefined;
  private endHandler: (() => void) | undefined;
  private resetHandler: (status: number) => void = () => {};
  private replyHandler: (headers: SpdyHeaders) => void = () => {};

  constructor(
    private readonly owner: SpdyStreamOwner,
    readonly id: number,
    /** The SYN_STREAM's headers (for a stream we opened, the ones we sent are not kept). */
    readonly headers: SpdyHeaders,
    readonly local: boolean,
  ) {}

  /** The first value of a header of the SYN_STREAM, as Go's http.Header.Get. */
  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase())?.[0];
  }

  /** Accepts a peer's stream with SYN_REPLY (once). */
  reply(headers: SpdyHeaderInput = {}, fin = false): void {
    if (this.local || this.replied) return;
    this.owner.sendReply(this, headers, fin);
  }

  /** Sends data (FIN with `fin`); false when the connection wants to drain first. */
  write(data: Uint8Array, fin = false): boolean {
    return this.owner.sendData(this, data, fin);
  }

  /** Closes our half with an empty FIN frame, as spdystream's Stream.Close does. */
  end(): void {
    if (!this.localClosed) this.owner.sendData(this, Buffer.alloc(0), true);
  }

  /** Ends both halves with RST_STREAM (default CANCEL, as spdystream's Reset). */
  reset(status: number = SpdyRstStatus.CANCEL): void {
    this.owner.sendReset(this, status);
  }

  onData(handler: (data: Buffer) => void): void {
    this.dataHandler = handler;
    this.flush();
  }

  /** The peer's FIN (not called on reset). */
  onEnd(handler: () => void): void {
    this.endHandler = handler;
    this.flush();
  }

  /** RST_STREAM from the peer, with its status. */
  onReset(handler: (status: number) => void): void {
    this.resetHandler = handler;
  }

  /** SYN_REPLY on a stream we opened. */
  onReply(handler: (headers: SpdyHeaders) => void): void {
    this.replyHandler = handler;
  }

  /** @internal the connection's side */
  receiveData(data: Buffer): void {
    if (this.dataHandler && this.pending.length === 0) this.dataHandler(data);
    else this.pending.push({ kind: 'data', data });
  }

  /** @internal */
  receiveEnd(): void {
    if (this.endHandler && this.pending.length === 0) this.endHandler();
    else this.pending.push({ kind: 'end' });
  }

  /** @internal */
  receiveReset(status: number): void {
    this.resetHandler(status);
  }

  /** @internal */
  receiveReply(headers: SpdyHeaders): void {
    this.replyHandler(headers);
  }

  private flush(): void {
    while (this.pending.length > 0) {
      const next = this.pending[0]!;
      if (next.kind === 'data' && !this.dataHandler) return;
      if (next.kind === 'end' && !this.endHandler) return;
      this.pending.shift();
      if (next.kind === 'data') this.dataHandler!(next.data);
      else this.endHandler!();
    }
  }
}
