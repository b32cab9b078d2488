// The gateway as a Kubernetes deployment runs it: machines looked up through the API (machines
// and pools from watch caches), callers authenticated by TokenReview and authorized by
// SubjectAccessReview, sessions carried over pooled links.
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import { AuthReviews, KubeClient, MachineCache, MachineLookup, MachinePoolCache, type AuthReviewsOptions, type KubeConfig } from '../kube/index.js';
import { silentLogger } from '../link/index.js';
import {
  allowAllAuthorizer,
  anonymousAuthenticator,
  requestHeaderAuthenticator,
  subjectAccessAuthorizer,
  tokenReviewAuthenticator,
} from './auth.js';
import type { AuditSink } from './audit.js';
import { createGateway, type Gateway, type MachineResolver } from './gateway.js';
import { SessionLimits, type SessionLimitOptions } from './limits.js';
import { lookupFailureForCaller } from './lookup-failure.js';
import { createUpstream, type UpstreamMode } from './create-upstream.js';

/** How long a machine's lookup is reused when KubeGatewayOptions.machineCacheTtlMs is left out. */
export const DEFAULT_MACHINE_CACHE_TTL_MS = 2000;

/** A gateway that asks the Kubernetes API who may open which console and where it is. */
export interface KubeGatewayOptions {
  /** The API server and the gateway's credentials (loadKubeconfig, loadInCluster). */
  kube: KubeConfig;
  /** TLS to providers (CA and the gateway's client certificate), or false (dev only). */
  providerTls: ConnectionOptions | false;
  /** 'none' lets everyone in as system:anonymous: development only. */
  auth: 'kube' | 'none';
  allowGetVerb?: boolean;
  /** How long a machine fetched by GET is reused; 0 fetches it for every open the watch cannot answer. */
  machineCacheTtlMs?: number;
  /**
   * Keep every Machine (two fields of each) by list+watch, so an open costs no GET of its
   * machine (default true). One watch for the whole fleet, as every controller of it has;
   * false: GET each machine (then the gateway needs only `get` on machines).
   */
  watchMachines?: boolean;
  addressPreference?: string[];
  linksPerProvider?: number;
  /** How sessions reach providers; default 'link' (UpstreamMode). */
  upstream?: UpstreamMode;
  allowedOrigins?: string[];
  /** Seconds of client silence before the gateway pings (GatewayOptions.idleTimeoutSeconds). */
  idleTimeoutSeconds?: number;
  /** TokenReview/SubjectAccessReview cache ttls (default kube-apiserver's: 2m, 5m allowed, 30s denied) and deadline. */
  reviews?: Pick<AuthReviewsOptions, 'tokenTtlMs' | 'allowedTtlMs' | 'deniedTtlMs' | 'timeoutMs' | 'now'>;
  limits?: SessionLimitOptions;
  audit?: AuditSink;
  maxBytesPerSecond?: number;
  /** Each session's receive window toward its provider (default 1 MiB): the output a provider may send ahead of the client. */
  streamWindowBytes?: number;
  /** The gateway's, the API client's and the links' lines (pino); default silent. */
  logger?: Logger;
}

/** createKubeGateway's gateway and what it holds open. */
export interface KubeGateway {
  /** For the public listener: bearer tokens, TokenReview and SubjectAccessReview. */
  gateway: Gateway;
  /**
   * The same gateway for the listeners that relay a caller's identity in X-Remote-* headers
   * (the front proxy's, the client certificates'), authorized by SubjectAccessReview. Only for
   * listenFrontProxy and listenClientCertificates, never a public listener.
   */
  relayedIdentityGateway(): Gateway;
  /** Closes the links, the watches and the API client. */
  close(): Promise<void>;
}

/**
 * The gateway as a Kubernetes deployment runs it: Machines looked up through the API (pools
 * from a watch cache), callers authenticated by TokenReview and authorized by
 * SubjectAccessReview, sessions carried over pooled links.
 *
 * @example
 * ```js
 * const { gateway, close } = createKubeGateway({ kube: loadInCluster(), providerTls: { ca, cert, key }, auth: 'kube' });
 * gateway.mountExec(app);
 * ```
 */
export function createKubeGateway(options: KubeGatewayOptions): KubeGateway {
  const logger = options.logger ?? silentLogger;
  const client = new KubeClient(options.kube, { log: logger });
  const pools = new MachinePoolCache(client, { log: logger }).start();
  const machines = options.watchMachines === false ? undefined : new MachineCache(client, { log: logger }).start();
  const lookup = new MachineLookup(client, {
    pools,
    ...(machines && { machines }),
    machineTtlMs: options.machineCacheTtlMs ?? DEFAULT_MACHINE_CACHE_TTL_MS,
    ...(options.addressPreference ? { addressPreference: options.addressPreference } : {}),
  });
  const reviews = new AuthReviews(client, options.reviews);
  if (options.auth === 'none') {
    logger.warn('authentication and authorization are OFF (--auth=none): anyone who reaches this gateway can open any console. Development only.');
  }
  const upstream = createUpstream({
    tls: options.providerTls,
    ...(options.upstream && { mode: options.upstream }),
    ...(options.linksPerProvider && { linksPerProvider: options.linksPerProvider }),
    ...(options.streamWindowBytes && { streamWindowBytes: options.streamWindowBytes }),
    logger,
  });
  const authorizer = options.auth === 'none' ? allowAllAuthorizer : subjectAccessAuthorizer(reviews, { allowGetVerb: options.allowGetVerb });
  const resolver: MachineResolver = {
    resolve: (namespace, machine) => lookup.resolve(namespace, machine).catch((error: unknown) => Promise.reject(lookupFailureForCaller(error))),
    invalidate: (namespace, machine) => lookup.invalidate(namespace, machine),
    list: (namespace) => lookup.list(namespace).catch((error: unknown) => Promise.reject(lookupFailureForCaller(error))),
  };
  const shared = {
    lookup: resolver, authorizer, upstream, logger, allowedOrigins: options.allowedOrigins,
    idleTimeoutSeconds: options.idleTimeoutSeconds, ready: () => pools.synced,
    // One process, one set of limits and one audit trail, whichever listener a session came in by.
    limits: new SessionLimits(options.limits), audit: options.audit, maxBytesPerSecond: options.maxBytesPerSecond,
  };
  const gateway = createGateway({
    ...shared,
    authenticator: options.auth === 'none' ? anonymousAuthenticator : tokenReviewAuthenticator(reviews),
  });
  return {
    gateway,
    relayedIdentityGateway: () => createGateway({ ...shared, authenticator: requestHeaderAuthenticator, metrics: gateway.metrics }),
    async close() {
      upstream.close();
      await Promise.all([pools.close(), machines?.close()]);
      client.close();
    },
  };
}
