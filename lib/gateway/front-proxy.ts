// The listener for kube-apiserver's front proxy (the aggregated-API request-header scheme).
// This uWS build cannot require a client certificate nor show its subject, so the listener is
// node:tls, which can: it demands a certificate from the front-proxy CA (and, when configured,
// one of the allowed names) and relays the bytes to a uWS app on a private unix socket. That
// app trusts X-Remote-User; the public one never does. Only this path pays for the relay.
import { createServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { Gateway } from './gateway.js';
import { listenOn, listenPrivateApp } from './private-app.js';

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
  const app = await listenPrivateApp(gateway, 'front-proxy');
  const server = createServer({ key: options.key, cert: options.cert, ca: options.clientCa, requestCert: true, rejectUnauthorized: true });
  server.on('secureConnection', (client: TLSSocket) => {
    const name = client.getPeerCertificate().subject?.CN;
    if (options.allowedNames.length > 0 && !options.allowedNames.includes(String(name))) {
      options.logger.warn({ name }, 'front proxy certificate name not allowed');
      client.destroy();
      return;
    }
    app.relay(client);
  });
  server.on('tlsClientError', (error) => options.logger.debug({ err: error }, 'front proxy TLS handshake refused'));
  const port = await listenOn(server, options.host, options.port);
  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      app.close();
      await closed;
    },
  };
}
