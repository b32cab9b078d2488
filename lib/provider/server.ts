// The provider's endpoints as an upgrade handler any node:http(s) server can call (as ws's
// handleUpgrade), and the provider's own server built on it: one node:https server (node:http
// for dev without TLS) that serves the multiplexed link and IEP-02's per-machine websocket
// endpoint, both attaching sessions to the same consoles. Client certificates are required and
// verified against the configured CA by default: a missing or untrusted certificate fails the
// TLS handshake; a trusted one whose CN is not in allowedSubjects gets 403 with a Status body.
// With `authorization`, the per-machine endpoint authorizes its callers as IronCore's
// machinepoollet does (machinepool-auth.ts): a client may then connect without a certificate
// and bring a bearer token instead (a certificate it presents must still verify), and
// allowedSubjects guards only the link, which keeps demanding a verified certificate.
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { DEFAULT_STREAM_WINDOW, MAX_WINDOW, MIN_STREAM_WINDOW, acceptLink, isLinkRequest, refuseUpgrade, silentLogger, closeSockets } from '../link/index.js';
import { AuthReviews, KubeClient, type AuthReviewsOptions, type KubeConfig } from '../kube/index.js';
import { LINK_PATH, failureStatus, type Status } from '../protocol/index.js';
import type { ConsoleBackend } from './backend.js';
import { ConsoleRegistry, type SharingMode } from './console-registry.js';
import { ExecEndpoint } from './exec-endpoint.js';
import { LinkHandler } from './link-handler.js';
import { CallerRefusal, MachinePoolAuthorizer, certificateUser } from './machinepool-auth.js';
import { PROVIDER_DEFAULTS } from './defaults.js';
import { SHUTTING_DOWN } from './session.js';

/** The provider server's TLS: its certificate and which client certificates it trusts. */
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

/** Authorizing the per-machine endpoint's callers as IronCore's machinepoollet does. */
export interface MachinePoolAuthorization {
  /** The MachinePool this provider serves: the name its SubjectAccessReviews ask about. */
  machinePool: string;
  /** The API server that answers TokenReviews and SubjectAccessReviews, with the provider's credentials. */
  kube: KubeConfig;
  /** Review cache ttls (default kube-apiserver's: 2m, 5m allowed, 30s denied) and deadline. */
  reviews?: Pick<AuthReviewsOptions, 'tokenTtlMs' | 'allowedTtlMs' | 'deniedTtlMs' | 'timeoutMs' | 'now'>;
}

/** Which client certificates the endpoints trust; the TLS server that hands them sockets verified them. */
export interface ClientCertificatePolicy {
  /**
   * Default true: the link (and, without `authorization`, the per-machine endpoint) serves only a
   * caller whose certificate verified (TLSSocket.authorized), others get 401. false: anyone (dev only).
   */
  required?: boolean;
  /** When set, only client certificates with one of these subject CNs are served. */
  allowedSubjects?: string[];
}

/** What the provider's endpoints serve, wherever they are mounted. */
export interface ProviderHandlerOptions {
  /** Opens the machines' consoles. */
  backend: ConsoleBackend;
  /** Default: certificates required, any subject. */
  clientCertificates?: ClientCertificatePolicy;
  /**
   * Default: none, the per-machine endpoint serves every caller the certificate policy accepts.
   * With it, token callers come without a certificate: give the TLS server `requestCert: true,
   * rejectUnauthorized: false` and cut a certificate that fails to verify (createProviderServer does).
   */
  authorization?: MachinePoolAuthorization;
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
  /** Links, sessions and refusals (pino; never console bytes or credentials); default silent. */
  logger?: Logger;
}

/**
 * The provider's link and per-machine endpoint on a server of the embedder's.
 *
 * @example
 * ```js
 * const provider = createProviderHandler({ backend, clientCertificates: { required: true } });
 * const server = https.createServer({ key, cert, ca, requestCert: true }, myRoutes);
 * server.on('upgrade', (req, socket, head) => {
 *   if (provider.handles(req)) provider.handleUpgrade(req, socket, head);
 *   else socket.destroy();
 * });
 * ```
 */
export interface ProviderHandler {
  /** Whether `req` is for the link or the per-machine endpoint (an upgrade this handler serves). */
  handles(req: IncomingMessage): boolean;
  /** Serves an upgrade, as the server's 'upgrade' event passes it; any other path gets a 404 Status. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Answers a request that did not upgrade with a Status: 400 on the endpoints' paths, 404 elsewhere. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  /** Refuses new upgrades with 503 and tells every link and session 503 "provider shutting down" (idempotent). */
  close(): void;
}

export interface ProviderServerOptions extends Omit<ProviderHandlerOptions, 'clientCertificates'> {
  /** TLS settings, or false to serve plain HTTP (dev only; a warning is logged at start). */
  tls: ProviderTlsOptions | false;
  /** How long close(true) waits for peers to go before cutting them off; default 5 s. */
  shutdownGraceMs?: number;
}

/**
 * The provider's own server: `listen`, then `close`.
 *
 * @example
 * ```js
 * const server = createProviderServer({ backend, tls: { key, cert, ca } });
 * const address = await server.listen(12319, '0.0.0.0');
 * process.once('SIGTERM', () => server.close(true));
 * ```
 */
export interface ProviderServer {
  /** Listens on `host` (default all interfaces) and `port` (0: the OS picks). */
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting; graceful: sessions and links get 503 "provider shutting down" first. */
  close(graceful?: boolean): Promise<void>;
}

/** The link and the per-machine endpoint, for the 'upgrade' (and 'request') events of any node:http(s) server. */
export function createProviderHandler(options: ProviderHandlerOptions): ProviderHandler {
  const logger = options.logger ?? silentLogger;
  const requireClientCert = options.clientCertificates?.required !== false;
  const windowBytes = options.windowBytes ?? DEFAULT_STREAM_WINDOW;
  if (windowBytes < MIN_STREAM_WINDOW || windowBytes > MAX_WINDOW) throw new Error(`windowBytes must be from ${MIN_STREAM_WINDOW} to ${MAX_WINDOW}`);

  const kube = options.authorization && new KubeClient(options.authorization.kube);
  const authorizer = options.authorization && new MachinePoolAuthorizer(new AuthReviews(kube!, options.authorization.reviews), options.authorization.machinePool);

  const stallTimeoutMs = options.stallTimeoutMs ?? PROVIDER_DEFAULTS.stallTimeoutMs;
  const registry = new ConsoleRegistry({
    backend: options.backend,
    sharing: options.sharing ?? PROVIDER_DEFAULTS.sharing,
    scrollbackBytes: options.scrollbackBytes ?? PROVIDER_DEFAULTS.scrollbackBytes,
    stallTimeoutMs,
    lingerMs: options.lingerMs ?? PROVIDER_DEFAULTS.lingerMs,
    logger,
  });
  const highWaterBytes = options.sessionHighWaterBytes ?? PROVIDER_DEFAULTS.sessionHighWaterBytes;
  const exec = new ExecEndpoint(registry, { highWaterBytes });
  const links = new Set<LinkHandler>();
  let nextLinkId = 1;
  let closed = false;

  const allowedSubjects = options.clientCertificates?.allowedSubjects && new Set(options.clientCertificates.allowedSubjects);
  /** A Status refusing the client when its certificate's subject is not allowed. */
  function subjectRefusal(socket: Duplex): Status | undefined {
    if (!allowedSubjects) return undefined;
    const cn = (socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
    if (typeof cn === 'string' && allowedSubjects.has(cn)) return undefined;
    return failureStatus(403, `client certificate subject CN=${cn ?? '(none)'} is not allowed to use this provider`);
  }
  /** A Status refusing a client of the link (or any other route but the per-machine endpoint with authorization). */
  function certificateRefusal(socket: Duplex): Status | undefined {
    if (requireClientCert && !(socket as TLSSocket).authorized) return failureStatus(401, 'Unauthorized');
    return subjectRefusal(socket);
  }

  function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const status =
      certificateRefusal(req.socket) ??
      (isLinkRequest(req) || exec.matches(pathOf(req))
        ? failureStatus(400, `${pathOf(req)} needs an HTTP upgrade (${isLinkRequest(req) ? 'the console link' : 'a websocket or SPDY/3.1'})`)
        : failureStatus(404, `${pathOf(req)} not found; this provider serves ${LINK_PATH} and the per-machine exec endpoint`));
    res.writeHead(status.code!, { 'Content-Type': 'application/json' }).end(JSON.stringify(status));
  }

  function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => {}); // a client gone mid-handshake; the link or websocket reports its own errors
    if (closed) return refuseUpgrade(socket, failureStatus(503, SHUTTING_DOWN.message));
    const path = pathOf(req);
    if (!isLinkRequest(req) && exec.matches(path)) return serveExec(req, socket, head, path);
    const refusal = certificateRefusal(socket);
    if (refusal) return refuseUpgrade(socket, refusal);
    if (isLinkRequest(req)) return serveLink(req, socket, head);
    refuseUpgrade(socket, failureStatus(404, `${path} not found`));
  }

  function serveExec(req: IncomingMessage, socket: Duplex, head: Buffer, path: string): void {
    const verb = req.method === 'GET' ? 'get' : req.method === 'POST' ? 'create' : undefined;
    // Without authorization the certificate is the caller; another method is the endpoint's 405.
    if (!authorizer || !verb) {
      const refusal = authorizer ? undefined : certificateRefusal(socket);
      return refusal ? refuseUpgrade(socket, refusal) : exec.handleUpgrade(req, socket, head, path, certificateUser(socket));
    }
    authorizer.authorize(req, socket, verb).then(
      (user) => {
        if (socket.destroyed) return;
        if (closed) return refuseUpgrade(socket, failureStatus(503, SHUTTING_DOWN.message));
        exec.handleUpgrade(req, socket, head, path, user);
      },
      (error: unknown) => {
        if (closed) return refuseUpgrade(socket, failureStatus(503, SHUTTING_DOWN.message));
        const refusal = error instanceof CallerRefusal ? error : new CallerRefusal(failureStatus(500, 'Internal error occurred'), 'authorization broke', error);
        // Why a 401 or a 500 is generic stays here, in the log.
        const detail = refusal.cause instanceof Error ? `${refusal.message}: ${refusal.cause.message}` : refusal.message;
        logger.info({ remote: (socket as Socket).remoteAddress, path, code: refusal.status.code, message: refusal.status.message, cause: detail }, 'exec upgrade refused');
        refuseUpgrade(socket, refusal.status);
      },
    );
  }

  function serveLink(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const linkLogger = logger.child({ link: nextLinkId++, remote: (socket as Socket).remoteAddress });
    const link = acceptLink(req, socket, head, {
      pingIntervalMs: options.pingIntervalMs ?? PROVIDER_DEFAULTS.pingIntervalMs,
      pingTimeoutMs: options.pingTimeoutMs ?? PROVIDER_DEFAULTS.pingTimeoutMs,
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
        stallTimeoutMs,
        logger: linkLogger,
      },
      () => links.delete(handler),
    );
    links.add(handler);
  }

  return {
    handles: (req) => isLinkRequest(req) || exec.matches(pathOf(req)),
    handleUpgrade,
    handleRequest,
    close() {
      if (closed) return;
      closed = true;
      for (const link of [...links]) link.shutdown(SHUTTING_DOWN);
      registry.shutdown(SHUTTING_DOWN);
      kube?.close();
    },
  };
}

/** The provider on a server of its own: the handler behind node:https (or node:http without TLS). */
export function createProviderServer(options: ProviderServerOptions): ProviderServer {
  const logger = options.logger ?? silentLogger;
  const tls = options.tls;
  const requireClientCert = tls !== false && tls.requireClientCert !== false;
  if (requireClientCert && !tls.ca) throw new Error('tls.ca is required to verify client certificates (or set requireClientCert: false)');
  // Token callers connect without a certificate, so TLS may not reject them; the handler checks instead.
  const checkCertificates = requireClientCert && options.authorization !== undefined;
  const handler = createProviderHandler({
    ...options,
    logger,
    clientCertificates: { required: requireClientCert, ...(tls && tls.allowedSubjects && { allowedSubjects: tls.allowedSubjects }) },
  });

  const server: Server = tls
    ? createHttpsServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: requireClientCert, rejectUnauthorized: requireClientCert && !checkCertificates })
    : createHttpServer();
  const sockets = new Set<Socket>();
  let closing: Promise<void> | undefined;

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (error: Error, socket: TLSSocket) => {
    logger.info({ err: error, remote: socket.remoteAddress }, 'TLS handshake with a client failed');
  });
  if (checkCertificates) {
    // As Go's VerifyClientCertIfGiven: no certificate is fine, one that does not verify is not.
    server.on('secureConnection', (socket: TLSSocket) => {
      if (socket.authorized || Object.keys(socket.getPeerCertificate()).length === 0) return;
      logger.info({ err: socket.authorizationError, remote: socket.remoteAddress }, 'TLS handshake with a client failed');
      socket.destroy();
    });
  }
  server.on('request', handler.handleRequest);
  server.on('upgrade', handler.handleUpgrade);

  async function shutdown(graceful: boolean): Promise<void> {
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    handler.close();
    server.closeIdleConnections();
    await closeSockets(sockets, graceful ? (options.shutdownGraceMs ?? PROVIDER_DEFAULTS.shutdownGraceMs) : 0);
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

