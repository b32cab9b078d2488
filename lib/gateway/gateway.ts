// createGateway: the exec endpoint as handlers an embedder mounts on any uWS app. Each upgrade
// authenticates, authorizes, looks the machine up and opens the upstream session before it
// answers, so every failure is a plain HTTP Status; after the upgrade, failures arrive on the
// error channel. uWS rules: the request is read synchronously, the response may be aborted
// while we wait (onAborted), and late writes are corked.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocketServer } from 'ws';
import type { Machine } from '../kube/index.js';
import { refuseUpgrade, silentLogger } from '../link/index.js';
import { GATEWAY_EXEC_ROUTE, MAX_CLIENT_MESSAGE_BYTES, StatusError, failureStatus, type ChannelProtocol, type Status } from '../protocol/index.js';
import { acceptSpdyChannelPort, checkSpdyUpgrade, type SpdyChannelPort } from '../spdy/index.js';
import { mountConsolePage } from '../web/index.js';
import { readAuditFacts, readHttpAuditFacts, SessionAudit, type AuditRequestFacts, type AuditSink } from './audit.js';
import type { Authenticator, Authorizer, UserInfo } from './auth.js';
import { readHttpExecRequest, readHttpWebsocketExecRequest, readWebsocketExecRequest, type ExecRequest, type WebsocketExecRequest } from './exec-request.js';
import type { SessionLimits } from './limits.js';
import { mountMachineList } from './machine-list.js';
import { GatewayMetrics } from './metrics.js';
import { NodeWebsocketClient } from './node-websocket-client.js';
import { statusHeaders, toStatus, writeStatus } from './respond.js';
import { GatewaySession } from './session.js';
import { SpdyClient } from './spdy-client.js';
import { BandwidthPacer } from './throttle.js';
import type { ProviderTarget, Upstream, UpstreamStream } from './upstream/upstream.js';
import type { UWS } from './uws.js';
import { WebsocketClient } from './websocket-client.js';

/** Where a machine's console is served: the provider that holds it. */
export interface MachineResolver {
  /** The provider serving `namespace`/`machine` (and its pool, for logs and audit); reject with a StatusError (404, 503) when there is none. */
  resolve(namespace: string, machine: string): Promise<ProviderTarget & { pool?: string }>;
  /** Forget a cached answer: the provider it named could not be reached. */
  invalidate?(namespace: string, machine: string): void;
  /** A namespace's Machines, for the console page's picker (without it the picker's route is not mounted). */
  list?(namespace: string): Promise<Machine[]>;
}

/** What a gateway is made of: who may open which console, where it is, how to get there. */
export interface GatewayOptions {
  /** Finds the provider for a machine. */
  lookup: MachineResolver;
  /** Names the caller (bearer token from the header or the websocket subprotocol). */
  authenticator: Authenticator;
  /** Decides whether the caller may open the console. */
  authorizer: Authorizer;
  /** Carries sessions to providers (createUpstream). */
  upstream: Upstream;
  /** Where session and refusal lines go (pino); default silent. */
  logger?: Logger;
  /** Origins browsers may connect from; by default only the gateway's own (Origin matches Host). */
  allowedOrigins?: string[];
  /** Time allowed for the provider to open the console. */
  openTimeoutMs?: number;
  /** Largest websocket message accepted from a client; default MAX_CLIENT_MESSAGE_BYTES (1 MiB), as the provider's. */
  maxPayloadLength?: number;
  /**
   * Seconds without traffic before uWS pings a client (and drops it if the ping goes unanswered):
   * short enough that load balancers (often 60 s idle) never cut a quiet console.
   */
  idleTimeoutSeconds?: number;
  /** Output credit is returned only while a client's send buffer is under this. */
  clientWatermark?: number;
  /** Readiness, for /readyz (e.g. the pool cache has synced). */
  ready?: () => boolean;
  /** Shared by gateways that serve one process (the public and the front-proxy listener). */
  metrics?: GatewayMetrics;
  /** Session and open-rate limits (429 past them); shared like metrics. */
  limits?: SessionLimits;
  /** Where audit.k8s.io/v1 events go; absent: no audit. */
  audit?: AuditSink;
  /** Output bytes per second each client connection may receive; absent: no cap. */
  maxBytesPerSecond?: number;
}

interface SocketData {
  session: GatewaySession;
  protocol: ChannelProtocol;
  client?: WebsocketClient;
}

/** Where a mount puts its routes on the embedder's app. */
export interface MountOptions {
  /**
   * A path prefix for the routes, e.g. `/machine-consoles` (default none): the exec endpoint is
   * then `{prefix}/apis/compute.ironcore.dev/v1alpha1/...`, the page `{prefix}/console/`. The
   * page opens consoles beside itself, so mount it and the exec endpoint with the same prefix.
   */
  prefix?: string;
}

/**
 * A gateway's routes, mounted piece by piece on any uWS app: the embedder's own routes and its
 * own 404 stay its business.
 *
 * @example
 * ```js
 * const app = uws.App();
 * app.get('/', (res) => res.end('my gateway'));
 * gateway.mountExec(app, { prefix: '/machines' });
 * gateway.mountOps(app, { prefix: '/machines' });
 * gateway.mountPage(app, { prefix: '/machines' });
 * app.listen('127.0.0.1', 8443, () => {});
 * ```
 */
export interface Gateway {
  /** Mounts the exec endpoint: its websocket upgrade, and a 400 Status for a request that does not upgrade. */
  mountExec(app: UWS.TemplatedApp, options?: MountOptions): void;
  /** Mounts `/healthz`, `/readyz` (GatewayOptions.ready) and `/metrics` (Prometheus text). */
  mountOps(app: UWS.TemplatedApp, options?: MountOptions): void;
  /** Mounts the browser console at `/console/` and, when the lookup can list, the machine picker's list route. */
  mountPage(app: UWS.TemplatedApp, options?: MountOptions): void;
  /**
   * Mounts every piece above without a prefix and answers every other path with a Kubernetes
   * 404 Status: for an app that serves nothing but this gateway (listenGateway's).
   */
  attach(app: UWS.TemplatedApp): void;
  /**
   * Serves a SPDY/3.1 exec upgrade that node:http parsed (uWS upgrades only websockets): `req`
   * is the request on `socket` for the machine `namespace`/`machine`, `head` what followed it.
   */
  serveSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, machine: string): void;
  /**
   * Serves a websocket exec upgrade that node:http parsed, in this process (the `ws` package),
   * as serveSpdy does SPDY: for the fronts, whose listeners uWS cannot serve.
   */
  serveWebsocket(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, machine: string): void;
  readonly metrics: GatewayMetrics;
  /** Open sessions. */
  readonly sessions: number;
  /**
   * Graceful shutdown: lets sessions run up to `graceMs`, then ends the rest with a 503 Status
   * and resolves once every client connection has taken it (at most 3 s more): a websocket once
   * uWS has written it out (so closing the app then cuts no Status), a SPDY one once closed.
   */
  drain(graceMs: number): Promise<void>;
}

const DEFAULTS = {
  openTimeoutMs: 10_000,
  maxPayloadLength: MAX_CLIENT_MESSAGE_BYTES,
  idleTimeoutSeconds: 32,
  clientWatermark: 64 * 1024,
};

/**
 * At shutdown, how long the clients' connections have to take the Status after the grace period:
 * a slow reader's output is still ahead of it. Part of deploy/'s termination grace.
 */
const SHUTDOWN_FINISH_MS = 3000;

/**
 * The exec endpoint as handlers to mount on any uWS app (Gateway.mountExec and its siblings).
 *
 * @example
 * ```js
 * import { createGateway, createUpstream, loadUws } from 'ironcore-console/gateway';
 *
 * const gateway = createGateway({
 *   lookup: { resolve: async (namespace, machine) => ({ address: '10.0.0.7', port: 12319 }) },
 *   authenticator, // yours: bearer token → user
 *   authorizer, // yours: user × machine → allowed or a 403
 *   upstream: createUpstream({ tls: { ca, cert, key } }),
 * });
 * const app = loadUws().App();
 * gateway.mountExec(app, { prefix: '/consoles' });
 * ```
 */
export function createGateway(options: GatewayOptions): Gateway {
  const settings = { ...DEFAULTS, ...withoutUndefined(options), logger: options.logger ?? silentLogger };
  const { logger, upstream } = settings;
  const metrics = options.metrics ?? new GatewayMetrics();
  const sessions = new Set<GatewaySession>();
  /** Sessions whose client connection is still open, ended or not. */
  const connected = new Set<GatewaySession>();

  /** After authorization (begun at `lookupStart`, for the lookup metric): the lookup and the open. */
  async function openUpstream(request: ExecRequest, user: UserInfo, auditId: string | undefined, lookupStart: number): Promise<{ stream: UpstreamStream; pool?: string; target: ProviderTarget }> {
    let target = await settings.lookup.resolve(request.namespace, request.machine);
    metrics.lookupSeconds.observe((performance.now() - lookupStart) / 1000);
    const open = {
      namespace: request.namespace,
      machine: request.machine,
      tty: request.tty,
      stdin: request.stdin,
      takeover: request.takeover,
      readOnly: request.readOnly,
      noReplay: request.noReplay,
      announceRole: request.announceRole,
      ...(request.replayFrom !== undefined && { replayFrom: request.replayFrom }),
      user: { username: user.username, uid: user.uid ?? '', groups: user.groups ?? [] },
      ...(auditId && { auditId }),
    };
    try {
      return { stream: await upstream.open(target, open, settings.openTimeoutMs), pool: target.pool, target };
    } catch (error) {
      // A stale lookup may name a provider that moved: look again once.
      if (!(error instanceof StatusError) || error.code < 502 || !settings.lookup.invalidate) throw error;
      settings.lookup.invalidate(request.namespace, request.machine);
      const fresh = await settings.lookup.resolve(request.namespace, request.machine);
      // The same provider again would fail the same way (and get a second Open): only retry a move.
      if (fresh.address === target.address && fresh.port === target.port) throw error;
      target = fresh;
      return { stream: await upstream.open(target, open, settings.openTimeoutMs), pool: target.pool, target };
    }
  }

  function checkOrigin(request: ExecRequest): void {
    if (!request.browserOrigin) return; // not a browser
    const allowed = settings.allowedOrigins ?? [`https://${request.host}`, `http://${request.host}`];
    if (!allowed.includes(request.browserOrigin)) {
      throw new StatusError(403, `origin ${JSON.stringify(request.browserOrigin)} is not allowed to open consoles`);
    }
  }

  /**
   * Everything before the upgrade, for either protocol: authentication, limits, authorization,
   * lookup and the upstream open, audited. Resolves with the session, or undefined when the
   * caller has gone or the open was refused (the refusal has then been answered with `refuse`).
   */
  async function admit(
    request: ExecRequest,
    facts: AuditRequestFacts | undefined,
    started: number,
    gone: () => boolean,
    refuse: (status: Status, headers: Record<string, string>) => void,
  ): Promise<GatewaySession | undefined> {
    const audit = facts && new SessionAudit(settings.audit!, facts, request);
    let user: UserInfo | undefined;
    let release: (() => void) | undefined;
    try {
      checkOrigin(request);
      user = await settings.authenticator.authenticate(request.credentials);
      audit?.received(user);
      settings.limits?.countOpen(user.username);
      const lookupStart = performance.now();
      await settings.authorizer.authorize(user, request);
      release = settings.limits?.admit(user.username);
      const { stream, pool, target } = await openUpstream(request, user, audit?.auditID, lookupStart);
      metrics.openSeconds.observe((performance.now() - started) / 1000);
      if (gone()) {
        release?.();
        audit?.completed({ metadata: {}, status: 'Failure', message: 'the client went away before the upgrade' });
        stream.close();
        return undefined;
      }
      return startSession(request, user, pool, stream, { target, audit, release });
    } catch (error) {
      release?.();
      const status = toStatus(error);
      metrics.refused(String(status.code));
      audit?.completed(status);
      if (status.code === 500 && status.message === 'internal error') logger.error({ err: error }, 'console open failed unexpectedly');
      // Why a 401 or a 500 is generic stays here, in the log (see auth.ts).
      const cause = error instanceof Error && error.cause instanceof Error ? { cause: error.cause.message } : {};
      logger.info({ user: user?.username, namespace: request.namespace, machine: request.machine, code: status.code, reason: status.reason, message: status.message, ...cause }, 'console open refused');
      if (!gone()) refuse(status, audit ? { 'Audit-ID': audit.auditID } : {});
      return undefined;
    }
  }

  /** A request refused before it was read: audited without an object. */
  function refuseUnread(error: unknown, facts: AuditRequestFacts | undefined, answer: (status: Status, headers: Record<string, string>) => void): void {
    const status = toStatus(error);
    metrics.refused(String(status.code));
    const audit = facts && new SessionAudit(settings.audit!, facts, undefined);
    audit?.completed(status);
    answer(status, audit ? { 'Audit-ID': audit.auditID } : {});
  }

  function upgrade(res: UWS.HttpResponse, req: UWS.HttpRequest, context: UWS.us_socket_context_t): void {
    const started = performance.now();
    const facts = settings.audit && readAuditFacts(req, res);
    let request: WebsocketExecRequest;
    try {
      request = readWebsocketExecRequest(req);
    } catch (error) {
      return refuseUnread(error, facts, (status, headers) => writeStatus(res, status, headers));
    }
    let aborted = false;
    res.onAborted(() => (aborted = true));
    void admit(request, facts, started, () => aborted, (status, headers) => res.cork(() => writeStatus(res, status, headers))).then((session) => {
      if (!session) return;
      // No headers of our own on the 101 (the output offset goes in-band, see OUTPUT_OFFSET):
      // uWS 20.30's res.cork reads the response's state after upgrade() reallocated the socket,
      // and with a status written first that stale read often closed the new websocket.
      res.cork(() =>
        res.upgrade<SocketData>({ session, protocol: request.protocol }, request.secWebSocketKey, request.protocol, request.secWebSocketExtensions, context),
      );
    });
  }

  /** Upgrades the websockets node:http parsed; answers each with the protocol admission chose. */
  const websocketServer = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: settings.maxPayloadLength,
    handleProtocols: (_offered, req) => chosenProtocols.get(req) ?? false,
  });
  const chosenProtocols = new WeakMap<IncomingMessage, string>();

  /**
   * An upgrade node:http parsed, read by `read` and admitted: resolves with its session, or
   * undefined when it was refused (and answered) or its client went away.
   */
  async function admitHttpUpgrade<R extends ExecRequest>(req: IncomingMessage, socket: Duplex, read: () => R): Promise<{ session: GatewaySession; request: R } | undefined> {
    const started = performance.now();
    const facts = settings.audit && readHttpAuditFacts(req);
    const refuse = (status: Status, headers: Record<string, string>) => refuseUpgrade(socket, status, { ...headers, ...statusHeaders(status) });
    let request: R;
    try {
      request = read();
    } catch (error) {
      refuseUnread(error, facts, refuse);
      return undefined;
    }
    let gone = false;
    socket.once('close', () => (gone = true));
    const session = await admit(request, facts, started, () => gone, refuse);
    return session && { session, request };
  }

  function serveWebsocket(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, machine: string): void {
    void admitHttpUpgrade(req, socket, () => readHttpWebsocketExecRequest(req, namespace, machine)).then((admitted) => {
      if (!admitted) return;
      const { session, request } = admitted;
      chosenProtocols.set(req, request.protocol);
      // ws upgrades only GET; a POST upgrade is the same handshake otherwise.
      req.method = 'GET';
      let upgraded = false;
      // Synchronous (no verifyClient, no extensions): a socket it could not upgrade has been destroyed.
      websocketServer.handleUpgrade(req, socket, head, (ws) => {
        upgraded = true;
        session.attach(new NodeWebsocketClient(ws, socket, request.protocol, session, settings.idleTimeoutSeconds));
      });
      if (!upgraded) session.clientClosed();
    });
  }

  function serveSpdy(req: IncomingMessage, socket: Duplex, head: Buffer, namespace: string, machine: string): void {
    const negotiated = checkSpdyUpgrade(req.headers);
    const read = () => {
      if (!('protocol' in negotiated)) throw new StatusError(negotiated.code ?? 400, negotiated.message ?? 'not a SPDY/3.1 upgrade', negotiated.reason);
      return readHttpExecRequest(req, namespace, machine, negotiated.protocol);
    };
    void admitHttpUpgrade(req, socket, read).then(async (admitted) => {
      if (!admitted) return;
      const { session, request } = admitted;
      const expect = { stdin: request.stdin, stdout: request.stdout ?? true, stderr: (request.stderr ?? false) && !request.tty, tty: request.tty };
      let port: SpdyChannelPort;
      try {
        port = await acceptSpdyChannelPort(socket, head, request.protocol, expect, { logger });
      } catch (error) {
        logger.info({ namespace: request.namespace, machine: request.machine, err: error }, 'SPDY client never opened its streams');
        socket.destroy();
        return session.clientClosed();
      }
      session.attach(new SpdyClient(port, session));
    });
  }

  interface SessionHooks {
    target: ProviderTarget;
    audit: SessionAudit | undefined;
    /** Gives the session's limit slot back. */
    release: (() => void) | undefined;
  }

  function startSession(request: ExecRequest, user: UserInfo, pool: string | undefined, stream: UpstreamStream, hooks: SessionHooks): GatewaySession {
    // Only what the close log needs outlives the upgrade: never the request's credentials.
    const who = { user: user.username, namespace: request.namespace, machine: request.machine, pool };
    const opened = Date.now();
    const session = new GatewaySession(stream, {
      clientWatermark: settings.clientWatermark,
      announceOffset: request.announceOffset,
      ...(settings.maxBytesPerSecond && { pacer: new BandwidthPacer(settings.maxBytesPerSecond, (ms) => metrics.throttled(ms)) }),
      onClientClosed: () => connected.delete(session),
      onEnd: (end) => {
        sessions.delete(session);
        metrics.sessionsActive--;
        hooks.release?.();
        const outcome = end.status.status === 'Success' ? 'success' : String(end.status.code ?? end.status.reason ?? 'failure');
        metrics.sessionEnded(outcome, end.bytesIn, end.bytesOut);
        hooks.audit?.completed(end.status, { bytesIn: end.bytesIn, bytesOut: end.bytesOut, outcome });
        logger.info(
          {
            ...who, durationMs: Date.now() - opened, bytesIn: end.bytesIn, bytesOut: end.bytesOut,
            outcome, reason: end.status.reason, message: end.status.message,
          },
          'console session closed',
        );
      },
    });
    sessions.add(session);
    connected.add(session);
    metrics.sessionsActive++;
    logger.info(
      {
        ...who, writer: stream.writer, protocol: request.protocol, userAgent: request.userAgent,
        ...(request.kubectlCommand && { kubectlCommand: request.kubectlCommand }),
        ...(request.kubectlSession && { kubectlSession: request.kubectlSession }),
        ...(hooks.audit && { auditID: hooks.audit.auditID }),
      },
      'console session opened',
    );
    hooks.audit?.started({
      pool, provider: `${hooks.target.address}:${hooks.target.port}`, protocol: request.protocol,
      role: !stream.writer ? 'viewer' : request.takeover ? 'takeover' : 'writer',
    });
    return session;
  }


  const behavior: UWS.WebSocketBehavior<SocketData> = {
    maxPayloadLength: settings.maxPayloadLength,
    idleTimeout: settings.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    // Output is bounded by credit (window + watermark); this limit is never the one that acts.
    maxBackpressure: 64 * 1024 * 1024,
    upgrade,
    open: (ws) => {
      const data = ws.getUserData();
      data.client = new WebsocketClient(ws as UWS.WebSocket<unknown>, data.protocol);
      data.session.attach(data.client);
    },
    message: (ws, message, isBinary) => {
      const data = ws.getUserData();
      data.client!.receive(data.session, message, isBinary);
    },
    drain: (ws) => {
      const data = ws.getUserData();
      data.client!.drained();
      data.session.drained();
    },
    close: (ws) => ws.getUserData().session.clientClosed(),
  };

  function mountExec(app: UWS.TemplatedApp, options?: MountOptions): void {
    const route = routePrefix(options) + GATEWAY_EXEC_ROUTE;
    app.ws<SocketData>(route, behavior);
    app.any(route, (res) => {
      writeStatus(res, failureStatus(400, 'exec requires an upgrade: a websocket (GET, Upgrade: websocket) with a channel.k8s.io subprotocol, or SPDY/3.1 (POST or GET, Upgrade: SPDY/3.1) where the listener serves it (gateway --listen-spdy, the front-proxy and client-certificate listeners)'));
    });
  }

  function mountOps(app: UWS.TemplatedApp, options?: MountOptions): void {
    const prefix = routePrefix(options);
    app.get(`${prefix}/healthz`, (res) => void res.end('ok'));
    app.get(`${prefix}/readyz`, (res) => {
      if (!settings.ready || settings.ready()) res.end('ok');
      else res.writeStatus('503 Service Unavailable').end('not ready: kubernetes API not synced');
    });
    app.get(`${prefix}/metrics`, (res) => {
      res.writeHeader('Content-Type', 'text/plain; version=0.0.4').end(metrics.render(upstream.connections(), settings.limits));
    });
  }

  function mountPage(app: UWS.TemplatedApp, options?: MountOptions): void {
    const prefix = routePrefix(options);
    mountConsolePage(app, { logger, prefix });
    mountMachineList(app, settings, prefix);
  }

  function attach(app: UWS.TemplatedApp): void {
    mountExec(app);
    mountPage(app);
    mountOps(app);
    // uWS leaves a request no route matched without an answer: say 404 like the API does.
    app.any('/*', (res) => writeStatus(res, failureStatus(404, 'the server could not find the requested resource')));
  }

  return {
    metrics,
    serveSpdy,
    serveWebsocket,
    get sessions() {
      return sessions.size;
    },
    mountExec,
    mountOps,
    mountPage,
    attach,
    async drain(graceMs) {
      await waitUntil(() => sessions.size === 0, graceMs);
      const status = failureStatus(503, 'the console gateway is shutting down; reconnect to continue', 'ServiceUnavailable');
      for (const session of [...sessions]) session.endWith(status);
      await waitUntil(() => connected.size === 0, SHUTDOWN_FINISH_MS);
    },
  };
}

/** A mount's prefix, checked: empty, or a path that starts with `/` and is not a uWS pattern. */
function routePrefix(options: MountOptions | undefined): string {
  const prefix = (options?.prefix ?? '').replace(/\/+$/, '');
  if (prefix !== '' && !/^\/[A-Za-z0-9._~!$&'()+,;=@%/-]*$/.test(prefix)) {
    throw new TypeError(`prefix ${JSON.stringify(options?.prefix)} must be a path that starts with / (no :parameters or *)`);
  }
  return prefix;
}

async function waitUntil(done: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
