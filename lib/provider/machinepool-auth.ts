// Who may use the per-machine endpoint when the provider authorizes its callers as IronCore's
// machinepoollet does (poollet/machinepoollet/server/server.go, on apiserver's delegating
// authenticator and authorizer): the caller is the verified client certificate's subject (CN
// the user, O the groups) or, without one, the user a TokenReview names for the bearer token
// (the Authorization header, else the websocket bearer subprotocol); every caller is also in
// system:authenticated. A SubjectAccessReview then asks whether that user may `get` (GET) or
// `create` (POST) compute.ironcore.dev machinepools/proxy named after the provider's pool.
// Refusals read as kube-apiserver words them: any authentication failure a bare 401, a denial
// a 403 Forbidden naming the pool, a review that fails a bare 500; the why is kept as the
// refusal's cause, for the provider's log only.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { MACHINE_POOLS, type AuthReviews, type ReviewedResource, type UserInfo } from '../kube/index.js';
import { AUTHORIZATION_FAILED_MESSAGE, bearerTokenOf, failureStatus, parseOfferedProtocols, type Status } from '../protocol/index.js';

/** The subresource the machinepoollet authorizes every request on. */
export const MACHINE_POOL_PROXY: ReviewedResource = {
  group: MACHINE_POOLS.group,
  version: MACHINE_POOLS.version,
  resource: MACHINE_POOLS.resource,
  subresource: 'proxy',
};

const AUTHENTICATED_GROUP = 'system:authenticated';

/** A refused caller: `status` is the answer, `cause` why (never a credential). */
export class CallerRefusal extends Error {
  override name = 'CallerRefusal';
  constructor(
    readonly status: Status,
    why: string,
    cause?: unknown,
  ) {
    super(why, cause === undefined ? undefined : { cause });
  }
}

/** The verified client certificate's user (CN) and groups (O), or undefined without one. */
export function certificateUser(socket: Duplex): UserInfo | undefined {
  const tlsSocket = socket as Partial<TLSSocket>;
  if (!tlsSocket.authorized) return undefined;
  const subject = tlsSocket.getPeerCertificate?.()?.subject;
  const cn = subject?.CN;
  if (typeof cn !== 'string' || cn === '') return undefined;
  const groups = [subject?.O ?? []].flat();
  return groups.length > 0 ? { username: cn, groups } : { username: cn };
}

export class MachinePoolAuthorizer {
  constructor(
    private readonly reviews: AuthReviews,
    private readonly machinePool: string,
  ) {}

  /** The authorized caller of `req`; rejects with a CallerRefusal. */
  async authorize(req: IncomingMessage, socket: Duplex, verb: 'get' | 'create'): Promise<UserInfo> {
    const user = withAuthenticatedGroup(certificateUser(socket) ?? (await this.tokenUser(req)));
    let allowed: boolean;
    try {
      const review = await this.reviews.subjectAccessReview({
        user: user.username,
        uid: user.uid,
        groups: user.groups,
        extra: user.extra,
        resource: MACHINE_POOL_PROXY,
        name: this.machinePool,
        verb,
      });
      allowed = review.allowed;
    } catch (error) {
      throw new CallerRefusal(failureStatus(500, AUTHORIZATION_FAILED_MESSAGE), 'the SubjectAccessReview failed', error);
    }
    if (!allowed) throw new CallerRefusal(this.forbidden(user, verb), 'the SubjectAccessReview did not allow it');
    return user;
  }

  private async tokenUser(req: IncomingMessage): Promise<UserInfo> {
    const offered = parseOfferedProtocols(String(req.headers['sec-websocket-protocol'] ?? ''));
    const token = bearerTokenOf(req.headers.authorization) ?? offered.bearerToken;
    if (!token) throw unauthorized(offered.bearerError ?? 'no verified client certificate and no bearer token');
    let review;
    try {
      review = await this.reviews.tokenReview(token);
    } catch (error) {
      throw unauthorized('the TokenReview failed', error);
    }
    if (!review.authenticated || !review.user) throw unauthorized(review.error ?? 'invalid bearer token');
    return review.user;
  }

  /** kube-apiserver's Forbidden for a cluster-scoped subresource. */
  private forbidden(user: UserInfo, verb: string): Status {
    const { group, resource, subresource } = MACHINE_POOL_PROXY;
    return failureStatus(
      403,
      `${resource}.${group} "${this.machinePool}" is forbidden: User "${user.username}" cannot ${verb} resource ` +
        `"${resource}/${subresource}" in API group "${group}" at the cluster scope`,
      'Forbidden',
      { name: this.machinePool, group, kind: resource },
    );
  }
}

function unauthorized(why: string, cause?: unknown): CallerRefusal {
  return new CallerRefusal(failureStatus(401, 'Unauthorized'), why, cause);
}

/** As apiserver's AuthenticatedGroupAdder: every authenticated user is in system:authenticated. */
function withAuthenticatedGroup(user: UserInfo): UserInfo {
  const groups = user.groups ?? [];
  return groups.includes(AUTHENTICATED_GROUP) ? user : { ...user, groups: [...groups, AUTHENTICATED_GROUP] };
}
