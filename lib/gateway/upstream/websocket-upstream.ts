// The second upstream mode: one websocket per session to IEP-02's per-machine endpoint on the
// provider, for providers that serve only that endpoint (in any language), IronCore's
// machinepoollet among them. One handshake offers every channel protocol (CLIENT_CHANNEL_OFFER)
// and the session follows the one the provider picks: the machinepoollet speaks v4 and the
// original protocols, not v5. What the per-session upstreams share is PerSessionStream.
import type { ConnectionOptions } from 'node:tls';
import WebSocket from 'ws';
import {
  CLIENT_CHANNEL_OFFER,
  ChannelProtocolError,
  MAX_REFUSAL_BODY_BYTES,
  OUTPUT_OFFSET_HEADER,
  StatusError,
  checkClientMessage,
  decodeBase64Message,
  encodeBase64Message,
  encodeExecQuery,
  isBase64Protocol,
  parseOffsetText,
  providerExecPath,
  type ChannelProtocol,
  type OpenMessage,
} from '../../protocol/index.js';
import { providerRefusal } from './provider-refusal.js';
import { PerSessionStream, type PerSessionLimits, type SessionTransport } from './per-session-stream.js';
import type { ProviderTarget, Upstream, UpstreamStream } from './upstream.js';

export interface WebsocketUpstreamOptions extends PerSessionLimits {
  tls: ConnectionOptions | false;
}

const NORMAL_CLOSURE = 1000;

/** The session's websocket to the provider, in the framing of the protocol it picked. */
function websocketStream(ws: WebSocket, protocol: ChannelProtocol, writer: boolean, outputOffset: number, limits: PerSessionLimits): UpstreamStream {
  const text = isBase64Protocol(protocol);
  const transport: SessionTransport = {
    send(message) {
      // v4 and older have no close channel: a client's stdin EOF ([255, 0]) cannot be passed
      // on, and is dropped, as a v4 server drops it (wsstream ignores channels it does not
      // have). Ending the session instead would cut off the output the console still owes.
      // The original protocols have no resize channel either.
      if (checkClientMessage(protocol, message)) return;
      ws.send(text ? encodeBase64Message(message) : message);
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    pauseInput: () => ws.pause(),
    resumeInput: () => ws.resume(),
    close: (orderly) => (orderly ? ws.close(NORMAL_CLOSURE) : ws.terminate()),
  };
  const stream = new PerSessionStream(transport, protocol, writer, outputOffset, limits);
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const message = decodeProviderMessage(protocol, text, data, isBinary);
    if (message instanceof ChannelProtocolError) stream.protocolError(message.message);
    else stream.received(message);
  });
  ws.on('close', (code) => stream.providerClosed(code === NORMAL_CLOSURE));
  ws.on('error', (error) => stream.finish({ code: 503, reason: 'ServiceUnavailable', message: `connection to the provider failed: ${error.message}` }));
  return stream;
}

/** A provider's message in the binary form [channel][payload]. */
function decodeProviderMessage(protocol: ChannelProtocol, text: boolean, data: Buffer, isBinary: boolean): Buffer | ChannelProtocolError {
  if (text) return isBinary ? new ChannelProtocolError(`binary message over ${protocol}`) : decodeBase64Message(data.toString('latin1'));
  if (!isBinary) return new ChannelProtocolError(`text message over ${protocol}`);
  return data.length > 0 ? data : new ChannelProtocolError('empty message: every message starts with a channel byte');
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
        resolve(websocketStream(ws, protocol, Boolean(request.stdin) && !request.readOnly, outputOffset, this.options));
      });
      ws.once('unexpected-response', (req, res) => {
        const chunks: Buffer[] = [];
        let length = 0;
        const refused = () => {
          req.destroy();
          const body = Buffer.concat(chunks).toString('utf8', 0, Math.min(length, MAX_REFUSAL_BODY_BYTES));
          reject(providerRefusal(key, res.statusCode ?? 0, res.statusMessage ?? '', body));
        };
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          length += chunk.length;
          if (length >= MAX_REFUSAL_BODY_BYTES) refused();
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
