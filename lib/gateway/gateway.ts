// createGateway: the exec endpoint as handlers an embedder mounts on any uWS app. Each upgrade
// authenticates, authorizes, looks the machine up and opens the upstream session before it
// answers, so every failure is a plain HTTP Status; after the upgrade, failures arrive on the
// error channel. uWS rules: the request is read synchronously, the response may be aborted
// while we wait (onAborted), and late writes are corked.
import type { Logger } from 'pino';
import { GATEWAY_EXEC_ROUTE, StatusError, failureStatus } from '../protocol/index.js';
import { mountConsolePage } from '../web/index.js';
import type { Authenticator, Authorizer, UserInfo } from './auth.js';
import { readExecRequest, type ExecRequest } from './exec-request.js';
import { mountMachineList } from './machine-list.js';
import { GatewayMetrics } from './metrics.js';
import { toStatus, writeStatus } from './respond.js';
import { GatewaySession } from './session.js';
import type { ProviderTarget, Upstream, UpstreamStream } from './upstream/upstream.js';
import type { UWS } from './uws.js';

export interface MachineResolver {
  resolve(namespace: string, machine: string): Promise<ProviderTarget & { pool?: string }>;
  /** Forget a cached answer: the provider it named could not be reached. */
  invalidate?(namespace: string, machine: string): void;
}

export interface GatewayOptions {
  lookup: MachineResolver;
  authenticator: Authenticator;
  authorizer: Authorizer;
  upstream: Upstream;
  logger: Logger;
  /** Origins browsers may connect from; by default only the gateway's own (Origin matches Host). */
  allowedOrigins?: string[];
  /** Time allowed for the provider to open the console. */
  openTimeoutMs?: number;
  /** Largest websocket message accepted from a client. */
  maxPayloadLength?: number;
  /** Seconds without traffic before uWS pings and then drops a client. */
  idleTimeoutSeconds?: number;
  /** Output credit is returned only while a client's send buffer is under this. */
  clientWatermark?: number;
  /** Readiness, for /readyz (e.g. the pool cache has synced). */
  ready?: () => boolean;
  /** Shared by gateways that serve one process (the public and the front-proxy listener). */
  metrics?: GatewayMetrics;
}

interface SocketData {
  session?: GatewaySession;
}

export interface Gateway {
  /** Mounts the exec endpoint, the console page (/console/), /healthz, /readyz and /metrics on `app`. */
  attach(app: UWS.TemplatedApp): void;
  readonly metrics: GatewayMetrics;
  /** Open sessions. */
  readonly sessions: number;
  /** Graceful shutdown: lets sessions run up to `graceMs`, then ends the rest with a 503 Status. */
  drain(graceMs: number): Promise<void>;
}

const DEFAULTS = {
  openTimeoutMs: 10_000,
  maxPayloadLength: 1 << 20,
  idleTimeoutSeconds: 120,
  clientWatermark: 64 * 1024,
};

export function createGateway(options: GatewayOptions): Gateway {
  const settings = { ...DEFAULTS, ...withoutUndefined(options) };
  const { logger, upstream } = settings;
  const metrics = options.metrics ?? new GatewayMetrics();
  const sessions = new Set<GatewaySession>();

  async function openUpstream(request: ExecRequest, user: UserInfo): Promise<{ stream: UpstreamStream; pool?: string }> {
    const lookupStart = performance.now();
    await settings.authorizer.authorize(user, request);
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
    };
    try {
      return { stream: await upstream.open(target, open, settings.openTimeoutMs), pool: target.pool };
    } catch (error) {
      // A stale lookup may name a provider that moved: look again once.
      if (!(error instanceof StatusError) || error.code < 502 || !settings.lookup.invalidate) throw error;
      settings.lookup.invalidate(request.namespace, request.machine);
      const fresh = await settings.lookup.resolve(request.namespace, request.machine);
      // The same provider again would fail the same way (and get a second Open): only retry a move.
      if (fresh.address === target.address && fresh.port === target.port) throw error;
      target = fresh;
      return { stream: await upstream.open(target, open, settings.openTimeoutMs), pool: target.pool };
    }
  }

  function checkOrigin(request: ExecRequest): void {
    if (!request.origin) return; // not a browser
    const allowed = settings.allowedOrigins ?? [`https://${request.host}`, `http://${request.host}`];
    if (!allowed.includes(request.origin)) {
      throw new StatusError(403, `origin ${JSON.stringify(request.origin)} is not allowed to open consoles`);
    }
  }

  function upgrade(res: UWS.HttpResponse, req: UWS.HttpRequest, context: UWS.us_socket_context_t): void {
    const started = performance.now();
    let request: ExecRequest;
    try {
      request = readExecRequest(req);
      checkOrigin(request);
    } catch (error) {
      const status = toStatus(error);
      metrics.refused(String(status.code));
      writeStatus(res, status);
      return;
    }
    let aborted = false;
    res.onAborted(() => (aborted = true));

    void (async () => {
      let user: UserInfo | undefined;
      try {
        user = await settings.authenticator.authenticate(request.credentials);
        const { stream, pool } = await openUpstream(request, user);
        metrics.openSeconds.observe((performance.now() - started) / 1000);
        if (aborted) return stream.close();
        const session = startSession(request, user, pool, stream);
        // No headers of our own on the 101 (the output offset goes in-band, see OUTPUT_OFFSET):
        // uWS 20.30's res.cork reads the response's state after upgrade() reallocated the socket,
        // and with a status written first that stale read often closed the new websocket.
        res.cork(() => res.upgrade<SocketData>({ session }, request.secWebSocketKey, request.protocol, request.secWebSocketExtensions, context));
      } catch (error) {
        const status = toStatus(error);
        metrics.refused(String(status.code));
        if (status.code === 500 && status.message === 'internal error') logger.error({ err: error }, 'console open failed unexpectedly');
        logger.info({ user: user?.username, namespace: request.namespace, machine: request.machine, code: status.code, reason: status.reason, message: status.message }, 'console open refused');
        if (!aborted) res.cork(() => writeStatus(res, status));
      }
    })();
  }

  function startSession(request: ExecRequest, user: UserInfo, pool: string | undefined, stream: UpstreamStream): GatewaySession {
    // Only what the close log needs outlives the upgrade: never the request's credentials.
    const who = { user: user.username, namespace: request.namespace, machine: request.machine, pool };
    const opened = Date.now();
    const session = new GatewaySession(stream, {
      protocol: request.protocol,
      clientWatermark: settings.clientWatermark,
      announceOffset: request.announceOffset,
      onEnd: (end) => {
        sessions.delete(session);
        metrics.sessionsActive--;
        const outcome = end.status.status === 'Success' ? 'success' : String(end.status.code ?? end.status.reason ?? 'failure');
        metrics.sessionEnded(outcome, end.bytesIn, end.bytesOut);
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
    metrics.sessionsActive++;
    logger.info({ ...who, writer: stream.writer, protocol: request.protocol }, 'console session opened');
    return session;
  }


  const behavior: UWS.WebSocketBehavior<SocketData> = {
    maxPayloadLength: settings.maxPayloadLength,
    idleTimeout: settings.idleTimeoutSeconds,
    sendPingsAutomatically: true,
    // Output is bounded by credit (window + watermark); this limit is never the one that acts.
    maxBackpressure: 64 * 1024 * 1024,
    upgrade,
    open: (ws) => ws.getUserData().session!.attach(ws as UWS.WebSocket<unknown>),
    message: (ws, message, isBinary) => ws.getUserData().session!.fromClient(message, isBinary),
    drain: (ws) => ws.getUserData().session!.drained(),
    close: (ws) => ws.getUserData().session!.clientClosed(),
  };

  return {
    metrics,
    get sessions() {
      return sessions.size;
    },
    attach(app) {
      app.ws<SocketData>(GATEWAY_EXEC_ROUTE, behavior);
      app.any(GATEWAY_EXEC_ROUTE, (res) => {
        writeStatus(res, failureStatus(400, 'exec requires a websocket upgrade (GET with Upgrade: websocket) and a channel.k8s.io subprotocol'));
      });
      mountConsolePage(app, { logger });
      mountMachineList(app, settings);
      app.get('/healthz', (res) => void res.end('ok'));
      app.get('/readyz', (res) => {
        if (!settings.ready || settings.ready()) res.end('ok');
        else res.writeStatus('503 Service Unavailable').end('not ready: kubernetes API not synced');
      });
      app.get('/metrics', (res) => {
        res.writeHeader('Content-Type', 'text/plain; version=0.0.4').end(metrics.render(upstream.connections()));
      });
      // uWS leaves a request no route matched without an answer: say 404 like the API does.
      app.any('/*', (res) => writeStatus(res, failureStatus(404, 'the server could not find the requested resource')));
    },
    async drain(graceMs) {
      const deadline = Date.now() + graceMs;
      while (sessions.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      const status = failureStatus(503, 'the console gateway is shutting down; reconnect to continue', 'ServiceUnavailable');
      for (const session of [...sessions]) session.endWith(status);
    },
  };
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
