// Our gateway as a deployment runs it (createKubeGateway + listenGateway), in its own process:
// machines looked up in the stand-in Kubernetes API, sessions carried to the bench provider
// over the multiplexed link (or one websocket per session). It reports ready once the pool
// watch has synced (/readyz).
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../lib/cli/logger.js';
import { createKubeGateway, listenGateway } from '../../lib/gateway/index.js';
import { GATEWAY_SA_TOKEN } from '../fixture-names.js';
import { childOptions, serveParent } from './parent-rpc.js';

export interface GatewayProcessOptions {
  kubeUrl: string;
  caFile: string;
  /** 'kube': TokenReview + SubjectAccessReview against the fixture; 'none': everyone may open. */
  auth: 'kube' | 'none';
  /** Serve wss:// and talk mTLS to the provider with these files; false: plain on both sides. */
  tls: { keyFile: string; certFile: string; clientKeyFile: string; clientCertFile: string } | false;
  /** 'link' (default): the multiplexed link; 'websocket': one websocket per session to the per-machine endpoint. */
  upstream: 'link' | 'websocket';
  /** Links the gateway opens to the one provider (default 2, as createKubeGateway's). */
  linksPerProvider?: number;
  /** The public listener's arrangement (lib/gateway/server.ts); default 'websocket', as the CLI's. */
  listenMode?: 'split' | 'websocket';
}

export interface GatewayReady {
  port: number;
}

const READY_TIMEOUT_MS = 20_000;

const options = childOptions<GatewayProcessOptions>();
const ca = readFileSync(options.caFile);
const kubeGateway = createKubeGateway({
  kube: { server: options.kubeUrl, ca, token: () => GATEWAY_SA_TOKEN },
  providerTls: options.tls && { ca, key: readFileSync(options.tls.clientKeyFile), cert: readFileSync(options.tls.clientCertFile) },
  auth: options.auth,
  upstream: options.upstream,
  ...(options.linksPerProvider ? { linksPerProvider: options.linksPerProvider } : {}),
  logger: createLogger('error'),
});
const server = await listenGateway(kubeGateway.gateway, {
  host: '127.0.0.1',
  port: 0,
  mode: options.listenMode ?? 'websocket',
  ...(options.tls ? { tls: { keyFile: options.tls.keyFile, certFile: options.tls.certFile } } : {}),
});
await waitUntilReady(server.port);
serveParent({ port: server.port } satisfies GatewayReady, {});

async function waitUntilReady(port: number): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await isReady(port))) {
    if (Date.now() > deadline) throw new Error(`gateway not ready after ${READY_TIMEOUT_MS} ms`);
    await sleep(50);
  }
}

function isReady(port: number): Promise<boolean> {
  const get = options.tls ? httpsGet : httpGet;
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path: '/readyz', ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}
