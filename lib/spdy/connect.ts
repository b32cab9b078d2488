// The client side of a remotecommand SPDY session, as client-go's SPDY executor opens one:
// an HTTP/1.1 upgrade (POST unless told otherwise) offering the X-Stream-Protocol-Version
// values, then one stream per streamtype in client-go's order, each waited for its SYN_REPLY.
// A refused upgrade becomes a StatusError with the peer's code and message (its Status body
// when it sent one, as client-go decodes it).
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import {
  MAX_REFUSAL_BODY_BYTES,
  SPDY_CHANNEL_PROTOCOLS,
  SPDY_STREAM_TYPE_HEADER,
  StatusError,
  parseStatus,
  spdyStreamTypes,
  type SpdyChannelProtocol,
} from '../protocol/index.js';
import { SpdyChannelPortImpl, type SpdyChannelPort, type SpdyPortStreams } from './channel-port.js';
import { SpdyConnection } from './connection.js';
import { STREAM_PROTOCOL_HEADER, SPDY_UPGRADE, isSpdyUpgrade } from './remotecommand.js';

export interface SpdyConnectOptions {
  url: string;
  method?: 'POST' | 'GET';
  tls?: ConnectionOptions;
  headers?: Record<string, string>;
  /** Offered in this order (default v4, v3, v2, v1; client-go puts v5 first, which a SPDY server never picks). */
  protocols?: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** PING the server this often (default 5 s, as client-go); 0: never. */
  pingIntervalMs?: number;
  /** For the upgrade and the stream replies together (default 30 s). */
  timeoutMs?: number;
  /** The error a refused upgrade becomes (default: a StatusError with the peer's code and message). */
  refusal?: (code: number, reasonPhrase: string, body: string) => Error;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_PING_INTERVAL_MS = 5000;

export function connectSpdyChannelPort(options: SpdyConnectOptions): Promise<SpdyChannelPort> {
  const url = new URL(options.url);
  const secure = url.protocol === 'https:';
  if (!secure && url.protocol !== 'http:') return Promise.reject(new Error(`cannot connect to ${url.protocol} URLs; use http or https`));
  const protocols = options.protocols ?? [...SPDY_CHANNEL_PROTOCOLS];
  return new Promise((resolve, reject) => {
    let settled = false;
    let connection: SpdyConnection | undefined;
    const settle = (error: Error | undefined, port?: SpdyChannelPort) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        request.destroy();
        connection?.destroy();
        reject(error);
      } else resolve(port!);
    };
    const timer = setTimeout(() => settle(new StatusError(504, `timed out connecting to ${url.host}`)), options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const request = (secure ? https : http).request(url, {
      ...(secure ? options.tls : {}),
      method: options.method ?? 'POST',
      agent: false,
      headers: {
        ...options.headers,
        Connection: 'Upgrade',
        Upgrade: SPDY_UPGRADE,
        [STREAM_PROTOCOL_HEADER]: protocols,
      },
    });
    request.on('error', (error) => settle(error));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        if (size < MAX_REFUSAL_BODY_BYTES) chunks.push(chunk);
        size += chunk.length;
      });
      response.on('error', (error) => settle(error));
      response.on('end', () => {
        const body = Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BODY_BYTES).toString('utf8');
        settle((options.refusal ?? refusal)(response.statusCode ?? 0, response.statusMessage ?? '', body));
      });
    });
    request.on('upgrade', (response, socket: Socket, head) => {
      if (response.statusCode !== 101 || !isSpdyUpgrade(response.headers)) {
        socket.destroy();
        settle(new StatusError(502, `unable to upgrade connection: the server switched to ${response.headers.upgrade ?? 'nothing'}, not ${SPDY_UPGRADE}`));
        return;
      }
      // client-go falls back to the original protocol when the server names none.
      const chosen = String(response.headers[STREAM_PROTOCOL_HEADER.toLowerCase()] ?? 'channel.k8s.io');
      const protocol = SPDY_CHANNEL_PROTOCOLS.find((p) => p === chosen);
      if (!protocol || !protocols.includes(protocol)) {
        socket.destroy();
        settle(new StatusError(502, `the server chose stream protocol ${JSON.stringify(chosen)}, which was not offered`));
        return;
      }
      connection = new SpdyConnection(socket, { role: 'client', pingIntervalMs: options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS }, head);
      openStreams(connection, protocol, options).then(
        (streams) => settle(undefined, new SpdyChannelPortImpl(protocol, 'client', connection!, streams)),
        (error: Error) => settle(error),
      );
    });
    request.end();
  });
}

/** Opens the session's streams at once and waits for every SYN_REPLY; a reset or a closed connection fails it. */
function openStreams(connection: SpdyConnection, protocol: SpdyChannelProtocol, options: SpdyConnectOptions): Promise<SpdyPortStreams> {
  const streams: SpdyPortStreams = {};
  return new Promise((resolve, reject) => {
    const types = spdyStreamTypes(protocol, options);
    let replies = 0;
    connection.onClose((error) => reject(new StatusError(502, `the server closed the connection before replying to every stream${error ? `: ${error.message}` : ''}`)));
    for (const type of types) {
      const stream = connection.openStream({ [SPDY_STREAM_TYPE_HEADER]: type });
      streams[type] = stream;
      stream.onReset((status) => reject(new StatusError(502, `the server reset the ${type} stream (status ${status})`)));
      stream.onReply(() => {
        if (++replies === types.length) resolve(streams);
      });
    }
  });
}

/** The error a refused upgrade is, with the peer's code and message. */
function refusal(code: number, _reasonPhrase: string, body: string): StatusError {
  const status = parseStatus(body);
  if (status) return new StatusError(status.code ?? code, status.message ?? `unable to upgrade connection: HTTP ${code}`, status.reason);
  return new StatusError(code, `unable to upgrade connection: ${body.trim() || `HTTP ${code}`}`);
}
