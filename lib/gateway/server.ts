// A listening gateway: a uWS App (or SSLApp) with the gateway mounted, and graceful shutdown
// (stop accepting, let sessions finish for a grace period, then end them with a Status).
import type { Gateway } from './gateway.js';
import { loadUws, type UWS } from './uws.js';

const CLOSE_DRAIN_MS = 1000;

export interface GatewayTlsFiles {
  keyFile: string;
  certFile: string;
  /**
   * Client CA: uWS then refuses client certificates from other CAs. This uWS build cannot
   * require a certificate nor show its subject, so identities still come from bearer tokens.
   */
  clientCaFile?: string;
}

export interface ListenOptions {
  host: string;
  port: number;
  tls?: GatewayTlsFiles;
  /** Routes of the embedder's own, mounted before the gateway's (whose catch-all answers 404). */
  mount?: (app: UWS.TemplatedApp) => void;
}

export interface GatewayServer {
  readonly port: number;
  /** Stops accepting, waits up to `graceMs` for sessions to end, then ends them with 503. */
  shutdown(graceMs: number): Promise<void>;
}

export async function listenGateway(gateway: Gateway, options: ListenOptions): Promise<GatewayServer> {
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
  let closed = false;
  return {
    port: uws.us_socket_local_port(listenSocket),
    async shutdown(graceMs) {
      if (closed) return;
      closed = true;
      uws.us_listen_socket_close(listenSocket);
      await gateway.drain(graceMs);
      // Let the Status frames just queued reach the clients: closing the app at once resets
      // sockets that still hold them (clients saw 1006 and no Status).
      await new Promise((resolve) => setTimeout(resolve, CLOSE_DRAIN_MS));
      (app as unknown as { close?: () => void }).close?.();
    },
  };
}
