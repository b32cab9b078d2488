// A listening gateway, and graceful shutdown (stop accepting, let sessions finish for a grace
// period, then end them with a Status). Two arrangements of the public listener, because this
// uWS build upgrades only websockets and cannot hand a socket to Node:
//  - 'websocket' (default): uWS owns the port (websockets only; SPDY clients get a 400 Status
//    that says where SPDY is served). The fastest websocket path; SPDY clients come through
//    kube-apiserver's front proxy (the front-proxy listener), as kubectl ironcore does in a cluster;
//  - 'split' (--listen-spdy): the HTTP front (node:http(s)) owns the port, serves SPDY/3.1 exec
//    upgrades itself and relays everything else to the uWS app on a private loopback port, so one
//    URL serves kubectl's SPDY and every websocket client, at the relay's cost (bench/README.md).
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { silentLogger } from '../link/index.js';
import type { Gateway } from './gateway.js';
import { bearerOnlyIdentity, frontOf, listenHttpFront } from './http-front.js';
import { listenPrivateApp, relayTarget, type PrivateAddress } from './private-app.js';
import { closeApp, loadUws, type UWS } from './uws.js';

/**
 * A uWS app without a front in this thread (uWS alone, a split-mode worker behind worker 0's
 * front): after the drain has handed every Status to the kernel, how long the clients get to
 * read it and answer the close before the app's close cuts what is left. uWS says nothing about
 * a socket after its websocket's close handler, so this is a wait, not a watch.
 */
const UWS_LINGER_MS = 1000;

async function closeAfterLinger(close: () => void): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, UWS_LINGER_MS));
  close();
}

/** The listener's certificate files (PEM). */
export interface GatewayTlsFiles {
  keyFile: string;
  certFile: string;
  /** Client CA: client certificates from other CAs are refused (identities still come from bearer tokens). */
  clientCaFile?: string;
}

/** 'websocket': uWS alone on the port; 'split': the node:http(s) front that also serves SPDY/3.1 (see the module comment). */
export type PublicListenerMode = 'split' | 'websocket';

/** Where and how listenGateway listens. */
export interface ListenOptions {
  host: string;
  port: number;
  tls?: GatewayTlsFiles;
  /** Default 'websocket' (uWS alone); see the header comment. */
  mode?: PublicListenerMode;
  /** For the split front's TLS handshake failures (debug level). */
  logger?: Logger;
  /**
   * --workers in split mode: Node cannot share a port between threads, so every worker serves its
   * uWS app on a private loopback port with the process's `frontKey`, and only the worker given
   * `front` (the other workers' private apps) runs the front on the port, spreading websocket
   * connections over every worker in turn. A worker without `front` listens privately only:
   * its GatewayServer's port is the private one.
   */
  worker?: { frontKey: string; front?: PrivateAddress[] };
  /** Routes of the embedder's own, mounted before the gateway's (whose catch-all answers 404). */
  mount?: (app: UWS.TemplatedApp) => void;
}

/** A gateway that listenGateway made listen. */
export interface GatewayServer {
  /** The bound port (the OS's choice for port 0). */
  readonly port: number;
  /**
   * Stops accepting, waits up to `graceMs` for sessions to end, then ends them with 503 and gives
   * their clients up to 5 s more to take it before the connections left are cut.
   */
  shutdown(graceMs: number): Promise<void>;
}

/**
 * Serves `gateway` on a uWS app of its own: the embedder's `mount` routes, then every piece of
 * the gateway (Gateway.attach), on `host`:`port`.
 *
 * @example
 * ```js
 * const server = await listenGateway(gateway, { host: '0.0.0.0', port: 8443, tls: { keyFile, certFile } });
 * process.once('SIGTERM', () => server.shutdown(25_000));
 * ```
 */
export async function listenGateway(gateway: Gateway, options: ListenOptions): Promise<GatewayServer> {
  const { port, stopAccepting, closeApps } = (options.mode ?? 'websocket') === 'split' ? await listenSplit(gateway, options) : await listenUws(gateway, options);
  let closed = false;
  return {
    port,
    async shutdown(graceMs) {
      if (closed) return;
      closed = true;
      const stopped = stopAccepting();
      // Resolves once the clients have taken their Status (or a bounded while passed), so that
      // closing the apps cuts no Status on its way.
      await gateway.drain(graceMs);
      await closeApps();
      await stopped;
    },
  };
}

interface Listening {
  port: number;
  /** Stops taking connections; resolves once the listener is closed. */
  stopAccepting(): Promise<void>;
  /** Ends every connection left (a front first lets its relays finish, bounded). */
  closeApps(): Promise<void>;
}

async function listenUws(gateway: Gateway, options: ListenOptions): Promise<Listening> {
  const uws = loadUws();
  const app = options.tls
    ? uws.SSLApp({
        key_file_name: options.tls.keyFile,
        cert_file_name: options.tls.certFile,
        ...(options.tls.clientCaFile ? { ca_file_name: options.tls.clientCaFile } : {}),
      })
    : uws.App();
  options.mount?.(app);
  gateway.attach(app);
  const listenSocket = await new Promise<UWS.us_listen_socket>((resolve, reject) =>
    app.listen(options.host, options.port, (socket) =>
      socket ? resolve(socket) : reject(new Error(`gateway cannot listen on ${options.host}:${options.port}`)),
    ),
  );
  return {
    port: uws.us_socket_local_port(listenSocket),
    stopAccepting: async () => uws.us_listen_socket_close(listenSocket),
    closeApps: () => closeAfterLinger(() => closeApp(app)),
  };
}

async function listenSplit(gateway: Gateway, options: ListenOptions): Promise<Listening> {
  const app = await listenPrivateApp(gateway, options.worker?.frontKey, options.mount);
  if (options.worker && !options.worker.front) return { port: app.port, stopAccepting: async () => {}, closeApps: () => closeAfterLinger(() => app.close()) };
  const targets = [app, ...(options.worker?.front ?? []).map(relayTarget)];
  const tls = options.tls;
  const front = await listenHttpFront(gateway, targets, {
    host: options.host,
    port: options.port,
    ...(tls && {
      tls: {
        key: readFileSync(tls.keyFile),
        cert: readFileSync(tls.certFile),
        ...(tls.clientCaFile && { ca: readFileSync(tls.clientCaFile) }),
        requestCert: false,
        // Browsers resume sessions.
        sessionTickets: true,
      },
    }),
    identity: bearerOnlyIdentity,
    execWebsockets: 'relay',
    logger: options.logger ?? silentLogger,
  });
  const fronted = frontOf(app, front);
  return { port: fronted.port, stopAccepting: async () => fronted.stopAccepting(), closeApps: () => fronted.close() };
}
