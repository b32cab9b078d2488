// The listener for kube-apiserver's front proxy (the aggregated-API request-header scheme):
// the way `kubectl ironcore exec` and every kubectl reach the exec endpoint through the cluster's
// API server. It demands a certificate from the front-proxy CA (and, when configured, one of the
// allowed names), which uWS cannot, so it is the HTTP front (node:tls): exec upgrades (SPDY and
// websocket) are served there, by the relayed-identity gateway that trusts X-Remote-User, and the
// rest relayed to a uWS app that trusts it too; the public app never does.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { silentLogger } from '../link/index.js';
import type { Gateway } from './gateway.js';
import { asSent, frontOf, listenHttpFront, type HttpFront, type IdentityPolicy } from './http-front.js';
import { listenPrivateApp } from './private-app.js';

/** The front-proxy listener's address, certificate and the front proxy it trusts. */
export interface FrontProxyOptions {
  host: string;
  port: number;
  key: Buffer;
  cert: Buffer;
  /** The front-proxy CA (kube-apiserver's --requestheader-client-ca-file). */
  clientCa: Buffer;
  /** Accepted certificate common names (--requestheader-allowed-names); empty: any. */
  allowedNames: string[];
  /** Refused front-proxy names and TLS failures; default silent. */
  logger?: Logger;
}

/** A listening front-proxy listener. */
export type FrontProxyListener = HttpFront;

/** Serves `gateway` (createKubeGateway's relayedIdentityGateway) to kube-apiserver's front proxy. */
export async function listenFrontProxy(gateway: Gateway, options: FrontProxyOptions): Promise<FrontProxyListener> {
  const logger = options.logger ?? silentLogger;
  const app = await listenPrivateApp(gateway);
  const identity: IdentityPolicy = {
    admits(socket: Socket) {
      const name = (socket as TLSSocket).getPeerCertificate().subject?.CN;
      if (options.allowedNames.length === 0 || options.allowedNames.includes(String(name))) return true;
      logger.warn({ name }, 'front proxy certificate name not allowed');
      return false;
    },
    // The front proxy authenticated the user and says who it is in X-Remote-*.
    headers: asSent,
  };
  const front = await listenHttpFront(gateway, [app], {
    host: options.host,
    port: options.port,
    tls: { key: options.key, cert: options.cert, ca: options.clientCa, requestCert: true, sessionTickets: false },
    execWebsockets: 'serve',
    identity,
    logger,
  });
  return frontOf(app, front);
}
