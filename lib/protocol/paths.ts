// The URLs of both wire contracts.

/** The user-facing exec endpoint (wire contract 1), as a uWS route pattern. */
export const GATEWAY_EXEC_ROUTE = '/apis/compute.ironcore.dev/v1alpha1/namespaces/:namespace/machines/:machine/exec';

/** IEP-02's per-machine endpoint on a provider (wire contract 2). */
export function providerExecPath(namespace: string, machine: string): string {
  return `/apis/compute.ironcore.dev/namespaces/${namespace}/machines/${machine}/exec`;
}

export const PROVIDER_EXEC_PATTERN = /^\/apis\/compute\.ironcore\.dev\/namespaces\/([^/]+)\/machines\/([^/]+)\/exec$/;

/** The multiplexed link endpoint and the protocol named in its Upgrade header. */
export const LINK_PATH = '/apis/console.ironcore.dev/v1/link';
export const LINK_UPGRADE = 'console.ironcore.dev/v1';

/** The port IronCore's machinepoollet uses when a pool reports none. */
export const DEFAULT_PROVIDER_PORT = 12319;
