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
