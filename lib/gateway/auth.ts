// Who the caller is and whether they may open a machine's console. The gateway calls an
// Authenticator and then an Authorizer; both are pluggable for embedders. The built-in ones ask
// the Kubernetes API (TokenReview, SubjectAccessReview), as an aggregated API server would, and
// answer as kube-apiserver does: any authentication failure is a bare 401 and a failed
// authorization check a bare 500, the why kept in the error's cause for the gateway's log only
// (the API's answer to our review names our identity and RBAC, which no caller may learn).
import { MACHINES, type AuthReviews, type UserInfo } from '../kube/index.js';
import { AUTHORIZATION_FAILED_MESSAGE, StatusError } from '../protocol/index.js';
import type { Credentials } from './exec-request.js';

export type { UserInfo };

/**
 * Who the caller is. Reject with `new StatusError(401, 'Unauthorized')` when there is no one: the
 * gateway answers a bare 401, as kube-apiserver does.
 *
 * @example
 * ```js
 * const authenticator = {
 *   async authenticate({ token }) {
 *     const user = token && users.get(token);
 *     if (!user) throw new StatusError(401, 'Unauthorized');
 *     return user; // { username, groups? }
 *   },
 * };
 * ```
 */
export interface Authenticator {
  /** Resolves the caller's identity; rejects with a StatusError 401 when there is none. */
  authenticate(credentials: Credentials): Promise<UserInfo>;
}

/** What an authorizer decides on: the console asked for, and the request's method. */
export interface AccessRequest {
  namespace: string;
  machine: string;
  method: 'GET' | 'POST';
}

/**
 * Whether an authenticated user may open a console (and, for the page's picker, list machines).
 * Reject with a StatusError: 403 for a denial (its message reaches the caller), 500 when the
 * decision could not be made.
 *
 * @example
 * ```js
 * const authorizer = {
 *   async authorize(user, { namespace, machine }) {
 *     if (!user.groups?.includes('operators')) throw new StatusError(403, `${user.username} may not open ${namespace}/${machine}`);
 *   },
 * };
 * ```
 */
export interface Authorizer {
  /** Resolves when `user` may open the console; rejects with a StatusError 403 otherwise. */
  authorize(user: UserInfo, request: AccessRequest): Promise<void>;
  /** Resolves when `user` may list the namespace's machines (the console page's picker); without it nobody may. */
  authorizeList?(user: UserInfo, namespace: string): Promise<void>;
}

/** kube-apiserver's answer to any failed authentication; `why` is for the log only. */
function unauthorized(why: string, cause?: unknown): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized', { cause: cause === undefined ? new Error(why) : new Error(why, { cause }) });
}

/** Bearer tokens validated by TokenReview. */
export function tokenReviewAuthenticator(reviews: AuthReviews, audiences?: string[]): Authenticator {
  return {
    async authenticate(credentials) {
      if (!credentials.token) throw unauthorized(credentials.tokenError ?? 'no bearer token');
      let review;
      try {
        review = await reviews.tokenReview(credentials.token, audiences ? { audiences } : undefined);
      } catch (error) {
        throw unauthorized('the TokenReview failed', error);
      }
      if (!review.authenticated || !review.user) throw unauthorized(review.error ?? 'invalid bearer token');
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
  const decide = async (user: UserInfo, request: AccessRequest) => {
    try {
      if (await allowed(user, request, 'create')) return true;
      return options.allowGetVerb && request.method === 'GET' && (await allowed(user, request, 'get'));
    } catch (error) {
      throw new StatusError(500, AUTHORIZATION_FAILED_MESSAGE, 'InternalError', { cause: error });
    }
  };
  return {
    async authorize(user, request) {
      if (await decide(user, request)) return;
      throw new StatusError(
        403,
        `machines.compute.ironcore.dev "${request.machine}" is forbidden: User "${user.username}" cannot create resource ` +
          `"machines/exec" in API group "compute.ironcore.dev" in the namespace "${request.namespace}"`,
      );
    },
    async authorizeList(user, namespace) {
      const review = await reviews.subjectAccessReview({
        user: user.username, uid: user.uid, groups: user.groups, extra: user.extra, namespace, name: '', verb: 'list', resource: { group: MACHINES.group, resource: MACHINES.resource },
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
    if (!remote) throw unauthorized('the front proxy sent no X-Remote-User');
    return { username: remote.user, groups: remote.groups, extra: remote.extra };
  },
};

/** Development only: everyone is `system:anonymous` and may do anything. */
export const anonymousAuthenticator: Authenticator = {
  async authenticate() {
    return { username: 'system:anonymous', groups: ['system:unauthenticated'] };
  },
};

/** Development only: every authenticated caller may open and list every console. */
export const allowAllAuthorizer: Authorizer = {
  async authorize() {},
  async authorizeList() {},
};
