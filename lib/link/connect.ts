// The gateway's side of the link handshake: TCP or TLS, then `GET LINK_PATH` with
// `Upgrade: console.ironcore.dev/v1`. node:http parses the answer; we bring our own socket so
// that any tls.ConnectionOptions apply, no agent pools it, and it may read into a ReadBuffer.
import { request, type IncomingMessage } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { LINK_PATH, LINK_UPGRADE, MAX_REFUSAL_BODY_BYTES, parseStatus, type Status } from '../protocol/index.js';
import { LinkConnection, type LinkOptions } from './connection.js';
import { HandshakeStream, ReadBuffer } from './read-buffer.js';

export interface ConnectLinkOptions extends LinkOptions {
  host: string;
  port: number;
  /** TLS options (CA, client certificate, ...), or false for plain TCP (dev only). */
  tls: ConnectionOptions | false;
  /** For the whole handshake: connect, TLS, and the HTTP answer. */
  timeoutMs: number;
  /** TLS SNI and the name the certificate must match; default `host` unless it is an IP. */
  servername?: string;
  /**
   * Read into one reused buffer (ReadBuffer): a received data frame's payload is then lent,
   * valid until the current task's microtasks have run. For a receiver that forwards at once.
   */
  reuseReadBuffer?: boolean;
}

/** The provider did not accept the link: no answer, a timeout, or an HTTP error. */
export class LinkHandshakeError extends Error {
  override name = 'LinkHandshakeError';
  constructor(
    message: string,
    /** The HTTP status code the provider answered with, if it answered. */
    readonly statusCode?: number,
    /** The Kubernetes Status the provider sent as the body, if it sent one. */
    readonly status?: Status,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Opens a link to a provider; rejects with a LinkHandshakeError. */
export function connectLink(options: ConnectLinkOptions): Promise<LinkConnection> {
  const target = `${options.host}:${options.port}`;
  const reads = options.reuseReadBuffer ? new ReadBuffer() : undefined;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: LinkHandshakeError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const req = request({
      host: options.host,
      port: options.port,
      method: 'GET',
      path: LINK_PATH,
      headers: { Connection: 'Upgrade', Upgrade: LINK_UPGRADE },
      createConnection: () => {
        const socket = openSocket(options, reads);
        return reads ? new HandshakeStream(socket, reads) : socket;
      },
    });
    const timer = setTimeout(
      () => fail(new LinkHandshakeError(`link to ${target}: handshake timed out after ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    req.on('error', (err) => fail(new LinkHandshakeError(`link to ${target}: ${err.message}`, undefined, undefined, { cause: err })));
    req.on('response', (res) => {
      readErrorBody(res, (body) => fail(refusalError(target, res, body)));
    });
    req.on('upgrade', (res, upgraded: Socket | HandshakeStream, head: Buffer) => {
      const socket = upgraded instanceof HandshakeStream ? upgraded.release() : upgraded;
      if (res.headers.upgrade?.toLowerCase() !== LINK_UPGRADE) {
        socket.destroy();
        fail(new LinkHandshakeError(`link to ${target}: upgraded to ${JSON.stringify(res.headers.upgrade ?? '')}, not ${LINK_UPGRADE}`, 101));
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve(new LinkConnection(socket, options, head, reads));
    });
    req.end();
  });
}

function openSocket(options: ConnectLinkOptions, reads: ReadBuffer | undefined): Socket {
  const onread = reads?.onread;
  if (options.tls === false) return netConnect({ host: options.host, port: options.port, ...(onread && { onread }) });
  const servername = options.servername ?? options.tls.servername ?? (isIP(options.host) ? undefined : options.host);
  return tlsConnect({ ...options.tls, host: options.host, port: options.port, servername, ...(onread && { onread }) });
}

function readErrorBody(res: IncomingMessage, done: (body: string) => void): void {
  const chunks: Buffer[] = [];
  let length = 0;
  res.on('data', (chunk: Buffer) => {
    if (length < MAX_REFUSAL_BODY_BYTES) chunks.push(chunk);
    length += chunk.length;
  });
  res.on('end', () => done(Buffer.concat(chunks).toString('utf8', 0, MAX_REFUSAL_BODY_BYTES)));
  res.on('error', () => done(Buffer.concat(chunks).toString('utf8')));
}

function refusalError(target: string, res: IncomingMessage, body: string): LinkHandshakeError {
  const statusLine = `HTTP ${res.statusCode} ${res.statusMessage ?? ''}`.trim();
  const status = parseStatus(body);
  const detail = status?.message ? `: ${status.message}` : '';
  return new LinkHandshakeError(`link to ${target} refused: ${statusLine}${detail}`, res.statusCode, status);
}
