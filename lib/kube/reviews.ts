// Authentication and authorization by the API server: TokenReview for bearer tokens,
// SubjectAccessReview for "may this user exec into this machine". Results are cached briefly
// and concurrent identical reviews share one request, since one user often opens many sessions.
import { createHash } from 'node:crypto';
import type { KubeClient } from './client.js';
import { CoalescingCache } from './coalescing-cache.js';
import { MACHINES } from './resources.js';
import type { UserInfo } from './types.js';

export interface TokenReviewResult {
  authenticated: boolean;
  user?: UserInfo;
  /** Why the token was not accepted, as the authenticator said. */
  error?: string;
}

export interface AccessReviewRequest {
  user?: string;
  groups?: string[];
  uid?: string;
  extra?: Record<string, string[]>;
  namespace: string;
  name: string;
  /** Usually `create` (POST) or `get` (GET), as kube-apiserver maps the exec request's method. */
  verb: string;
  /** Default `exec`; empty: the machines resource itself (e.g. `list` for the console page's picker). */
  subresource?: string;
}

export interface AccessReviewResult {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
}

export interface AuthReviewsOptions {
  /** How long an authenticated token or an allowed access is trusted. */
  allowedTtlMs?: number;
  /** How long a rejection is remembered (short, so a fixed RBAC rule takes effect soon). */
  deniedTtlMs?: number;
  maxEntries?: number;
  timeoutMs?: number;
}

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
  private readonly allowedTtlMs: number;
  private readonly deniedTtlMs: number;

  constructor(
    private readonly client: KubeClient,
    private readonly options: AuthReviewsOptions = {},
  ) {
    this.tokens = new CoalescingCache(options.maxEntries);
    this.access = new CoalescingCache(options.maxEntries);
    this.allowedTtlMs = options.allowedTtlMs ?? 10_000;
    this.deniedTtlMs = options.deniedTtlMs ?? 2_000;
  }

  tokenReview(token: string, { audiences }: { audiences?: string[] } = {}): Promise<TokenReviewResult> {
    // The cache key is a hash: the token itself must not sit in memory longer than needed.
    const key = `${createHash('sha256').update(token).digest('hex')} ${[...(audiences ?? [])].sort().join(',')}`;
    return this.tokens.get(
      key,
      () => this.postTokenReview(token, audiences),
      (result) => (result.authenticated ? this.allowedTtlMs : this.deniedTtlMs),
    );
  }

  subjectAccessReview(request: AccessReviewRequest): Promise<AccessReviewResult> {
    return this.access.get(
      accessKey(request),
      () => this.postAccessReview(request),
      (result) => (result.allowed ? this.allowedTtlMs : this.deniedTtlMs),
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
    const { user, groups, uid, extra, namespace, name, verb } = request;
    const subresource = request.subresource ?? 'exec';
    const resourceAttributes = {
      group: MACHINES.group,
      resource: MACHINES.resource,
      ...(subresource && { subresource }),
      namespace,
      ...(name && { name }),
      verb,
    };
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

function accessKey({ user, groups, uid, extra, namespace, name, verb, subresource = 'exec' }: AccessReviewRequest): string {
  const sortedExtra = Object.entries(extra ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([user, [...(groups ?? [])].sort(), uid, sortedExtra, namespace, name, verb, subresource]);
}
