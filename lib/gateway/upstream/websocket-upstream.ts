// The second upstream mode: one websocket per session to IEP-02's per-machine endpoint on the
// provider, for providers that serve only that endpoint (in any language), IronCore's
// machinepoollet among them. One handshake offers every channel protocol (CLIENT_CHANNEL_OFFER)
// and the session follows the one the provider picks: the machinepoollet speaks v4 and the
// original protocols, not v5. Flow control rides on TCP: when the client falls behind by a
// window, we stop reading the provider's socket.
import type { ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import {
  CLIENT_CHANNEL_OFFER,
  ChannelProtocolError,
  ERROR,
  OUTPUT_OFFSET_HEADER,
  RESIZE,
  StatusError,
  channelMessage,
  closeFromStatus,
  checkClientMessage,
  decodeBase64Message,
  encodeBase64Message,
  encodeExecQuery,
  encodeResize,
  hasJsonStatus,
  isBase64Protocol,
  parseErrorChannel,
  parseOffsetText,
  providerExecPath,
  type ChannelProtocol,
  type CloseMessage,
  type OpenMessage,
  type Status,
} from '../../protocol/index.js';
import { REFUSAL_BODY_LIMIT, providerRefusal } from './provider-refusal.js';
import { ReadPause } from './read-pause.js';
import { StreamEvents } from './stream-events.js';
import type { ProviderTarget, Upstream, UpstreamStream } from './upstream.js';

export interface WebsocketUpstreamOptions {
  tls: ConnectionOptions | false;
  /** Output the client may fall behind by before we stop reading the provider. */
  window: number;
  /** The most client stdin waiting in the provider socket's buffer. */
  stdinHoldBytes: number;
}

const NORMAL_CLOSURE = 1000;

class WebsocketStream implements UpstreamStream {
  private readonly reading: ReadPause;
  private finished = false;
  private readonly events = new StreamEvents();
  private status: Status | undefined;
  private readonly text: boolean;

  constructor(
    private readonly ws: WebSocket,
    /** The channel protocol the provider picked. */
    readonly protocol: ChannelProtocol,
    readonly writer: boolean,
    readonly outputOffset: number,
    private readonly options: WebsocketUpstreamOptions,
  ) {
    this.reading = new ReadPause(options.window, () => ws.pause(), () => ws.resume());
    this.text = isBase64Protocol(protocol);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const message = this.decode(data, isBinary);
      if (message instanceof ChannelProtocolError) return this.fail(message.message);
      if (message[0] === ERROR) {
        const status = parseErrorChannel(protocol, message.subarray(1));
        if (status instanceof ChannelProtocolError) return this.fail(status.message);
        this.status = status;
        return;
      }
      this.reading.received(message.length);
      this.events.data(message);
    });
    ws.on('close', (code) => this.finish(this.endOf(code)));
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
    // v4 and older have no close channel: a client's stdin EOF ([255, 0]) cannot be passed on,
    // and is dropped, as a v4 server drops it (wsstream ignores channels it does not have).
    // Ending the session instead would cut off the output the console still owes.
    if (checkClientMessage(this.protocol, message)) return;
    this.send(message);
    if (this.ws.bufferedAmount > this.options.stdinHoldBytes) {
      this.ws.terminate();
      this.finish({ code: 429, reason: 'TooManyRequests', message: `stdin overran: the console accepted no input while ${this.ws.bufferedAmount} bytes were waiting` });
    }
  }

  resize(cols: number, rows: number): void {
    const message = channelMessage(RESIZE, encodeResize({ cols, rows }));
    // The original protocols have no resize channel.
    if (!this.finished && !checkClientMessage(this.protocol, message)) this.send(message);
  }

  consumed(bytes: number): void {
    this.reading.consumed(bytes);
  }

  close(): void {
    this.finished = true;
    this.ws.close(NORMAL_CLOSURE);
  }

  private send(message: Buffer): void {
    if (this.text) this.ws.send(encodeBase64Message(message));
    else this.ws.send(message);
  }

  /** A provider's message in the binary form [channel][payload]. */
  private decode(data: Buffer, isBinary: boolean): Buffer | ChannelProtocolError {
    if (this.text) {
      return isBinary ? new ChannelProtocolError(`binary message over ${this.protocol}`) : decodeBase64Message(data.toString('latin1'));
    }
    if (!isBinary) return new ChannelProtocolError(`text message over ${this.protocol}`);
    return data.length > 0 ? data : new ChannelProtocolError('empty message: every message starts with a channel byte');
  }

  /** How the session ended when the provider's websocket closed with `code`. */
  private endOf(code: number): CloseMessage {
    if (this.status) return closeFromStatus(this.status);
    // The original protocols write nothing on success: their clean close is the success.
    if (!hasJsonStatus(this.protocol) && code === NORMAL_CLOSURE) return { code: 200, reason: '', message: '' };
    return { code: 503, reason: 'ServiceUnavailable', message: 'connection to the provider closed' };
  }

  private fail(message: string): void {
    if (this.finished) return;
    this.ws.terminate();
    this.finish({ code: 502, reason: 'InternalError', message: `provider protocol error: ${message}` });
  }

  private finish(close: CloseMessage): void {
    if (this.finished) return;
    this.finished = true;
    this.events.close(close);
  }
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
      const ws = new WebSocket(url, [...CLIENT_CHANNEL_OFFER], {
        ...(this.options.tls || {}),
        handshakeTimeout: timeoutMs,
        perMessageDeflate: false,
      });
      let outputOffset = 0;
      ws.once('upgrade', (res) => (outputOffset = parseOffsetText(res.headers[OUTPUT_OFFSET_HEADER.toLowerCase()]) ?? 0));
      ws.once('open', () => {
        this.sockets.add(ws);
        ws.once('close', () => this.sockets.delete(ws));
        // ws fails a handshake that picks no subprotocol, or one we did not offer.
        const protocol = ws.protocol as ChannelProtocol;
        resolve(new WebsocketStream(ws, protocol, Boolean(request.stdin) && !request.readOnly, outputOffset, this.options));
      });
      ws.once('unexpected-response', (req, res) => {
        const chunks: Buffer[] = [];
        let length = 0;
        const refused = () => {
          req.destroy();
          const body = Buffer.concat(chunks).toString('utf8', 0, Math.min(length, REFUSAL_BODY_LIMIT));
          reject(providerRefusal(key, res.statusCode ?? 0, res.statusMessage ?? '', body));
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          length += chunk.length;
          if (length >= REFUSAL_BODY_LIMIT) refused();
        });
        res.on('end', refused);
        res.on('error', refused);
      });
      // `on`, not `once`: a refused handshake can fail again as its request is torn down.
      ws.on('error', (error) => {
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
