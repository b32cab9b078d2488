// One console session on a multiplexed link, gateway side: credit in both directions, and a
// bounded hold for client stdin while the provider grants no credit (uWS cannot pause reading
// a websocket, so the gateway holds, and past the bound fails the session instead of dropping).
import { SendWindow, ReceiveWindow, MAX_DATA_PAYLOAD, type LinkConnection } from '../../link/index.js';
import { CLOSE, type CloseMessage, type Frame } from '../../protocol/index.js';
import { StreamEvents } from './stream-events.js';
import type { UpstreamStream } from './upstream.js';

export interface LinkUpstreamLimits {
  /** Credit we grant the provider for output. */
  window: number;
  /** The most client stdin held while the provider grants no credit. */
  stdinHoldBytes: number;
}

type State = 'opening' | 'open' | 'closed';

export class LinkUpstreamStream implements UpstreamStream {
  writer = false;
  outputOffset = 0;
  private state: State = 'opening';
  private sendWindow = new SendWindow(0);
  private readonly receiveWindow: ReceiveWindow;
  /** Held stdin: [channel, payload] pairs, sent in order as credit arrives. */
  private held: { channel: number; payload: Buffer }[] = [];
  private heldBytes = 0;
  private readonly events = new StreamEvents();
  private openedHandler: ((error?: CloseMessage) => void) | undefined;

  constructor(
    private readonly link: LinkConnection,
    readonly id: number,
    private readonly limits: LinkUpstreamLimits,
    private readonly release: (stream: LinkUpstreamStream) => void,
  ) {
    this.receiveWindow = new ReceiveWindow(limits.window);
  }

  /** Resolves once the provider answered Opened; a Close instead rejects with it. */
  whenOpened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.openedHandler = (close) => (close ? reject(close) : resolve());
    });
  }

  onData(handler: (message: Buffer) => void): void {
    this.events.onData(handler);
  }

  onClose(handler: (close: CloseMessage) => void): void {
    this.events.onClose(handler);
  }

  receive(frame: Frame): void {
    switch (frame.kind) {
      case 'opened':
        if (this.state !== 'opening') return this.protocolError('Opened on an open stream');
        this.state = 'open';
        this.writer = frame.opened.writer ?? false;
        this.outputOffset = Number(frame.opened.outputOffset ?? 0);
        this.sendWindow = new SendWindow(frame.opened.window ?? 0);
        this.openedHandler?.();
        return;
      case 'data':
        if (this.state !== 'open') return this.protocolError('data before Opened');
        if (!this.receiveWindow.receive(frame.data.length)) return this.fail(400, 'provider exceeded its flow control window');
        this.events.data(frame.data);
        return;
      case 'credit': {
        const overflow = this.sendWindow.grant(frame.credit.bytes ?? 0);
        if (overflow) return this.fail(400, overflow.message);
        this.flushHeld();
        return;
      }
      case 'close':
        this.finish(frame.close);
        return;
      default:
        this.protocolError(`unexpected ${frame.kind} frame from the provider`);
    }
  }

  write(message: Buffer): void {
    if (this.state === 'closed') return;
    this.held.push({ channel: message[0]!, payload: message.subarray(1) });
    this.heldBytes += message.length;
    this.flushHeld();
    if (this.heldBytes > this.limits.stdinHoldBytes) {
      this.fail(429, `stdin overran: the console accepted no input while ${this.heldBytes} bytes were waiting (limit ${this.limits.stdinHoldBytes})`, 'TooManyRequests');
    }
  }

  resize(cols: number, rows: number): void {
    if (this.state !== 'open') return;
    this.link.send({ stream: this.id, kind: 'resize', resize: { cols, rows } });
  }

  consumed(bytes: number): void {
    if (this.state !== 'open') return;
    const grant = this.receiveWindow.release(bytes);
    if (grant > 0) this.link.send({ stream: this.id, kind: 'credit', credit: { bytes: grant } });
  }

  close(): void {
    if (this.state === 'closed') return;
    this.link.send({ stream: this.id, kind: 'close', close: { code: 200, reason: '', message: 'client closed the session' } });
    this.state = 'closed';
    this.release(this);
  }

  /** The link went away under this stream. */
  linkLost(message: string): void {
    this.finish({ code: 503, reason: 'ServiceUnavailable', message });
  }

  private flushHeld(): void {
    if (this.state !== 'open') return;
    while (this.held.length > 0) {
      const credit = this.sendWindow.available;
      if (credit < 2) return; // a channel byte and at least one byte of payload
      const next = this.held[0]!;
      // A close must go whole: [255, 0].
      if (next.channel === CLOSE && credit < 1 + next.payload.length) return;
      const size = Math.min(next.payload.length, credit - 1, MAX_DATA_PAYLOAD);
      const piece = size === next.payload.length ? next.payload : next.payload.subarray(0, size);
      this.link.sendData(this.id, piece, next.channel);
      this.sendWindow.take(piece.length + 1);
      this.heldBytes -= piece.length + (piece === next.payload ? 1 : 0);
      if (piece === next.payload) this.held.shift();
      else next.payload = next.payload.subarray(size);
    }
  }

  private protocolError(message: string): void {
    this.fail(502, `provider protocol error: ${message}`, 'InternalError');
  }

  /** Ends the stream with our own Status and tells the provider. */
  private fail(code: number, message: string, reason?: string): void {
    if (this.state === 'closed') return;
    this.link.send({ stream: this.id, kind: 'close', close: { code, reason: reason ?? '', message } });
    this.finish({ code, reason: reason ?? '', message });
  }

  private finish(close: CloseMessage): void {
    if (this.state === 'closed') return;
    const wasOpening = this.state === 'opening';
    this.state = 'closed';
    this.held = [];
    this.heldBytes = 0;
    this.release(this);
    if (wasOpening && this.openedHandler) this.openedHandler(close);
    else this.events.close(close);
  }
}
