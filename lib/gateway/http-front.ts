// The front every listener that serves SPDY puts before the gateway's uWS app. uWS upgrades only
// websockets and cannot hand a socket to Node, so node:http(s) parses each request head here:
// SPDY/3.1 exec upgrades are served in this process (gateway.serveSpdy), exec websocket upgrades
// too where the listener says so (gateway.serveWebsocket: a relayed byte costs a loopback hop and
// a second pass through the event loop), and everything else (the page, health, metrics, and the
// other websocket upgrades) is relayed to the uWS app on a private loopback port, with the key
// only the front knows (private-app.ts, front-key.ts). An
// IdentityPolicy says which connections are admitted and which X-Remote-* identity headers
// their requests carry: none for the public listener, the front proxy's own for its
// listener, the certificate's for the client-certificate listener.
import { constants as cryptoConstants } from 'node:crypto';
import { request as httpRequest, createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { closeSockets, refuseUpgrade } from '../link/index.js';
import type { Status } from '../protocol/index.js';
import type { Gateway } from './gateway.js';
import { FRONT_KEY_HEADER } from './front-key.js';
import { listenOn, type PrivateApp, type RelayTarget } from './private-app.js';

export interface IdentityPolicy {
  /** Whether a (TLS-verified) connection may send requests at all; false closes it. */
  admits(socket: Socket): boolean;
  /**
   * The header lines ([name, value] pairs) a request is passed on with, or a Status refusing it:
   * the place where a client's own X-Remote-* headers are dropped or replaced.
   */
  headers(rawHeaders: string[], socket: Socket): [string, string][] | Status;
}

export interface HttpFrontOptions {
  host: string;
  port: number;
  /**
   * TLS for the listener; `requestCert` demands a certificate from `ca` (without it, one is
   * optional). `sessionTickets: false` sends none: where the clients are Go programs
   * (kube-apiserver, kubectl), which keep no session cache unless told to, so never resume, a
   * ticket is only cost: OpenSSL encodes the session, client certificate included, and decodes
   * it again for each of the two it sends, about a sixth of the server's CPU per handshake.
   */
  tls?: { key: Buffer; cert: Buffer; ca?: Buffer; requestCert: boolean; sessionTickets: boolean };
  identity: IdentityPolicy;
  /**
   * Exec websocket upgrades: 'serve' them in this process (Gateway.serveWebsocket), or 'relay'
   * them to the apps (which may be other workers', to spread sessions over threads).
   */
  execWebsockets: 'serve' | 'relay';
  logger: Logger;
}

export interface HttpFront {
  readonly port: number;
  /** Stops taking connections; the ones open go on. */
  stopAccepting(): void;
  /**
   * Stops taking connections, lets those open finish for up to 2 s (a relay still passing its
   * app's last bytes to a slow client, which then answers the close), then cuts the rest. Close
   * the apps behind after it: an app's close resets its side, and with it what the kernel holds.
   */
  close(): Promise<void>;
}

/**
 * `front` with this thread's private `app` behind it, closed in the order that loses nothing:
 * the front's connections first (a relay still passing the app's last bytes), then the app.
 */
export function frontOf(app: PrivateApp, front: HttpFront): HttpFront {
  return {
    port: front.port,
    stopAccepting: () => front.stopAccepting(),
    async close() {
      await front.close();
      app.close();
    },
  };
}

const EXEC_PATH = /^\/apis\/compute\.ironcore\.dev\/v1alpha1\/namespaces\/([^/]+)\/machines\/([^/]+)\/exec$/;
const REMOTE_HEADER = /^x-remote-/i;
/** At close, how long a connection still open may take to finish before it is cut. */
const CLOSE_FLUSH_MS = 2000;

/** Serves `gateway` through `apps` (the private uWS apps: this thread's, or one per worker, used in turn). */
export async function listenHttpFront(gateway: Gateway, apps: RelayTarget[], options: HttpFrontOptions): Promise<HttpFront> {
  const { identity, logger } = options;
  const tls = options.tls;
  let next = 0;
  const pick = () => apps[next++ % apps.length]!;
  const server: Server = tls
    ? createHttpsServer({
        key: tls.key,
        cert: tls.cert,
        ...(tls.ca && { ca: tls.ca, requestCert: true, rejectUnauthorized: tls.requestCert }),
        ...(!tls.sessionTickets && { secureOptions: cryptoConstants.SSL_OP_NO_TICKET }),
      })
    : createHttpServer();

  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    // A certificate was optional, but one that was presented must verify (as uWS did with --client-ca).
    const unverified = tls?.ca && !tls.requestCert && (socket as TLSSocket).getPeerCertificate?.()?.subject && !(socket as TLSSocket).authorized;
    if (unverified || !identity.admits(socket)) socket.destroy();
  });
  server.on('tlsClientError', (error) => logger.debug({ err: error }, 'TLS handshake refused'));

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {}); // a client gone mid-handshake; the session reports its own end
    const headers = passedOn(req);
    if (!Array.isArray(headers)) return refuseUpgrade(socket, headers);
    const path = pathOf(req);
    const exec = EXEC_PATH.exec(path);
    const spdy = /^spdy\//i.test(String(req.headers.upgrade));
    if (exec && (spdy || options.execWebsockets === 'serve')) {
      req.rawHeaders = headers.flat();
      if (spdy) return gateway.serveSpdy(req, socket, head, exec[1]!, exec[2]!);
      return gateway.serveWebsocket(req, socket, head, exec[1]!, exec[2]!);
    }
    const target = pick();
    target.relay(socket as Socket, requestHead(req, withKey(headers, target)), head);
  });

  /** The request's header lines as the app behind gets them: the identity's, and the client's address. */
  function passedOn(req: IncomingMessage): [string, string][] | Status {
    const headers = identity.headers(req.rawHeaders, req.socket);
    return Array.isArray(headers) ? withForwardedFor(withoutFrontKey(headers), req.socket.remoteAddress) : headers;
  }

  // One request at a time, each with its own identity headers, so a pipelined request cannot
  // carry headers of its own choosing.
  server.on('request', (req, res) => {
    const headers = passedOn(req);
    if (!Array.isArray(headers)) {
      res.writeHead(headers.code ?? 401, { 'Content-Type': 'application/json' }).end(JSON.stringify(headers));
      return;
    }
    const target = pick();
    const upstream = httpRequest({ host: target.host, port: target.port, method: req.method, path: req.url, headers: withKey(headers, target).flat() }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });

  const port = await listenOn(server, options.host, options.port);
  const closed = new Promise<void>((resolve) => server.once('close', () => resolve()));
  const stopAccepting = () => {
    if (server.listening) server.close();
    server.closeIdleConnections();
  };
  return {
    port,
    stopAccepting,
    async close() {
      stopAccepting();
      await closeSockets(sockets, CLOSE_FLUSH_MS);
      await closed;
    },
  };
}

/** The public listener's policy: every connection, and no identity but the bearer token. */
export const bearerOnlyIdentity: IdentityPolicy = {
  admits: () => true,
  headers: (rawHeaders) => withoutRemoteHeaders(rawHeaders),
};

/** The client's header lines without any X-Remote-*. */
export function withoutRemoteHeaders(rawHeaders: string[]): [string, string][] {
  const headers: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (!REMOTE_HEADER.test(rawHeaders[i]!)) headers.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  }
  return headers;
}

/**
 * `headers` with the client's address appended to X-Forwarded-For, as a proxy does: the app
 * behind sees the front's private socket as its peer, and audit events name sources by it.
 */
function withForwardedFor(headers: [string, string][], peer: string | undefined): [string, string][] {
  if (!peer) return headers;
  const claimed = headers.filter(([name]) => name.toLowerCase() === 'x-forwarded-for').map(([, value]) => value);
  const others = headers.filter(([name]) => name.toLowerCase() !== 'x-forwarded-for');
  return [...others, ['X-Forwarded-For', [...claimed, peer.replace(/^::ffff:/, '')].join(', ')]];
}

/** Only a front sends its app's key: a client's own is not passed on. */
function withoutFrontKey(headers: [string, string][]): [string, string][] {
  return headers.filter(([name]) => name.toLowerCase() !== FRONT_KEY_HEADER);
}

function withKey(headers: [string, string][], target: RelayTarget): [string, string][] {
  return [...headers, [FRONT_KEY_HEADER, target.key]];
}

/** The request's header lines as they came. */
export function asSent(rawHeaders: string[]): [string, string][] {
  const headers: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) headers.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  return headers;
}

/** An upgrade request's head with `headers` instead of its own. */
function requestHead(req: IncomingMessage, headers: [string, string][]): string {
  return `${req.method} ${req.url} HTTP/1.1\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join('')}\r\n`;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
