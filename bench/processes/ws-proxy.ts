// The peer "ws-proxy": the proxy a Node developer would write first. A `ws` server that, for
// each client, opens one `ws` client connection to the provider's per-machine endpoint and
// pipes messages both ways. It does the one thing that keeps it bounded: while a client's send
// buffer is over a high-water mark, it stops reading from the provider (ws pause/resume).
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer, type RawData } from 'ws';
import { providerExecPath } from '../../lib/protocol/index.js';
import { childOptions, serveParent } from './parent-rpc.js';

export interface WsProxyOptions {
  providerPort: number;
  /** Serve wss:// and talk mTLS to the provider with these files; false: plain on both sides. */
  tls: { keyFile: string; certFile: string; caFile: string; clientKeyFile: string; clientCertFile: string } | false;
}

export interface ListenReady {
  port: number;
}

const HIGH_WATER_BYTES = 1 << 20;
const LOW_WATER_BYTES = HIGH_WATER_BYTES / 2;
const GATEWAY_PATH = /^\/apis\/compute\.ironcore\.dev\/v1alpha1\/namespaces\/([^/]+)\/machines\/([^/?]+)\/exec(\?.*)?$/;

const options = childOptions<WsProxyOptions>();
const tls = options.tls;
const server = tls ? createHttpsServer({ key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile) }) : createHttpServer();
const upstreamTls = tls ? { ca: readFileSync(tls.caFile), key: readFileSync(tls.clientKeyFile), cert: readFileSync(tls.clientCertFile) } : {};
const providerBase = `${tls ? 'wss' : 'ws'}://127.0.0.1:${options.providerPort}`;

const wss = new WebSocketServer({
  server,
  perMessageDeflate: false,
  handleProtocols: (offered) => offered.values().next().value ?? false,
});

wss.on('connection', (client, req) => {
  const route = GATEWAY_PATH.exec(req.url ?? '');
  if (!route) return client.close(1008, 'not an exec path');
  const upstream = new WebSocket(providerBase + providerExecPath(route[1]!, route[2]!) + (route[3] ?? ''), client.protocol, {
    perMessageDeflate: false,
    ...upstreamTls,
  });
  const early: [RawData, boolean][] = [];
  const resumeUpstream = () => {
    if (upstream.isPaused && client.bufferedAmount < LOW_WATER_BYTES) upstream.resume();
  };

  client.on('message', (data, isBinary) => {
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
    else early.push([data, isBinary]);
  });
  upstream.on('open', () => {
    for (const [data, isBinary] of early.splice(0)) upstream.send(data, { binary: isBinary });
  });
  upstream.on('message', (data, isBinary) => {
    if (client.readyState !== WebSocket.OPEN) return;
    client.send(data, { binary: isBinary }, resumeUpstream);
    if (client.bufferedAmount > HIGH_WATER_BYTES) upstream.pause();
  });
  upstream.on('close', () => client.close(1000));
  // The upstream reads on to the provider's answer to its close frame: paused, it never saw it,
  // and the provider's side stayed open (and written to) until ws's 30 s close timeout.
  client.on('close', () => {
    if (upstream.readyState === WebSocket.CONNECTING) return upstream.terminate();
    upstream.resume();
    upstream.close(1000);
  });
  upstream.on('error', () => client.terminate());
  client.on('error', () => upstream.terminate());
});

server.listen(0, '127.0.0.1', () => serveParent({ port: (server.address() as AddressInfo).port } satisfies ListenReady, {}));
