// One console session on a multiplexed link, gateway side: credit in both directions
// (CreditedStream), and a bounded hold for client stdin while the provider grants no credit
// (uWS cannot pause reading a websocket, so the gateway holds, and past the bound fails the
// session instead of dropping).
import { CreditedStream, invalidStreamWindow, type LinkConnection, type MultiplexedStream } from '../../link/index.js';
import type { CloseMessage, Frame } from '../../protocol/index.js';
import { StreamEvents } from './stream-events.js';
import { stdinOverrun, type UpstreamStream } from './upstream.js';

export interface LinkUpstreamLimits {
  /** Credit we grant the provider for output. */
  window: number;
  /** The most client stdin held while the provider grants no credit. */
  stdinHoldBytes: number;
}

type State = 'opening' | 'open' | 'closed';

export class LinkUpstreamStream implements UpstreamStream, MultiplexedStream {
  writer = false;
  outputOffset = 0;
  private state: State = 'opening';
  /** Credit both ways; holds client stdin, in order, while the provider grants none or the link is full. */
  private readonly credited: CreditedStream;
  private readonly events = new StreamEvents();
  private openedHandler: ((error?: CloseMessage) => void) | undefined;

  constructor(
    private readonly link: LinkConnection,
    readonly id: number,
    private readonly limits: LinkUpstreamLimits,
    /** Names the provider in the Status of a lost link. */
    private readonly provider: string,
    private readonly release: (stream: LinkUpstreamStream) => void,
  ) {
    this.credited = new CreditedStream(link, id, limits.window);
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
      case 'opened': {
        if (this.state !== 'opening') return this.protocolError('Opened on an open stream');
        const window = frame.opened.window ?? 0;
        const invalidWindow = invalidStreamWindow('opened.window', window);
        if (invalidWindow) return this.protocolError(invalidWindow);
        this.state = 'open';
        this.writer = frame.opened.writer ?? false;
        this.outputOffset = Number(frame.opened.outputOffset ?? 0);
        this.credited.start(window);
        this.openedHandler?.();
        return;
      }
      case 'data':
        if (this.state !== 'open') return this.protocolError('data before Opened');
        if (!this.credited.received(frame.data.length)) return this.fail(400, 'provider exceeded its flow control window');
        this.events.data(frame.data);
        return;
      case 'credit': {
        const overflow = this.credited.credit(frame.credit.bytes ?? 0);
        if (overflow) return this.fail(400, overflow.message);
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
    this.credited.send(message[0]!, message.subarray(1));
    const overrun = stdinOverrun(this.credited.waitingBytes, this.limits.stdinHoldBytes);
    if (overrun) this.fail(overrun.code!, overrun.message!, overrun.reason!);
  }

  resize(cols: number, rows: number): void {
    if (this.state !== 'open') return;
    this.link.send({ stream: this.id, kind: 'resize', resize: { cols, rows } });
  }

  consumed(bytes: number): void {
    if (this.state === 'open') this.credited.release(bytes);
  }

  close(): void {
    if (this.state === 'closed') return;
    this.link.send({ stream: this.id, kind: 'close', close: { code: 200, reason: '', message: 'client closed the session' } });
    this.state = 'closed';
    this.credited.close();
    this.release(this);
  }

  linkDrained(): void {
    this.credited.linkDrained();
  }

  linkLost(error: Error | undefined): void {
    const message = `connection to provider ${this.provider} lost${error ? `: ${error.message}` : ''}`;
    this.finish({ code: 503, reason: 'ServiceUnavailable', message });
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
    this.credited.close();
    this.release(this);
    if (wasOpening && this.openedHandler) this.openedHandler(close);
    else this.events.close(close);
  }
}
