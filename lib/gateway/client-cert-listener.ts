// The listener for users who authenticate with a client certificate, taken as kube-apiserver's
// x509 authenticator takes it: the subject's CN is the user, its O values are the groups. uWS
// can neither demand a certificate nor show its subject, so this is the HTTP front (node:tls):
// every request's X-Remote-* headers are replaced with the certificate's identity, as
// kube-apiserver's front proxy would send them, before the request is served (exec upgrades,
// SPDY and websocket) or relayed to the uWS app that trusts them (everything else).
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { silentLogger } from '../link/index.js';
import { failureStatus } from '../protocol/index.js';
import type { Gateway } from './gateway.js';
import { frontOf, listenHttpFront, withoutRemoteHeaders, type HttpFront, type IdentityPolicy } from './http-front.js';
import { listenPrivateApp } from './private-app.js';

/** The client-certificate listener's address, certificate and the CA of its users' certificates. */
export interface ClientCertListenerOptions {
  host: string;
  port: number;
  key: Buffer;
  cert: Buffer;
  /** The CA that signs users' client certificates (kube-apiserver's --client-ca-file). */
  clientCa: Buffer;
  /** TLS failures; default silent. */
  logger?: Logger;
}

/** A listening client-certificate listener. */
export type ClientCertListener = HttpFront;

/** A header value must not be able to end its line. */
const PRINTABLE = /^[^\x00-\x1f\x7f]+$/;

const certificateIdentity: IdentityPolicy = {
  admits: () => true,
  headers(rawHeaders, socket) {
    const subject = (socket as TLSSocket).getPeerCertificate?.()?.subject;
    const user = subject?.CN;
    const groups = [subject?.O ?? []].flat().filter((group): group is string => typeof group === 'string');
    if (typeof user !== 'string' || !PRINTABLE.test(user) || !groups.every((group) => PRINTABLE.test(group))) {
      return failureStatus(401, 'Unauthorized: the client certificate names no user (subject CN)');
    }
    const headers = withoutRemoteHeaders(rawHeaders);
    headers.push(['X-Remote-User', user]);
    for (const group of groups) headers.push(['X-Remote-Group', group]);
    return headers;
  },
};

/** Serves `gateway` (createKubeGateway's relayedIdentityGateway) to users with client certificates: CN the user, O the groups. */
export async function listenClientCertificates(gateway: Gateway, options: ClientCertListenerOptions): Promise<ClientCertListener> {
  const app = await listenPrivateApp(gateway);
  const front = await listenHttpFront(gateway, [app], {
    host: options.host,
    port: options.port,
    tls: { key: options.key, cert: options.cert, ca: options.clientCa, requestCert: true, sessionTickets: false },
    execWebsockets: 'serve',
    identity: certificateIdentity,
    logger: options.logger ?? silentLogger,
  });
  return frontOf(app, front);
}

