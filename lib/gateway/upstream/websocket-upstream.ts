// The second upstream mode: one websocket per session to IEP-02's per-machine endpoint on the
// provider, for providers that serve only that endpoint (in any language). Flow control rides
// on TCP: when the client falls behind by a window, we stop reading the provider's socket.
import type { ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import {
  ERROR,
  OUTPUT_OFFSET_HEADER,
  RESIZE,
  StatusError,
  channelMessage,
  encodeExecQuery,
  encodeResize,
  exitCodeOf,
  failureStatus,
  parseOffsetText,
  parseStatus,
  providerExecPath,
  type CloseMessage,
  type OpenMessage,
  type Status,
} from '../../protocol/index.js';
import { StreamEvents } from './stream-events.js';
import type { ProviderTarget, Upstream, UpstreamStream } from './upstream.js';

export interface WebsocketUpstreamOptions {
  tls: ConnectionOptions | false;
  /** Output the client may fall behind by before we stop reading the provider. */
  window: number;
  /** The most client stdin waiting in the provider socket's buffer. */
  stdinHoldBytes: number;
}

class WebsocketStream implements UpstreamStream {
  private unconsumed = 0;
  private paused = false;
  private finished = false;
  private readonly events = new StreamEvents();
  private status: Status | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly writer: boolean,
    readonly outputOffset: number,
    private readonly options: WebsocketUpstreamOptions,
  ) {
    ws.on('message', (data: Buffer) => {
      if (data[0] === ERROR) {
        this.status = parseChannelStatus(data.toString('utf8', 1));
        return;
      }
      this.unconsumed += data.length;
      if (!this.paused && this.unconsumed > options.window) {
        this.paused = true;
        ws.pause();
      }
      this.events.data(data);
    });
    ws.on('close', () => this.finish(this.status ? closeFromStatus(this.status) : { code: 503, reason: 'ServiceUnavailable', message: 'connection to the provider closed' }));
    ws.on('error', (error) => this.finish({ code: 503, reason: 'ServiceUnavailable', message: `connection to the provider failed: ${error.message}` }));
  }

  onData(handler: (message: Buffer) => void): void {
    this.events.onData(handler);
  }

  onClose(handler: (close: CloseMessage) => void): void {
    this.events.onClose(handler);
  }

  write(message: Buffer): void {
    if (this.finished) return;
    this.ws.send(message);
    if (this.ws.bufferedAmount > this.options.stdinHoldBytes) {
      this.ws.terminate();
      this.finish({ code: 429, reason: 'TooManyRequests', message: `stdin overran: the console accepted no input while ${this.ws.bufferedAmount} bytes were waiting` });
    }
  }

  resize(cols: number, rows: number): void {
    if (!this.finished) this.ws.send(channelMessage(RESIZE, encodeResize({ cols, rows })));
  }

  consumed(bytes: number): void {
    this.unconsumed -= bytes;
    if (this.paused && this.unconsumed <= this.options.window / 2) {
      this.paused = false;
      this.ws.resume();
    }
  }

  close(): void {
    this.finished = true;
    this.ws.close(1000);
  }

  private finish(close: CloseMessage): void {
    if (this.finished) return;
    this.finished = true;
    this.events.close(close);
  }
}

/** The error channel's Status (v5 writes it as JSON without kind or code). */
function parseChannelStatus(text: string): Status {
  try {
    const status = JSON.parse(text) as Status;
    if (typeof status === 'object' && status && (status.status === 'Success' || status.status === 'Failure')) return status;
  } catch {
    // fall through: not a Status
  }
  return failureStatus(502, 'the provider sent an invalid Status on the error channel');
}

function closeFromStatus(status: Status): CloseMessage {
  const exitCode = exitCodeOf(status);
  if (exitCode !== undefined) return { code: exitCode === 0 ? 200 : 500, reason: status.reason ?? '', message: status.message ?? '', exitCode };
  return { code: status.code ?? 500, reason: status.reason ?? '', message: status.message ?? '' };
}

export class WebsocketUpstream implements Upstream {
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly options: WebsocketUpstreamOptions) {}

  open(target: ProviderTarget, request: OpenMessage, timeoutMs: number): Promise<UpstreamStream> {
    const key = `${target.address}:${target.port}`;
    const query = encodeExecQuery({
      tty: Boolean(request.tty),
      stdin: Boolean(request.stdin),
      takeover: Boolean(request.takeover),
      readOnly: Boolean(request.readOnly),
      noReplay: Boolean(request.noReplay),
      announceOffset: false, // the provider's 101 carries it in a header
      announceRole: Boolean(request.announceRole),
      ...(typeof request.replayFrom === 'number' && { replayFrom: request.replayFrom }),
    });
    const scheme = this.options.tls ? 'wss' : 'ws';
    const host = target.address.includes(':') ? `[${target.address}]` : target.address;
    const url = `${scheme}://${host}:${target.port}${providerExecPath(request.namespace!, request.machine!)}?${query}`;
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
        ...(this.options.tls || {}),
        handshakeTimeout: timeoutMs,
        perMessageDeflate: false,
      });
      let outputOffset = 0;
      ws.once('upgrade', (res) => (outputOffset = parseOffsetText(res.headers[OUTPUT_OFFSET_HEADER.toLowerCase()]) ?? 0));
      ws.once('open', () => {
        this.sockets.add(ws);
        ws.once('close', () => this.sockets.delete(ws));
        resolve(new WebsocketStream(ws, Boolean(request.stdin) && !request.readOnly, outputOffset, this.options));
      });
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => {
          const status = parseStatus(body);
          reject(new StatusError(res.statusCode ?? 502, status?.message ?? `provider ${key} answered HTTP ${res.statusCode}`, status?.reason));
        });
      });
      ws.once('error', (error) => {
        const timedOut = /timed? ?out/i.test(error.message);
        reject(new StatusError(timedOut ? 504 : 503, `provider ${key} is ${timedOut ? 'not answering' : 'unreachable'}: ${error.message}`));
      });
    });
  }

  connections(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const ws of this.sockets) counts.set(new URL(ws.url).host, (counts.get(new URL(ws.url).host) ?? 0) + 1);
    return counts;
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}
