// Configuration of a pod: the service account that Kubernetes mounts into every pod, and the
// API server address it puts into the environment.
import { existsSync, readFileSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { join } from 'node:path';
import type { KubeConfig } from './config.js';
import { fileTokenSource } from './token-file.js';

/** Where Kubernetes mounts a pod's service account. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Where the service account is, for tests and unusual mounts. */
export interface InClusterOptions {
  /** Where the service account is mounted. */
  dir?: string;
  env?: NodeJS.ProcessEnv;
  /** How long the token file's content is used before it is read again. */
  tokenCacheMs?: number;
}

/** The API server and service account token of the pod this runs in (the token re-read as it rotates). */
export function loadInCluster(options: InClusterOptions = {}): KubeConfig {
  const dir = options.dir ?? SERVICE_ACCOUNT_DIR;
  const env = options.env ?? process.env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new Error('not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set');
  }
  const tokenPath = join(dir, 'token');
  if (!existsSync(tokenPath)) throw new Error(`not running in a cluster: no service account token at ${tokenPath}`);

  const config: KubeConfig = {
    server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`,
    token: fileTokenSource(tokenPath, { cacheMs: options.tokenCacheMs }),
  };
  const ca = readOptional(join(dir, 'ca.crt'));
  if (ca) config.ca = ca;
  const namespace = readOptional(join(dir, 'namespace'))?.toString('utf8').trim();
  if (namespace) config.namespace = namespace;
  return config;
}

function readOptional(path: string): Buffer | undefined {
  return existsSync(path) ? readFileSync(path) : undefined;
}
