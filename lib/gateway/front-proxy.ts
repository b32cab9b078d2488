// The listener for kube-apiserver's front proxy (the aggregated-API request-header scheme).
// This uWS build cannot require a client certificate nor show its subject, so the listener is
// node:tls, which can: it demands a certificate from the front-proxy CA (and, when configured,
// one of the allowed names) and relays the bytes to a uWS app on a private unix socket. That
// app trusts X-Remote-User; the public one never does. Only this path pays for the relay.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Gateway } from './gateway.js';
import { loadUws, type UWS } from './uws.js';

export interface FrontProxyOptions {
  host: string;
  port: number;
  key: Buffer;
  cert: Buffer;
  /** The front-proxy CA (kube-apiserver's --requestheader-client-ca-file). */
  clientCa: Buffer;
  /** Accepted certificate common names (--requestheader-allowed-names); empty: any. */
  allowedNames: string[];
  logger: Logger;
}

export interface FrontProxyListener {
  readonly port: number;
  close(): Promise<void>;
}

export async function listenFrontProxy(gateway: Gateway, options: FrontProxyOptions): Promise<FrontProxyListener> {
  const uws = loadUws();
  const dir = mkdtempSync(join(tmpdir(), 'ironcore-console-front-proxy-'));
  const socketPath = join(dir, 'gateway.sock');
  const app = uws.App();
  gateway.attach(app);
  const unixListener = await new Promise<UWS.us_listen_socket>((resolve, reject) =>
    app.listen_unix((socket) => (socket ? resolve(socket) : reject(new Error(`cannot listen on ${socketPath}`))), socketPath),
  );

  const server = createServer({ key: options.key, cert: options.cert, ca: options.clientCa, requestCert: true, rejectUnauthorized: true });
  const relays = new Set<TLSSocket>();
  server.on('secureConnection', (client: TLSSocket) => {
    relays.add(client);
    client.once('close', () => relays.delete(client));
    const name = client.getPeerCertificate().subject?.CN;
    if (options.allowedNames.length > 0 && !options.allowedNames.includes(String(name))) {
      options.logger.warn({ name }, 'front proxy certificate name not allowed');
      client.destroy();
      return;
    }
    const inner = connect(socketPath);
    client.pipe(inner).pipe(client);
    client.on('error', () => inner.destroy());
    inner.on('error', () => client.destroy());
    client.on('close', () => inner.destroy());
    inner.on('close', () => client.destroy());
  });
  server.on('tlsClientError', (error) => options.logger.debug({ err: error }, 'front proxy TLS handshake refused'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const relay of relays) relay.destroy();
      await closed;
      uws.us_listen_socket_close(unixListener);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
