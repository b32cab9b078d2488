// Our gateway as a deployment runs it (createKubeGateway + listenGateway), in its own process:
// machines looked up in the stand-in Kubernetes API, sessions carried to the bench provider
// over the multiplexed link (or one websocket per session). It reports ready once the pool
// watch has synced (/readyz).
import { readFileSync } from 'node:fs';
import { createLogger } from '../../lib/cli/logger.js';
import { createKubeGateway, listenClientCertificates, listenFrontProxy, listenGateway } from '../../lib/gateway/index.js';
import { FRONT_PROXY_NAME, GATEWAY_SA_TOKEN } from '../fixture-names.js';
import { waitUntilReady } from './gateway-ready.js';
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
  /**
   * The listener clients are sent to (default the public one): kube-apiserver's front proxy
   * (--requestheader-listen: a certificate named FRONT_PROXY_NAME, X-Remote-User trusted) or
   * users' client certificates (--client-cert-listen). Both need `tls`; the bench CA signs both kinds.
   */
  listener?: 'public' | 'front-proxy' | 'client-cert';
}

export interface GatewayReady {
  port: number;
}

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
await waitUntilReady(server.port, Boolean(options.tls), ca);
serveParent({ port: await listenChosen() } satisfies GatewayReady, {});

async function listenChosen(): Promise<number> {
  const listener = options.listener ?? 'public';
  if (listener === 'public') return server.port;
  if (!options.tls) throw new Error(`the ${listener} listener needs TLS`);
  const files = { host: '127.0.0.1', port: 0, key: readFileSync(options.tls.keyFile), cert: readFileSync(options.tls.certFile), clientCa: ca, logger: createLogger('error') };
  const relayed = kubeGateway.relayedIdentityGateway();
  const bound = listener === 'front-proxy' ? await listenFrontProxy(relayed, { ...files, allowedNames: [FRONT_PROXY_NAME] }) : await listenClientCertificates(relayed, files);
  return bound.port;
}
