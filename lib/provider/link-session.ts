// One console session on a link (a stream id): output goes out on the stream's credit
// (CreditedStream) and the console is paused while what waits for credit is over its high
// watermark; the gateway's input goes into the console, and its credit back as the console
// takes it.
import type { Logger } from 'pino';
import { CreditedStream, type LinkConnection, type MultiplexedStream } from '../link/index.js';
import { ChannelProtocolError, readClientMessage, type Frame } from '../protocol/index.js';
import { badRequest, type Attachment, type ConsoleSession, type SessionOutcome } from './session.js';

export interface LinkSessionSettings {
  /** Credit granted to the gateway for its data on this stream. */
  windowBytes: number;
  /** Queued output above which the console is paused. */
  queueHighWaterBytes: number;
  /** How long output queued before the console's end may wait for credit before it is dropped. */
  stallTimeoutMs: number;
  logger: Logger;
}

type StreamState = 'opening' | 'open' | 'closed';

export class LinkSession implements ConsoleSession, MultiplexedStream {
  readonly label: string;
  /** The Close this side sent, once it did; undefined when the gateway or the link ended the stream. */
  closedWith: SessionOutcome | undefined;
  private state: StreamState = 'opening';
  private attachment: Attachment | undefined;
  private cancelAttach: () => void = () => {};
  private readonly credited: CreditedStream;
  private blocked = false;
  /** Input credit held back until the console drains. */
  private creditAfterDrain = 0;
  private resizeBeforeAttach: { cols: number; rows: number } | undefined;
  private endAfterFlush: SessionOutcome | undefined;
  private endTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly id: number,
    private readonly link: LinkConnection,
    sendWindow: number,
    private readonly settings: LinkSessionSettings,
    /** Called once when the stream is over, whoever ended it. */
    private readonly onClosed: (stream: LinkSession) => void,
  ) {
    this.label = `stream ${id}`;
    this.credited = new CreditedStream(link, id, settings.windowBytes);
    this.credited.start(sendWindow);
  }

  /** Keeps the registry's cancel for an attach that is still waiting. */
  waitForConsole(cancel: () => void): void {
    if (this.state === 'opening') this.cancelAttach = cancel;
  }

  attached(attachment: Attachment): void {
    this.state = 'open';
    this.attachment = attachment;
    this.link.send({
      stream: this.id,
      kind: 'opened',
      opened: { window: this.settings.windowBytes, writer: attachment.writer, outputOffset: attachment.outputOffset },
    });
    if (this.resizeBeforeAttach) attachment.resize(this.resizeBeforeAttach.cols, this.resizeBeforeAttach.rows);
  }

  output(channel: number, chunk: Buffer): void {
    if (this.state === 'closed' || this.endAfterFlush) return;
    this.credited.send(channel, chunk);
    if (!this.blocked && this.credited.waitingBytes > this.settings.queueHighWaterBytes) {
      this.blocked = true;
      this.attachment?.setBlocked(true);
    }
  }

  inputDrained(): void {
    this.returnCredit(this.creditAfterDrain);
    this.creditAfterDrain = 0;
  }

  /** The console is over for this session: queued output goes first, then the Close. */
  ended(outcome: SessionOutcome): void {
    if (this.state === 'closed') return;
    this.attachment = undefined;
    if (this.credited.waitingBytes === 0) return this.closeWith(outcome);
    this.endAfterFlush = outcome;
    this.endTimer = setTimeout(() => this.closeWith(outcome), this.settings.stallTimeoutMs).unref();
  }

  receive(frame: Frame): void {
    switch (frame.kind) {
      case 'data':
        return this.receiveData(frame.data);
      case 'resize':
        return this.resize(frame.resize.cols ?? 0, frame.resize.rows ?? 0);
      case 'credit':
        return this.receiveCredit(frame.credit.bytes ?? 0);
      case 'close':
        return this.leave();
      default:
        return this.fail(`unexpected ${frame.kind} frame on open stream ${this.id}`);
    }
  }

  /** Ends the stream now, dropping queued output (shutdown). */
  abort(outcome: SessionOutcome): void {
    this.detach();
    this.closeWith(outcome);
  }

  linkLost(): void {
    this.leave();
  }

  linkDrained(): void {
    this.credited.linkDrained();
    this.sent();
  }

  private receiveData(data: Buffer): void {
    if (this.state !== 'open' || !this.credited.received(data.length)) {
      return this.fail('flow control window exceeded');
    }
    const attachment = this.attachment;
    if (!attachment) return this.returnCredit(data.length); // the console ended; its Close follows the queued output
    if (data.length === 0) return this.fail('empty data frame');
    const input = readClientMessage(data, 'the gateway');
    if (input instanceof ChannelProtocolError) return this.fail(input.message);
    switch (input.kind) {
      case 'stdin':
        if (attachment.write(input.bytes) === 'pending') this.creditAfterDrain += data.length;
        else this.returnCredit(data.length);
        return;
      case 'resize':
        attachment.resize(input.size.cols, input.size.rows);
        return this.returnCredit(data.length);
      case 'close':
        attachment.endInput();
        return this.returnCredit(data.length);
    }
  }

  private resize(cols: number, rows: number): void {
    if (cols < 1 || cols > 65535 || rows < 1 || rows > 65535) {
      return this.fail(`resize needs cols and rows from 1 to 65535, got ${cols}x${rows}`);
    }
    if (this.attachment) this.attachment.resize(cols, rows);
    else this.resizeBeforeAttach = { cols, rows };
  }

  private receiveCredit(bytes: number): void {
    const overflow = this.credited.credit(bytes);
    if (overflow) return this.fail(overflow.message);
    this.sent();
  }

  /** Output that waited went out: the console may go on, or the stream end as it was told to. */
  private sent(): void {
    if (this.blocked && this.credited.waitingBytes <= this.settings.queueHighWaterBytes / 2) {
      this.blocked = false;
      this.attachment?.setBlocked(false);
    }
    if (this.credited.waitingBytes === 0 && this.endAfterFlush) this.closeWith(this.endAfterFlush);
  }

  private returnCredit(bytes: number): void {
    if (this.state === 'open') this.credited.release(bytes);
  }

  /** A stream error caused by the gateway: 400, and the link stays up. */
  private fail(message: string): void {
    this.settings.logger.info({ stream: this.id, reason: message }, 'closing stream after a protocol error');
    this.abort(badRequest(message));
  }

  private closeWith(outcome: SessionOutcome): void {
    if (this.state === 'closed') return;
    this.closedWith = outcome;
    this.link.send({ stream: this.id, kind: 'close', close: outcome });
    this.finish();
  }

  /** The gateway closed the stream, or the link died: leave without a word. */
  private leave(): void {
    this.detach();
    this.finish();
  }

  private detach(): void {
    this.cancelAttach();
    this.attachment?.detach();
    this.attachment = undefined;
  }

  private finish(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearTimeout(this.endTimer);
    this.credited.close();
    this.onClosed(this);
  }
}
