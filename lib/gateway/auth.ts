// Who the caller is and whether they may open a machine's console. The gateway calls an
// Authenticator and then an Authorizer; both are pluggable for embedders. The built-in ones ask
// the Kubernetes API (TokenReview, SubjectAccessReview), as an aggregated API server would.
import type { AuthReviews, UserInfo } from '../kube/index.js';
import { StatusError } from '../protocol/index.js';
import type { Credentials } from './exec-request.js';

export type { UserInfo };

export interface Authenticator {
  /** Resolves the caller's identity; rejects with a StatusError 401 when there is none. */
  authenticate(credentials: Credentials): Promise<UserInfo>;
}

export interface AccessRequest {
  namespace: string;
  machine: string;
  method: 'GET' | 'POST';
}

export interface Authorizer {
  /** Resolves when `user` may open the console; rejects with a StatusError 403 otherwise. */
  authorize(user: UserInfo, request: AccessRequest): Promise<void>;
  /** Resolves when `user` may list the namespace's machines (the console page's picker); without it nobody may. */
  authorizeList?(user: UserInfo, namespace: string): Promise<void>;
}

/** Bearer tokens validated by TokenReview. */
export function tokenReviewAuthenticator(reviews: AuthReviews, audiences?: string[]): Authenticator {
  return {
    async authenticate(credentials) {
      if (!credentials.token) {
        throw new StatusError(401, credentials.tokenError ? `Unauthorized: ${credentials.tokenError}` : 'Unauthorized: no bearer token');
      }
      const review = await reviews.tokenReview(credentials.token, audiences ? { audiences } : undefined);
      if (!review.authenticated || !review.user) throw new StatusError(401, 'Unauthorized: invalid bearer token');
      return review.user;
    },
  };
}

export interface SubjectAccessOptions {
  /**
   * Also accept the `get` verb for GET upgrades, for IronCore's older RBAC. Kubernetes moved
   * websocket exec to require `create`; this is off by default.
   */
  allowGetVerb?: boolean;
}

/** `create` on machines/exec in compute.ironcore.dev, asked with a SubjectAccessReview. */
export function subjectAccessAuthorizer(reviews: AuthReviews, options: SubjectAccessOptions = {}): Authorizer {
  const allowed = async (user: UserInfo, request: AccessRequest, verb: string) => {
    const review = await reviews.subjectAccessReview({
      user: user.username, uid: user.uid, groups: user.groups, extra: user.extra,
      namespace: request.namespace, name: request.machine, verb,
    });
    return review.allowed;
  };
  return {
    async authorize(user, request) {
      if (await allowed(user, request, 'create')) return;
      if (options.allowGetVerb && request.method === 'GET' && (await allowed(user, request, 'get'))) return;
      throw new StatusError(
        403,
        `machines.compute.ironcore.dev "${request.machine}" is forbidden: User "${user.username}" cannot create resource ` +
          `"machines/exec" in API group "compute.ironcore.dev" in the namespace "${request.namespace}"`,
      );
    },
    async authorizeList(user, namespace) {
      const review = await reviews.subjectAccessReview({
        user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, namespace, name: '', verb: 'list', subresource: '',
      });
      if (review.allowed) return;
      throw new StatusError(
        403,
        `machines.compute.ironcore.dev is forbidden: User "${user.username}" cannot list resource "machines" in API group ` +
          `"compute.ironcore.dev" in the namespace "${namespace}"`,
      );
    },
  };
}

/**
 * The aggregated-API request-header scheme. Only for the front-proxy listener, where every
 * connection presented a client certificate from the front-proxy CA (lib/gateway/front-proxy.ts).
 */
export const requestHeaderAuthenticator: Authenticator = {
  async authenticate(credentials) {
    const remote = credentials.remote;
    if (!remote) throw new StatusError(401, 'Unauthorized: the front proxy sent no X-Remote-User');
    return { username: remote.user, groups: remote.groups, extra: remote.extra };
  },
};

/** Development only: everyone is `system:anonymous` and may do anything. */
export const anonymousAuthenticator: Authenticator = {
  async authenticate() {
    return { username: 'system:anonymous', groups: ['system:unauthenticated'] };
  },
};

export const allowAllAuthorizer: Authorizer = {
  async authorize() {},
  async authorizeList() {},
};
