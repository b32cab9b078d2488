// The listener for users who authenticate with a client certificate, taken as kube-apiserver's
// x509 authenticator takes it: the subject's CN is the user, its O values are the groups. This
// uWS build can neither demand a certificate nor show its subject, so the listener is
// node:https, which can. It parses every request, drops any X-Remote-* header the client sent,
// adds the certificate's identity instead, and relays to the gateway on a private unix socket,
// just as kube-apiserver's front proxy would. Only this path pays for the relay.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { refuseUpgrade } from '../link/index.js';
import { failureStatus } from '../protocol/index.js';
import type { Gateway } from './gateway.js';
import { listenOn, listenPrivateApp } from './private-app.js';

export interface ClientCertListenerOptions {
  host: string;
  port: number;
  key: Buffer;
  cert: Buffer;
  /** The CA that signs users' client certificates (kube-apiserver's --client-ca-file). */
  clientCa: Buffer;
  logger: Logger;
}

export interface ClientCertListener {
  readonly port: number;
  close(): Promise<void>;
}

interface CertificateIdentity {
  user: string;
  groups: string[];
}

const REMOTE_HEADER = /^x-remote-/i;
/** A header value must not be able to end its line. */
const PRINTABLE = /^[^\x00-\x1f\x7f]+$/;

export async function listenClientCertificates(gateway: Gateway, options: ClientCertListenerOptions): Promise<ClientCertListener> {
  const app = await listenPrivateApp(gateway, 'client-cert');
  const server = createServer({ key: options.key, cert: options.cert, ca: options.clientCa, requestCert: true, rejectUnauthorized: true });

  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const identity = certificateIdentity(client as TLSSocket);
    if (!identity) return refuseUpgrade(client, unauthorized());
    app.relay(client, requestHead(req, identity), head);
  });

  // Everything else (health, metrics, the page, refusals): one request at a time, each with the
  // certificate's identity, so a pipelined request cannot carry headers of its own choosing.
  server.on('request', (req, res) => {
    const identity = certificateIdentity(req.socket as TLSSocket);
    if (!identity) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify(unauthorized()));
      return;
    }
    const headers = identityHeaders(req.rawHeaders, identity).flat();
    const upstream = httpRequest({ socketPath: app.socketPath, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('tlsClientError', (error) => options.logger.debug({ err: error }, 'client certificate TLS handshake refused'));
  const port = await listenOn(server, options.host, options.port);
  return {
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      app.close();
      await closed;
    },
  };
}

/** The user and groups of a verified client certificate, or undefined when it names no user. */
function certificateIdentity(socket: TLSSocket): CertificateIdentity | undefined {
  const subject = socket.getPeerCertificate?.()?.subject;
  const user = subject?.CN;
  if (typeof user !== 'string' || !PRINTABLE.test(user)) return undefined;
  const groups = [subject.O ?? []].flat().filter((group): group is string => typeof group === 'string');
  if (!groups.every((group) => PRINTABLE.test(group))) return undefined;
  return { user, groups };
}

/** The client's headers without any X-Remote-*, plus the certificate's identity. */
function identityHeaders(rawHeaders: string[], identity: CertificateIdentity): [string, string][] {
  const headers: [string, string][] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (!REMOTE_HEADER.test(rawHeaders[i]!)) headers.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
  }
  headers.push(['X-Remote-User', identity.user]);
  for (const group of identity.groups) headers.push(['X-Remote-Group', group]);
  return headers;
}

/** An upgrade request's head, rewritten with the certificate's identity. */
function requestHead(req: IncomingMessage, identity: CertificateIdentity): string {
  const lines = identityHeaders(req.rawHeaders, identity).map(([name, value]) => `${name}: ${value}\r\n`);
  return `${req.method} ${req.url} HTTP/1.1\r\n${lines.join('')}\r\n`;
}

function unauthorized() {
  return failureStatus(401, 'Unauthorized: the client certificate names no user (subject CN)');
}
