/**
 * lib/kube: the gateway's view of the Kubernetes API. Loading a configuration (in-cluster,
 * kubeconfig, exec plugins), a small REST client with watches, the Machine → MachinePool →
 * address lookup with its pool cache, TokenReview/SubjectAccessReview with caching, the
 * Status error type the gateway answers with, and a stand-in API server for tests and the
 * dev stack.
 *
 * @example
 * ```js
 * import { KubeClient, MachineLookup, loadKubeconfig } from 'ironcore-console/kube';
 *
 * const client = new KubeClient(loadKubeconfig());
 * const lookup = new MachineLookup(client);
 * const { pool, address, port } = await lookup.resolve('default', 'web-1');
 * ```
 *
 * @module kube
 */
export type { KubeConfig } from './config.js';
export { loadInCluster, SERVICE_ACCOUNT_DIR, type InClusterOptions } from './in-cluster.js';
export { loadKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
export { fileTokenSource, type FileTokenOptions } from './token-file.js';
export type { ExecConfig } from './exec-credential.js';

export { KubeClient, type KubeClientOptions, type RequestOptions, type WatchOptions } from './client.js';
export type { WatchEvent, WatchEventType, WatchHandle } from './watch.js';
export { KubeApiError, type StatusDetails } from './errors.js';

export { MachineLookup, type MachineLookupOptions, type MachineTarget } from './lookup.js';
export { MachinePoolCache, type MachinePoolCacheOptions } from './pool-cache.js';
export { MachineCache, type MachineCacheOptions, type MachineRef } from './machine-cache.js';
export { Reflector, type ReflectedResource, type ReflectorOptions, type WarnLogger } from './reflector.js';
export { DEFAULT_ADDRESS_PREFERENCE, DEFAULT_MACHINEPOOLLET_PORT } from './addresses.js';
export { Backoff, backoffDelay, LINK_BACKOFF, RECONNECT_BACKOFF, WATCH_BACKOFF, type BackoffPolicy } from './backoff.js';
export { MACHINES, MACHINE_POOLS, resourcePath, type ResourceType } from './resources.js';
export type { KubeList, KubeObject, Machine, MachinePool, MachinePoolAddress, ObjectMeta, UserInfo } from './types.js';

export type { Clock } from './ttl-cache.js';
export {
  AuthReviews,
  REVIEW_CACHE_DEFAULTS,
  type AccessReviewRequest,
  type AccessReviewResult,
  type AuthReviewsOptions,
  type ReviewedResource,
  type TokenReviewResult,
} from './reviews.js';
