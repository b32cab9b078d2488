/**
 * lib/gateway: the exec endpoint on uWebSockets.js. createGateway builds the pieces any uWS app
 * can mount under its own prefix (mountExec, mountOps, mountPage), with pluggable lookup,
 * authentication and authorization; listenGateway serves them on a listener of their own;
 * createUpstream picks how sessions reach providers (pooled links by default, a websocket or a
 * SPDY connection per session); createKubeGateway is all of it as a Kubernetes deployment runs it.
 *
 * @example
 * ```js
 * import { createGateway, createUpstream, loadUws } from 'ironcore-console/gateway';
 *
 * const gateway = createGateway({ lookup, authenticator, authorizer, upstream: createUpstream({ tls: { ca, cert, key } }) });
 * const app = loadUws().App();
 * app.get('/', (res) => res.end('my app'));
 * gateway.mountExec(app, { prefix: '/consoles' }); // the exec endpoint
 * gateway.mountOps(app, { prefix: '/consoles' }); // /healthz, /readyz, /metrics
 * gateway.mountPage(app, { prefix: '/consoles' }); // the browser console at /consoles/console/
 * app.listen('0.0.0.0', 8080, () => {});
 * ```
 *
 * @module gateway
 */
export { createGateway, type Gateway, type GatewayOptions, type MachineResolver, type MountOptions } from './gateway.js';
export { createKubeGateway, type KubeGateway, type KubeGatewayOptions } from './kube-gateway.js';
export { createUpstream, type UpstreamMode, type UpstreamOptions } from './create-upstream.js';
export { runGateway, type GatewayConfig, type RunningGateway } from './run.js';
export { listenFrontProxy, type FrontProxyListener, type FrontProxyOptions } from './front-proxy.js';
export { listenClientCertificates, type ClientCertListener, type ClientCertListenerOptions } from './client-cert-listener.js';
export type { HttpFront } from './http-front.js';
export { listenGateway, type GatewayServer, type GatewayTlsFiles, type ListenOptions, type PublicListenerMode } from './server.js';
export {
  tokenReviewAuthenticator,
  subjectAccessAuthorizer,
  anonymousAuthenticator,
  allowAllAuthorizer,
  requestHeaderAuthenticator,
  type Authenticator,
  type Authorizer,
  type AccessRequest,
  type UserInfo,
} from './auth.js';
export { LinkPool, type LinkPoolOptions } from './upstream/link-pool.js';
export { WebsocketUpstream, type WebsocketUpstreamOptions } from './upstream/websocket-upstream.js';
export { SpdyUpstream, type SpdyUpstreamOptions } from './upstream/spdy-upstream.js';
export type { Upstream, UpstreamStream, ProviderTarget } from './upstream/upstream.js';
export { loadUws, type UWS } from './uws.js';
