// One user's console session: the client's connection (a websocket or a SPDY remotecommand
// session, behind ClientConnection) on one side, an upstream stream on the other. Output is
// forwarded as it arrives (the link frame's own bytes) and its credit is returned only while the
// client keeps up, so a client that stops reading holds at most a window plus a watermark of
// output and never slows anyone else.
import {
  ChannelProtocolError,
  failureStatus,
  outputOffsetMessage,
  readClientMessage,
  statusFromClose,
  successStatus,
  type CloseMessage,
  type Status,
} from '../protocol/index.js';
import type { OutputPacer } from './throttle.js';
import type { UpstreamStream } from './upstream/upstream.js';

/** The client's side of a session, whatever protocol it speaks. Messages are in binary channel form. */
export interface ClientConnection {
  /** Sends output ([1]/[2][bytes], or our [5] offset announcement). */
  send(message: Buffer): void;
  /** Runs `write` with the sends inside it batched into one socket write where the transport can. */
  cork(write: () => void): void;
  /** Output accepted but not yet written to the socket. */
  bufferedAmount(): number;
  /** Writes `status` on the error channel as the protocol does, then closes normally. */
  finish(status: Status): void;
}

export interface GatewaySessionEnd {
  status: Status;
  bytesIn: number;
  bytesOut: number;
}

export interface GatewaySessionOptions {
  /** Output credit is returned only while the client's send buffer is under this. */
  clientWatermark: number;
  /** The client asked for the output offset in-band (announceOffset=true). */
  announceOffset: boolean;
  onEnd: (end: GatewaySessionEnd) => void;
  /** The client's connection closed: after the end, once the client has taken the Status. */
  onClientClosed?: () => void;
  /** Paces what leaves for the client (--max-bytes-per-second); absent: no cap. */
  pacer?: OutputPacer;
}

export class GatewaySession {
  private client: ClientConnection | undefined;
  /** Output that arrived before the client's connection was ready. */
  private early: Buffer[] = [];
  /** The end, when it came before the client's connection was ready. */
  private earlyEnd: Status | undefined;
  /** Output sent while the client was over the watermark (or before it attached): credit owed. */
  private owed = 0;
  /** Output waiting for this turn's corked write. */
  private batch: Buffer[] = [];
  private ended = false;
  private bytesIn = 0;
  private bytesOut = 0;

  constructor(
    private readonly stream: UpstreamStream,
    private readonly options: GatewaySessionOptions,
  ) {
    // Goes out first, before any output; it is ours, so it owes the provider no credit.
    if (options.announceOffset) this.early.push(outputOffsetMessage(stream.outputOffset));
    stream.onData((message) => this.fromProvider(message));
    stream.onClose((close) => this.providerClosed(close));
  }

  /** The client's connection is ready: deliver what came early, and return its credit. */
  attach(client: ClientConnection): void {
    this.client = client;
    const early = this.early;
    this.early = [];
    this.leave(byteLength(early), () => {
      client.cork(() => {
        for (const message of early) client.send(message);
      });
      if (!this.earlyEnd) this.returnCredit();
    });
    const end = this.earlyEnd;
    if (end) this.leave(0, () => client.finish(end));
  }

  /** A message from the client in binary channel form, already checked against its protocol. */
  fromClient(message: Buffer): void {
    if (this.ended) return;
    const input = readClientMessage(message);
    if (input instanceof ChannelProtocolError) return this.endWith(failureStatus(400, input.message));
    if (input.kind === 'resize') return this.stream.resize(input.size.cols, input.size.rows);
    this.bytesIn += message.length - 1;
    this.stream.write(input.message);
  }

  /** The client's send buffer drained: return the credit held back. */
  drained(): void {
    this.returnCredit();
  }

  /** The client's connection closed (by the client, a timeout, or us). */
  clientClosed(): void {
    this.options.onClientClosed?.();
    this.client = undefined;
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

  private returnCredit(): void {
    if (!this.client || this.owed === 0 || this.client.bufferedAmount() >= this.options.clientWatermark) return;
    const owed = this.owed;
    this.owed = 0;
    this.stream.consumed(owed);
  }

  private fromProvider(message: Buffer): void {
    this.bytesOut += message.length - 1;
    if (!this.client) {
      // Before the client is ready the message is lent (UpstreamStream.onData): keep a copy.
      this.early.push(Buffer.from(message));
      this.owed += message.length;
      return;
    }
    // Messages from one link read leave in one corked write: one system call (and under TLS one
    // record) for many small console reads instead of one each. The views stay valid: they are
    // lent until this task's microtasks have run, and the batch leaves in one of them.
    if (this.batch.length === 0) queueMicrotask(this.flushBatch);
    this.batch.push(message);
  }

  private readonly flushBatch = (): void => {
    const client = this.client;
    const batch = this.batch;
    if (!client || batch.length === 0) return;
    this.batch = [];
    const bytes = byteLength(batch);
    const wrote = this.leave(bytes, () => {
      if (this.client !== client) return;
      client.cork(() => {
        for (const message of batch) client.send(message);
      });
      // Credit only for output that left: a paced client slows the provider, nothing piles up.
      if (client.bufferedAmount() < this.options.clientWatermark) this.stream.consumed(bytes);
      else this.owed += bytes;
    });
    // Output the pacer holds outlives the loan.
    if (!wrote) for (let i = 0; i < batch.length; i++) batch[i] = Buffer.from(batch[i]!);
  };

  /**
   * Every write toward the client goes through here, so the pacer (if any) keeps their order.
   * Returns whether `write` ran at once.
   */
  private leave(bytes: number, write: () => void): boolean {
    if (!this.options.pacer) {
      write();
      return true;
    }
    return this.options.pacer.run(bytes, write);
  }

  private providerClosed(close: CloseMessage): void {
    if (this.ended) return;
    this.ended = true;
    this.finishClient(statusFromClose(close));
  }

  private finishClient(status: Status): void {
    this.flushBatch(); // the output before the end goes first
    this.options.onEnd({ status, bytesIn: this.bytesIn, bytesOut: this.bytesOut });
    const client = this.client;
    if (client) this.leave(0, () => client.finish(status));
    else this.earlyEnd = status;
  }
}

function byteLength(messages: Buffer[]): number {
  let bytes = 0;
  for (const message of messages) bytes += message.length;
  return bytes;
}
