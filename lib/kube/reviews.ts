// Authentication and authorization by the API server: TokenReview for bearer tokens,
// SubjectAccessReview for "may this user do this to that resource" (by default exec into a
// machine; the provider asks about machinepools/proxy, as IronCore's machinepoollet). Answers are cached as
// kube-apiserver's webhook authenticator and authorizer cache them (a token's answer 2 m either
// way; access allowed 5 m, not allowed 30 s; a failed review never), bounded in size, and
// concurrent identical reviews share one request, since one user often opens many sessions.
import { createHash } from 'node:crypto';
import type { KubeClient } from './client.js';
import { CoalescingCache } from './coalescing-cache.js';
import type { Clock } from './ttl-cache.js';
import { MACHINES } from './resources.js';
import type { UserInfo } from './types.js';

export interface TokenReviewResult {
  authenticated: boolean;
  user?: UserInfo;
  /** Why the token was not accepted, as the authenticator said. */
  error?: string;
}

/** The resource a SubjectAccessReview asks about. */
export interface ReviewedResource {
  group: string;
  version?: string;
  resource: string;
  subresource?: string;
}

/** What callers asked about before reviews named their resource: machines/exec. */
const MACHINE_EXEC: ReviewedResource = { group: MACHINES.group, resource: MACHINES.resource, subresource: 'exec' };

export interface AccessReviewRequest {
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  /** Default machines/exec in compute.ironcore.dev. */
  resource?: ReviewedResource;
  /** Absent or '' for a cluster-scoped resource. */
  namespace?: string;
  name: string;
  /** Usually `create` (POST) or `get` (GET), as kube-apiserver maps the exec request's method. */
  verb: string;
}

export interface AccessReviewResult {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
}

export interface AuthReviewsOptions {
  /** How long a TokenReview's answer (authenticated or not) is kept, as --authentication-token-webhook-cache-ttl. */
  tokenTtlMs?: number;
  /** How long an allowed access is kept, as --authorization-webhook-cache-authorized-ttl. */
  allowedTtlMs?: number;
  /** How long a denied access is kept (short, so a fixed RBAC rule takes effect soon). */
  deniedTtlMs?: number;
  /** Entries per cache (tokens, accesses): keys come from callers, so the memory is bounded. */
  maxEntries?: number;
  timeoutMs?: number;
  /** The time source of the ttls (tests move it). */
  now?: Clock;
}

/** kube-apiserver's defaults for its webhook authenticator and authorizer caches. */
export const REVIEW_CACHE_DEFAULTS = { tokenTtlMs: 120_000, allowedTtlMs: 300_000, deniedTtlMs: 30_000 };

interface TokenReviewStatus {
  authenticated?: boolean;
  user?: UserInfo;
  error?: string;
}

interface AccessReviewStatus {
  allowed?: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

export class AuthReviews {
  private readonly tokens: CoalescingCache<string, TokenReviewResult>;
  private readonly access: CoalescingCache<string, AccessReviewResult>;
  private readonly ttls: typeof REVIEW_CACHE_DEFAULTS;

  constructor(
    private readonly client: KubeClient,
    private readonly options: AuthReviewsOptions = {},
  ) {
    this.tokens = new CoalescingCache(options.maxEntries, options.now);
    this.access = new CoalescingCache(options.maxEntries, options.now);
    this.ttls = {
      tokenTtlMs: options.tokenTtlMs ?? REVIEW_CACHE_DEFAULTS.tokenTtlMs,
      allowedTtlMs: options.allowedTtlMs ?? REVIEW_CACHE_DEFAULTS.allowedTtlMs,
      deniedTtlMs: options.deniedTtlMs ?? REVIEW_CACHE_DEFAULTS.deniedTtlMs,
    };
  }

  tokenReview(token: string, { audiences }: { audiences?: string[] } = {}): Promise<TokenReviewResult> {
    // The cache key is a hash: the token itself must not sit in memory longer than needed.
    const key = `${createHash('sha256').update(token).digest('hex')} ${[...(audiences ?? [])].sort().join(',')}`;
    return this.tokens.get(
      key,
      () => this.postTokenReview(token, audiences),
      () => this.ttls.tokenTtlMs,
    );
  }

  subjectAccessReview(request: AccessReviewRequest): Promise<AccessReviewResult> {
    return this.access.get(
      accessKey(request),
      () => this.postAccessReview(request),
      (result) => (result.allowed ? this.ttls.allowedTtlMs : this.ttls.deniedTtlMs),
    );
  }

  private async postTokenReview(token: string, audiences: string[] | undefined): Promise<TokenReviewResult> {
    const review = await this.client.post<{ status?: TokenReviewStatus }>(
      '/apis/authentication.k8s.io/v1/tokenreviews',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenReview',
        spec: audiences ? { token, audiences } : { token },
      },
      { timeoutMs: this.options.timeoutMs },
    );
    // The API leaves `authenticated` out when it is false.
    const status = review.status ?? {};
    const result: TokenReviewResult = { authenticated: status.authenticated === true };
    if (result.authenticated && status.user) result.user = status.user;
    if (status.error) result.error = status.error;
    return result;
  }

  private async postAccessReview(request: AccessReviewRequest): Promise<AccessReviewResult> {
    const { user, groups, uid, extra, resource = MACHINE_EXEC, namespace, name, verb } = request;
    const resourceAttributes = { ...resource, ...(namespace && { namespace }), ...(name && { name }), verb };
    const review = await this.client.post<{ status?: AccessReviewStatus }>(
      '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { resourceAttributes, user, groups, uid, extra },
      },
      { timeoutMs: this.options.timeoutMs },
    );
    const status = review.status ?? {};
    const result: AccessReviewResult = { allowed: status.allowed === true };
    if (status.denied) result.denied = true;
    const reason = status.reason || status.evaluationError;
    if (reason) result.reason = reason;
    return result;
  }
}

function accessKey({ user, groups, uid, extra, resource = MACHINE_EXEC, namespace, name, verb }: AccessReviewRequest): string {
  const sortedExtra = Object.entries(extra ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const { group, version, resource: plural, subresource } = resource;
  return JSON.stringify([user, [...(groups ?? [])].sort(), uid, sortedExtra, group, version, plural, subresource, namespace || '', name, verb]);
}
