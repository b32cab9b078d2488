// One user's console session: the client's websocket on one side, an upstream stream on the
// other. Output is forwarded as it arrives (binary protocols: the frame's own bytes) and its
// credit is returned only while the client keeps up, so a client that stops reading holds at
// most a window plus a watermark of output and never slows anyone else.
import {
  CLOSE,
  ERROR,
  RESIZE,
  STDIN,
  channelMessage,
  checkClientMessage,
  decodeBase64Message,
  encodeBase64Message,
  errorChannelPayload,
  exitCodeStatus,
  failureStatus,
  isBase64Protocol,
  outputOffsetMessage,
  parseResize,
  successStatus,
  type ChannelProtocol,
  type CloseMessage,
  type Status,
} from '../protocol/index.js';
import type { OutputPacer } from './throttle.js';
import type { UpstreamStream } from './upstream/upstream.js';
import type { UWS } from './uws.js';

export interface SessionEnd {
  status: Status;
  bytesIn: number;
  bytesOut: number;
}

export interface SessionOptions {
  protocol: ChannelProtocol;
  /** Output credit is returned only while the client's send buffer is under this. */
  clientWatermark: number;
  /** The client asked for the output offset in-band (announceOffset=true). */
  announceOffset: boolean;
  onEnd: (end: SessionEnd) => void;
  /** Paces what leaves for the client (--max-bytes-per-second); absent: no cap. */
  pacer?: OutputPacer;
}

export class GatewaySession {
  private ws: UWS.WebSocket<unknown> | undefined;
  private readonly text: boolean;
  /** Output that arrived before the websocket opened. */
  private early: Buffer[] = [];
  /** Output sent while the client was over the watermark: credit owed on drain. */
  private owed = 0;
  /** Output waiting for this turn's corked write. */
  private batch: Buffer[] = [];
  private ended = false;
  private bytesIn = 0;
  private bytesOut = 0;

  constructor(
    private readonly stream: UpstreamStream,
    private readonly options: SessionOptions,
  ) {
    this.text = isBase64Protocol(options.protocol);
    // Goes out first, before any output; it is ours, so it owes the provider no credit.
    if (options.announceOffset) this.early.push(outputOffsetMessage(stream.outputOffset));
    stream.onData((message) => this.fromProvider(message));
    stream.onClose((close) => this.providerClosed(close));
  }

  /** The websocket is open: deliver what came early. */
  attach(ws: UWS.WebSocket<unknown>): void {
    this.ws = ws;
    const early = this.early;
    this.early = [];
    this.leave(byteLength(early), () => {
      this.ws?.cork(() => {
        for (const message of early) this.sendToClient(message);
      });
    });
    if (this.ended) this.leave(0, () => this.ws?.end(1000));
  }

  fromClient(data: ArrayBuffer, isBinary: boolean): void {
    if (this.ended) return;
    let message: Buffer | Error;
    if (this.text) {
      message = isBinary ? new Error('binary message on a base64 protocol') : decodeBase64Message(Buffer.from(data).toString('latin1'));
    } else {
      // uWS reclaims `data` when this callback returns and the link may write later: copy once.
      message = Buffer.from(new Uint8Array(data));
    }
    if (message instanceof Error) return this.endWith(failureStatus(400, message.message));
    const invalid = checkClientMessage(this.options.protocol, message);
    if (invalid) return this.endWith(failureStatus(400, invalid.message));
    const channel = message[0];
    if (channel === RESIZE) {
      const size = parseResize(message.subarray(1));
      if (size instanceof Error) return this.endWith(failureStatus(400, size.message));
      this.stream.resize(size.cols, size.rows);
      return;
    }
    if (channel === STDIN || channel === CLOSE) {
      this.bytesIn += message.length - 1;
      this.stream.write(message);
    }
  }

  /** The client's send buffer drained: return the credit held back. */
  drained(): void {
    if (!this.ws || this.owed === 0 || this.ws.getBufferedAmount() >= this.options.clientWatermark) return;
    const owed = this.owed;
    this.owed = 0;
    this.stream.consumed(owed);
  }

  /** The websocket closed (by the client, a timeout, or us). */
  clientClosed(): void {
    this.ws = undefined;
    this.batch = [];
    this.options.pacer?.stop();
    if (this.ended) return;
    this.ended = true;
    this.stream.close();
    this.options.onEnd({ status: successStatus(), bytesIn: this.bytesIn, bytesOut: this.bytesOut });
  }

  /** Ends the session with a Status on the error channel, e.g. at gateway shutdown. */
  endWith(status: Status): void {
    if (this.ended) return;
    this.ended = true;
    this.stream.close();
    this.finishClient(status);
  }

  private fromProvider(message: Buffer): void {
    this.bytesOut += message.length - 1;
    if (!this.ws) {
      // Before the upgrade completes the message is a view into a link chunk: keep a copy.
      this.early.push(Buffer.from(message));
      this.owed += message.length;
      return;
    }
    // Messages from one link read leave in one corked write: one system call (and under TLS one
    // record) for many small console reads instead of one each. The views stay valid: a socket
    // read is a fresh buffer that nothing reuses.
    if (this.batch.length === 0) queueMicrotask(this.flushBatch);
    this.batch.push(message);
  }

  private readonly flushBatch = (): void => {
    const ws = this.ws;
    const batch = this.batch;
    if (!ws || batch.length === 0) return;
    this.batch = [];
    const bytes = byteLength(batch);
    this.leave(bytes, () => {
      const ws = this.ws;
      if (!ws) return;
      ws.cork(() => {
        for (const message of batch) this.sendToClient(message);
      });
      // Credit only for output that left: a paced client slows the provider, nothing piles up.
      if (ws.getBufferedAmount() < this.options.clientWatermark) this.stream.consumed(bytes);
      else this.owed += bytes;
    });
  };

  /** Every write toward the client goes through here, so the pacer (if any) keeps their order. */
  private leave(bytes: number, write: () => void): void {
    if (this.options.pacer) this.options.pacer.run(bytes, write);
    else write();
  }

  private sendToClient(message: Buffer): void {
    const ws = this.ws!;
    if (this.text) ws.send(encodeBase64Message(message), false);
    else ws.send(message, true);
  }

  private providerClosed(close: CloseMessage): void {
    if (this.ended) return;
    this.ended = true;
    this.finishClient(statusFromClose(close));
  }

  private finishClient(status: Status): void {
    this.flushBatch(); // the output before the end goes first
    this.options.onEnd({ status, bytesIn: this.bytesIn, bytesOut: this.bytesOut });
    const payload = errorChannelPayload(this.options.protocol, status);
    const message = payload ? channelMessage(ERROR, payload) : undefined;
    if (!this.ws) {
      if (message) this.early.push(message);
      return;
    }
    this.leave(message?.length ?? 0, () => {
      if (message && this.ws) this.sendToClient(message);
      this.ws?.end(1000);
    });
  }
}

function byteLength(messages: Buffer[]): number {
  let bytes = 0;
  for (const message of messages) bytes += message.length;
  return bytes;
}

/** The Status a provider's Close becomes on the user's error channel. */
export function statusFromClose(close: CloseMessage): Status {
  const code = close.code ?? 500;
  if (close.exitCode !== undefined && close.exitCode !== null) {
    return close.exitCode === 0 ? successStatus() : exitCodeStatus(close.exitCode);
  }
  if (code === 200) return successStatus();
  return failureStatus(code, close.message || 'console session ended', close.reason || undefined);
}
