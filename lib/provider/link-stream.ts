// One console session on a link (a stream id): sends output within the credit the gateway
// granted and queues the rest (the console is paused while the queue is over its high
// watermark), writes the gateway's input into the console and returns credit as the console
// takes it.
import type { Logger } from 'pino';
import { MAX_DATA_PAYLOAD, ReceiveWindow, SendWindow, type LinkConnection } from '../link/index.js';
import { CLOSE, RESIZE, STDIN, parseResize, type Frame } from '../protocol/index.js';
import { badRequest, type Attachment, type ConsoleSession, type SessionOutcome } from './session.js';

export interface LinkStreamSettings {
  /** Credit granted to the gateway for its data on this stream. */
  windowBytes: number;
  /** Queued output above which the console is paused. */
  queueHighWaterBytes: number;
  /** How long output queued before the console's end may wait for credit before it is dropped. */
  stallTimeoutMs: number;
  logger: Logger;
}

interface QueuedOutput {
  channel: number;
  bytes: Buffer;
  /** Where small chunks queued behind `bytes` are copied to, so that they leave as one frame. */
  room?: Buffer;
}

/**
 * Small console reads queued while the stream waits for credit are copied together up to this
 * size: a hundred streams of 256 B reads held a hundred thousand views that lived long enough to
 * cost the provider a third of its CPU in garbage collection, and each became its own frame.
 */
const COALESCE_BYTES = 16 * 1024;

type StreamState = 'opening' | 'open' | 'closed';

export class LinkStream implements ConsoleSession {
  readonly label: string;
  /** The Close this side sent, once it did; undefined when the gateway or the link ended the stream. */
  closedWith: SessionOutcome | undefined;
  private state: StreamState = 'opening';
  private attachment: Attachment | undefined;
  private cancelAttach: () => void = () => {};
  private readonly sendWindow: SendWindow;
  /** Payload bytes per frame: at most MAX_DATA_PAYLOAD, and half the window the gateway granted. */
  private readonly largestFrame: number;
  private readonly receiveWindow: ReceiveWindow;
  private readonly queue: QueuedOutput[] = [];
  private queuedBytes = 0;
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
    private readonly settings: LinkStreamSettings,
    /** Called once when the stream is over, whoever ended it. */
    private readonly onClosed: (stream: LinkStream) => void,
  ) {
    this.label = `stream ${id}`;
    this.largestFrame = Math.min(MAX_DATA_PAYLOAD, Math.floor(sendWindow / 2));
    this.sendWindow = new SendWindow(sendWindow);
    this.receiveWindow = new ReceiveWindow(settings.windowBytes);
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
    const rest = this.queue.length === 0 ? this.sendWithinCredit(channel, chunk) : chunk;
    if (rest.length === 0) return;
    this.enqueue(channel, rest);
    this.queuedBytes += rest.length;
    if (!this.blocked && this.queuedBytes > this.settings.queueHighWaterBytes) {
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
    if (this.queue.length === 0) return this.closeWith(outcome);
    this.endAfterFlush = outcome;
    this.endTimer = setTimeout(() => this.closeWith(outcome), this.settings.stallTimeoutMs).unref();
  }

  /** A frame from the gateway for this stream (not open, not stream 0). */
  handle(frame: Frame): void {
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

  /** The link is gone: detach without sending anything. */
  linkGone(): void {
    this.leave();
  }

  private receiveData(data: Buffer): void {
    if (this.state !== 'open' || !this.receiveWindow.receive(data.length)) {
      return this.fail('flow control window exceeded');
    }
    const attachment = this.attachment;
    if (!attachment) return this.returnCredit(data.length); // the console ended; its Close follows the queued output
    const channel = data[0];
    switch (channel) {
      case STDIN: {
        const result = attachment.write(data.subarray(1));
        if (result === 'pending') this.creditAfterDrain += data.length;
        else this.returnCredit(data.length);
        return;
      }
      case RESIZE: {
        const size = parseResize(data.subarray(1));
        if (size instanceof Error) return this.fail(size.message);
        attachment.resize(size.cols, size.rows);
        return this.returnCredit(data.length);
      }
      case CLOSE:
        if (data.length !== 2 || data[1] !== STDIN) return this.fail('close message must be [255, 0]: only stdin can be closed');
        attachment.endInput();
        return this.returnCredit(data.length);
      default:
        return this.fail(channel === undefined ? 'empty data frame' : `channel ${channel} is not writable by the gateway`);
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
    const overflow = this.sendWindow.grant(bytes);
    if (overflow) return this.fail(overflow.message);
    this.flush();
  }

  private returnCredit(bytes: number): void {
    const grant = this.receiveWindow.release(bytes);
    if (grant > 0 && this.state === 'open') this.link.send({ stream: this.id, kind: 'credit', credit: { bytes: grant } });
  }

  /**
   * Sends what the credit allows, in frames of at most MAX_DATA_PAYLOAD; returns the rest. A
   * frame is not cut to fit the credit left: two small frames cost the gateway two client
   * messages for one, so it waits for credit instead. It never waits for more than half the
   * window: a receiver returns credit before it holds that much back (ReceiveWindow).
   */
  private sendWithinCredit(channel: number, bytes: Buffer): Buffer {
    while (bytes.length > 0) {
      const size = Math.min(bytes.length, this.largestFrame);
      if (this.sendWindow.available < size + 1) break; // 1: the channel byte
      this.sendWindow.take(size + 1);
      this.link.sendData(this.id, bytes.subarray(0, size), channel);
      bytes = bytes.subarray(size);
    }
    return bytes;
  }

  private enqueue(channel: number, bytes: Buffer): void {
    if (bytes.length * 2 > COALESCE_BYTES) return void this.queue.push({ channel, bytes });
    const tail = this.queue[this.queue.length - 1];
    if (tail?.room && tail.channel === channel) {
      // `bytes` of the tail may have lost its head to a frame already sent: append after its end.
      const end = tail.bytes.byteOffset - tail.room.byteOffset + tail.bytes.length;
      if (end + bytes.length <= tail.room.length) {
        bytes.copy(tail.room, end);
        tail.bytes = tail.room.subarray(end - tail.bytes.length, end + bytes.length);
        return;
      }
    }
    const room = Buffer.allocUnsafe(COALESCE_BYTES);
    bytes.copy(room);
    this.queue.push({ channel, bytes: room.subarray(0, bytes.length), room });
  }

  private flush(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0]!;
      const rest = this.sendWithinCredit(head.channel, head.bytes);
      this.queuedBytes -= head.bytes.length - rest.length;
      if (rest.length > 0) {
        head.bytes = rest;
        break;
      }
      this.queue.shift();
    }
    if (this.blocked && this.queuedBytes <= this.settings.queueHighWaterBytes / 2) {
      this.blocked = false;
      this.attachment?.setBlocked(false);
    }
    if (this.queue.length === 0 && this.endAfterFlush) this.closeWith(this.endAfterFlush);
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
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.onClosed(this);
  }
}
