// Where a load generator's sessions go: a peer's address, which exec path it serves, and the
// TLS material and bearer token a client presents.
import { BENCH_NAMESPACE, benchToken, frontProxyHeaders } from '../fixture-names.js';
import { providerExecPath } from '../../lib/protocol/index.js';

export interface Target {
  /** ws://127.0.0.1:PORT or wss://127.0.0.1:PORT */
  url: string;
  /** 'gateway': the user-facing exec path; 'provider': IEP-02's per-machine endpoint. */
  path: 'gateway' | 'provider';
  tls?: { caFile: string; certFile: string; keyFile: string };
  /**
   * How a client says who it is: its bearer token (default), or as kube-apiserver's front proxy
   * does, X-Remote-User for the token's user over the proxy's certificate (tls).
   */
  identity?: 'bearer' | 'front-proxy';
  /** 'websocket' (default, v5.channel.k8s.io) or 'spdy' (SPDY/3.1, as client-go's SPDY executor). */
  transport?: 'websocket' | 'spdy';
}

const QUERY = '?stdin=true&tty=true';

export function sessionUrl(target: Target, machine: string): string {
  const path =
    target.path === 'gateway'
      ? `/apis/compute.ironcore.dev/v1alpha1/namespaces/${BENCH_NAMESPACE}/machines/${machine}/exec`
      : providerExecPath(BENCH_NAMESPACE, machine);
  return target.url + path + QUERY;
}

/** The headers that say who the client is (see Target.identity). */
export function identityHeaders(target: Target, token: string | undefined): Record<string, string> {
  // The front proxy always names a user: bench user 0 when the open has no token.
  if (target.identity === 'front-proxy') return frontProxyHeaders(token ?? benchToken(0));
  return token ? { authorization: `Bearer ${token}` } : {};
}
