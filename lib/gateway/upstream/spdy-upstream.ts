// The third upstream mode: one SPDY/3.1 remotecommand connection per session to the provider's
// per-machine endpoint, as ironcore-apiserver reaches IronCore's machinepoollet (POST, the
// gateway's client certificate, X-Stream-Protocol-Version v4..v1). SPDY half-closes streams, so
// a client's stdin EOF reaches the console on every version. Flow control rides on TCP: when the
// client falls behind by a window, we stop reading the provider's socket. The provider's 101
// carries no output offset here, so a reconnecting client's replayFrom is still honoured but
// sessions report offset 0.
import type { ConnectionOptions } from 'node:tls';
import {
  ERROR,
  RESIZE,
  channelMessage,
  closeFromStatus,
  encodeExecQuery,
  encodeResize,
  hasJsonStatus,
  parseErrorChannel,
  providerExecPath,
  ChannelProtocolError,
  StatusError,
  type CloseMessage,
  type OpenMessage,
  type Status,
} from '../../protocol/index.js';
import { connectSpdyChannelPort, type SpdyChannelPort } from '../../spdy/index.js';
import { providerRefusal } from './provider-refusal.js';
import { ReadPause } from './read-pause.js';
import { StreamEvents } from './stream-events.js';
import type { ProviderTarget, Upstream, UpstreamStream } from './upstream.js';

export interface SpdyUpstreamOptions {
  tls: ConnectionOptions | false;
  /** Output the client may fall behind by before we stop reading the provider. */
  window: number;
  /** The most client stdin waiting in the provider socket's buffer. */
  stdinHoldBytes: number;
}

class SpdyUpstreamStream implements UpstreamStream {
  readonly outputOffset = 0;
  private readonly reading: ReadPause;
  private finished = false;
  private status: Status | undefined;
  private readonly events = new StreamEvents();

  constructor(
    private readonly port: SpdyChannelPort,
    readonly writer: boolean,
    private readonly options: SpdyUpstreamOptions,
    onEnd: () => void,
  ) {
    this.reading = new ReadPause(options.window, () => port.pauseInput(), () => port.resumeInput());
    port.onMessage((message) => {
      if (message[0] === ERROR) {
        const status = parseErrorChannel(port.protocol, message.subarray(1));
        if (status instanceof ChannelProtocolError) return this.fail(status.message);
        this.status = status;
        return;
      }
      this.reading.received(message.length);
      this.events.data(message);
    });
    port.onClose((error) => {
      onEnd();
      this.finish(this.endOf(error));
    });
  }

  onData(handler: (message: Buffer) => void): void {
    this.events.onData(handler);
  }

  onClose(handler: (close: CloseMessage) => void): void {
    this.events.onClose(handler);
  }

  write(message: Buffer): void {
    if (this.finished) return;
    this.port.send(message);
    const waiting = this.port.bufferedAmount;
    if (waiting > this.options.stdinHoldBytes) {
      this.finish({ code: 429, reason: 'TooManyRequests', message: `stdin overran: the console accepted no input while ${waiting} bytes were waiting` });
      this.port.close();
    }
  }

  resize(cols: number, rows: number): void {
    if (!this.finished) this.port.send(channelMessage(RESIZE, encodeResize({ cols, rows })));
  }

  consumed(bytes: number): void {
    this.reading.consumed(bytes);
  }

  close(): void {
    this.finished = true;
    this.port.close();
  }

  /** How the session ended when the provider's connection closed. */
  private endOf(error: Error | undefined): CloseMessage {
    if (this.status) return closeFromStatus(this.status);
    // v1-v3 write nothing on success: their clean close is the success.
    if (!error && !hasJsonStatus(this.port.protocol)) return { code: 200, reason: '', message: '' };
    return { code: 503, reason: 'ServiceUnavailable', message: `connection to the provider closed${error ? `: ${error.message}` : ''}` };
  }

  private fail(message: string): void {
    this.finish({ code: 502, reason: 'InternalError', message: `provider protocol error: ${message}` });
    this.port.close();
  }

  /** The end, reported once; after close() (the gateway's own end) nobody listens any more. */
  private finish(close: CloseMessage): void {
    if (this.finished) return;
    this.finished = true;
    this.events.close(close);
  }
}

export class SpdyUpstream implements Upstream {
  /** Open sessions' ports, by the provider they reach. */
  private readonly ports = new Map<SpdyChannelPort, string>();

  constructor(private readonly options: SpdyUpstreamOptions) {}

  async open(target: ProviderTarget, request: OpenMessage, timeoutMs: number): Promise<UpstreamStream> {
    const key = `${target.address}:${target.port}`;
    const tty = Boolean(request.tty);
    const stdin = Boolean(request.stdin);
    const query = encodeExecQuery({
      tty,
      stdin,
      stdout: true,
      stderr: !tty,
      takeover: Boolean(request.takeover),
      readOnly: Boolean(request.readOnly),
      noReplay: Boolean(request.noReplay),
      announceOffset: false,
      // SPDY has no stream for our in-band role channel: the provider's text notices stand in.
      announceRole: false,
      ...(typeof request.replayFrom === 'number' && { replayFrom: request.replayFrom }),
    });
    const scheme = this.options.tls ? 'https' : 'http';
    const host = target.address.includes(':') ? `[${target.address}]` : target.address;
    let port: SpdyChannelPort;
    try {
      port = await connectSpdyChannelPort({
        url: `${scheme}://${host}:${target.port}${providerExecPath(request.namespace!, request.machine!)}?${query}`,
        ...(this.options.tls && { tls: this.options.tls }),
        stdin,
        stdout: true,
        stderr: !tty,
        tty,
        timeoutMs,
        refusal: (code, reasonPhrase, body) => providerRefusal(key, code, reasonPhrase, body),
      });
    } catch (error) {
      if (error instanceof StatusError) throw error;
      throw new StatusError(503, `provider ${key} is unreachable: ${(error as Error).message}`);
    }
    this.ports.set(port, key);
    return new SpdyUpstreamStream(port, stdin && !request.readOnly, this.options, () => this.ports.delete(port));
  }

  connections(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const key of this.ports.values()) counts.set(key, (counts.get(key) ?? 0) + 1);
    return counts;
  }

  close(): void {
    for (const port of this.ports.keys()) port.close();
  }
}
