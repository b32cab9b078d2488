// Names the bench's processes agree on: where benchmark machines live in the stand-in
// Kubernetes API, and the bearer tokens it accepts.

export const BENCH_NAMESPACE = 'default';
export const BENCH_POOL = 'bench-pool';

/** The token the gateway's kube client presents (its service account). */
export const GATEWAY_SA_TOKEN = 'bench-gateway-sa-token';

/** The bearer token of bench user `user`; the kube fixture knows tokens 0 … users-1. */
export function benchToken(user: number): string {
  return `bench-token-${user}`;
}

/** The CN of the bench's client certificate, which the gateway's front-proxy listener allows. */
export const FRONT_PROXY_NAME = 'ironcore-console-gateway';

/** The user bench token `token` authenticates as (the kube fixture's answer to its TokenReview). */
export function benchUserOf(token: string): string {
  return `bench-user-${token.slice('bench-token-'.length)}`;
}

/** What kube-apiserver's front proxy sends in place of the token: the user it authenticated. */
export function frontProxyHeaders(token: string): Record<string, string> {
  return { 'X-Remote-User': benchUserOf(token), 'X-Remote-Group': 'system:authenticated' };
}
