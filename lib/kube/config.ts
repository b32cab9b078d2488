// What a KubeClient needs to reach and authenticate to an API server, however it was loaded
// (in-cluster service account, kubeconfig, or built by hand for tests and the dev stack).

/** Where the API server is and how to authenticate to it. */
export interface KubeConfig {
  /** Base URL of the API server, https:// or http://. */
  server: string;
  /** PEM CA bundle that signs the server's certificate; the system CAs when absent. */
  ca?: Buffer;
  insecureSkipTLSVerify?: boolean;
  clientCert?: Buffer;
  clientKey?: Buffer;
  /** Called for every request, so rotated tokens (files, exec plugins) are picked up. */
  token?: () => string | undefined;
  /** The namespace of the selected context or service account. */
  namespace?: string;
}
