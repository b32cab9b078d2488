// The provider's server: one node:https server (node:http for dev without TLS) that serves
// the multiplexed link and IEP-02's per-machine websocket endpoint, both attaching sessions
// to the same consoles. Client certificates are required and verified against the configured
// CA by default: a missing or untrusted certificate fails the TLS handshake; a trusted one
// whose CN is not in allowedSubjects gets 403 with a Status body.
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { DEFAULT_STREAM_WINDOW, MAX_WINDOW, MIN_STREAM_WINDOW, acceptLink, isLinkRequest, refuseUpgrade } from '../link/index.js';
import { LINK_PATH, failureStatus, type Status } from '../protocol/index.js';
import type { ConsoleBackend } from './backend.js';
import { ConsoleRegistry, type SharingMode } from './console-registry.js';
import { ExecEndpoint } from './exec-endpoint.js';
import { LinkHandler } from './link-handler.js';
import { SHUTTING_DOWN } from './session.js';

export interface ProviderTlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** CA certificate(s) that client certificates must chain to; required unless requireClientCert is false. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Default true. false accepts any client (dev only; a warning is logged at start). */
  requireClientCert?: boolean;
  /** When set, only client certificates with one of these subject CNs are served. */
  allowedSubjects?: string[];
}

export interface ProviderServerOptions {
  backend: ConsoleBackend;
  /** TLS settings, or false to serve plain HTTP (dev only; a warning is logged at start). */
  tls: ProviderTlsOptions | false;
  /** Default 'shared'. */
  sharing?: SharingMode;
  /** Output replayed to a session that attaches to a running console; default 64 KiB, 0 = off. */
  scrollbackBytes?: number;
  /** Credit granted to the gateway per stream; default DEFAULT_STREAM_WINDOW (1 MiB). */
  windowBytes?: number;
  /** Output queued per session (or buffered per websocket) above which the console pauses; default 256 KiB. */
  sessionHighWaterBytes?: number;
  /** A viewer that reads nothing this long while its queue is full is closed; default 30 s. */
  stallTimeoutMs?: number;
  /** A shared console stays open (recording scrollback) this long after its last session; default 0. */
  lingerMs?: number;
  /** Link keepalive: Ping interval and how long a silent link lives; defaults 20 s and 60 s, 0 = off. */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /** How long close(true) waits for peers to go before cutting them off; default 5 s. */
  shutdownGraceMs?: number;
  logger: Logger;
}

export interface ProviderServer {
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting; graceful: sessions and links get 503 "provider shutting down" first. */
  close(graceful?: boolean): Promise<void>;
}

const DEFAULTS = {
  sharing: 'shared' as SharingMode,
  scrollbackBytes: 64 * 1024,
  sessionHighWaterBytes: 256 * 1024,
  stallTimeoutMs: 30_000,
  pingIntervalMs: 20_000,
  pingTimeoutMs: 60_000,
  shutdownGraceMs: 5000,
};

const MAX_CLIENT_MESSAGE_BYTES = 1 << 20;

export function createProviderServer(options: ProviderServerOptions): ProviderServer {
  const logger = options.logger;
  const tls = options.tls;
  const requireClientCert = tls !== false && tls.requireClientCert !== false;
  if (requireClientCert && !tls.ca) throw new Error('tls.ca is required to verify client certificates (or set requireClientCert: false)');
  const windowBytes = options.windowBytes ?? DEFAULT_STREAM_WINDOW;
  if (windowBytes < MIN_STREAM_WINDOW || windowBytes > MAX_WINDOW) throw new Error(`windowBytes must be from ${MIN_STREAM_WINDOW} to ${MAX_WINDOW}`);

  const server: Server = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: requireClientCert, rejectUnauthorized: requireClientCert })
    : createHttpServer();
  const registry = new ConsoleRegistry({
    backend: options.backend,
    sharing: options.sharing ?? DEFAULTS.sharing,
    scrollbackBytes: options.scrollbackBytes ?? DEFAULTS.scrollbackBytes,
    stallTimeoutMs: options.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
    lingerMs: options.lingerMs ?? 0,
    logger,
  });
  const highWaterBytes = options.sessionHighWaterBytes ?? DEFAULTS.sessionHighWaterBytes;
  const exec = new ExecEndpoint(registry, { highWaterBytes, maxPayloadBytes: MAX_CLIENT_MESSAGE_BYTES });
  const links = new Set<LinkHandler>();
  const sockets = new Set<Socket>();
  let nextLinkId = 1;
  let closing: Promise<void> | undefined;

  const allowedSubjects = tls && tls.allowedSubjects ? new Set(tls.allowedSubjects) : undefined;
  /** A Status refusing the client when its certificate's subject is not allowed. */
  function subjectRefusal(socket: Duplex): Status | undefined {
    if (!allowedSubjects) return undefined;
    const cn = (socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
    if (typeof cn === 'string' && allowedSubjects.has(cn)) return undefined;
    return failureStatus(403, `client certificate subject CN=${cn ?? '(none)'} is not allowed to use this provider`);
  }

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    logger.info({ err: error, remote: socket.remoteAddress }, 'TLS handshake with a client failed');
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const status =
      subjectRefusal(req.socket) ??
      (isLinkRequest(req) || exec.matches(pathOf(req))
        ? failureStatus(400, `${pathOf(req)} needs an HTTP upgrade (${isLinkRequest(req) ? 'the console link' : 'a websocket or SPDY/3.1'})`)
        : failureStatus(404, `${pathOf(req)} not found; this provider serves ${LINK_PATH} and the per-machine exec endpoint`));
    res.writeHead(status.code!, { 'Content-Type': 'application/json' }).end(JSON.stringify(status));
  });

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {}); // a client gone mid-handshake; the link or websocket reports its own errors
    const refusal = closing ? failureStatus(503, SHUTTING_DOWN.message) : subjectRefusal(socket);
    if (refusal) return refuseUpgrade(socket, refusal);
    const path = pathOf(req);
    if (isLinkRequest(req)) return serveLink(req, socket, head);
    if (exec.matches(path)) return exec.handleUpgrade(req, socket, head, path);
    refuseUpgrade(socket, failureStatus(404, `${path} not found`));
  });

  function serveLink(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const linkLogger = logger.child({ link: nextLinkId++, remote: (socket as Socket).remoteAddress });
    const link = acceptLink(req, socket, head, {
      pingIntervalMs: options.pingIntervalMs ?? DEFAULTS.pingIntervalMs,
      pingTimeoutMs: options.pingTimeoutMs ?? DEFAULTS.pingTimeoutMs,
      logger: linkLogger,
    });
    if (!link) return;
    linkLogger.info('link accepted');
    const handler = new LinkHandler(
      link,
      registry,
      {
        windowBytes,
        queueHighWaterBytes: highWaterBytes,
        stallTimeoutMs: options.stallTimeoutMs ?? DEFAULTS.stallTimeoutMs,
        logger: linkLogger,
      },
      () => links.delete(handler),
    );
    links.add(handler);
  }

  async function shutdown(graceful: boolean): Promise<void> {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const link of [...links]) link.shutdown(SHUTTING_DOWN);
    registry.shutdown(SHUTTING_DOWN);
    server.closeIdleConnections();
    if (graceful) await allClosed(sockets, options.shutdownGraceMs ?? DEFAULTS.shutdownGraceMs);
    for (const socket of sockets) socket.destroy();
    await stopped;
    logger.info('provider stopped');
  }

  return {
    listen(port, host) {
      if (tls === false) logger.warn('serving the console link and exec endpoint WITHOUT TLS: for development only');
      else if (!requireClientCert) logger.warn('client certificates are not required (insecureNoClientAuth): anyone who can reach this port can open any console');
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          logger.info({ address: address.address, port: address.port, tls: tls !== false }, 'provider listening');
          resolve(address);
        });
      });
    },
    close(graceful = true) {
      closing ??= shutdown(graceful);
      return closing;
    },
  };
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

/** Resolves when every socket has closed or after `graceMs`, whichever comes first. */
async function allClosed(sockets: Set<Socket>, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
  await Promise.race([Promise.all([...sockets].map((socket) => once(socket, 'close'))), grace]);
  clearTimeout(timer);
}
