// The handshake scenario's listener: a TLS server that answers each connection's first request
// with one byte and closes it, so that its CPU is the handshake's. 'uws' is uWS's SSLApp
// (BoringSSL), what the public listener runs; 'node' is node:tls (Node's OpenSSL), what the
// front-proxy and client-certificate listeners must run, since uWS can neither demand nor read
// a client certificate. Neither sends session tickets: the bench's clients never resume.
import { readFileSync } from 'node:fs';
import { constants as cryptoConstants } from 'node:crypto';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { loadUws } from '../../lib/gateway/uws.js';
import { childOptions, serveParent } from './parent-rpc.js';

export interface TlsListenerOptions {
  impl: 'uws' | 'node';
  /** node only: demand a client certificate signed by `caFile`, and read its subject. */
  requestCert: boolean;
  keyFile: string;
  certFile: string;
  caFile: string;
}

export interface TlsListenerReady {
  port: number;
}

const ANSWER = 'HTTP/1.1 200 OK\r\ncontent-length: 1\r\nconnection: close\r\n\r\nx';

const options = childOptions<TlsListenerOptions>();
serveParent({ port: await (options.impl === 'uws' ? listenUws() : listenNode()) } satisfies TlsListenerReady, {});

function listenUws(): Promise<number> {
  const uws = loadUws();
  const app = uws.SSLApp({ key_file_name: options.keyFile, cert_file_name: options.certFile });
  app.any('/*', (res) => void res.writeHeader('connection', 'close').end('x', true));
  return new Promise((resolve, reject) =>
    app.listen('127.0.0.1', 0, (socket) => (socket ? resolve(uws.us_socket_local_port(socket)) : reject(new Error('uWS cannot listen')))),
  );
}

function listenNode(): Promise<number> {
  const server = createTlsServer(
    {
      key: readFileSync(options.keyFile),
      cert: readFileSync(options.certFile),
      ...(options.requestCert && { ca: readFileSync(options.caFile), requestCert: true, rejectUnauthorized: true }),
      secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
    },
    (socket) => {
      // As the client-certificate listener does: the subject names the user.
      if (options.requestCert && !socket.getPeerCertificate().subject?.CN) return socket.destroy();
      socket.once('data', () => socket.end(ANSWER));
      socket.on('error', () => {});
    },
  );
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}
