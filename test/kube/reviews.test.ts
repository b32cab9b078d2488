import t from 'tap';
import { AuthReviews, type AuthReviewsOptions } from '../../lib/kube/index.js';
import type { AccessReviewSpec } from '../fixtures/kube-api.js';
import { clientFor, rejection, startSecureApi, type Teardown } from './fixtures/setup.js';

const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
const alice = {
  username: 'alice',
  uid: 'u-1',
  groups: ['devs', 'system:authenticated'],
  extra: { scopes: ['console'] },
};

async function setup(t: Teardown, options: AuthReviewsOptions = {}) {
  const seen: AccessReviewSpec[] = [];
  const { api, config } = await startSecureApi(t, {
    tokens: { 'alice-token': alice },
    authorize: (spec) => {
      seen.push(spec);
      if (spec.user === 'alice' && spec.resourceAttributes?.name === 'm1') return true;
      return { allowed: false, denied: true, reason: 'RBAC: no rule allows exec on this machine' };
    },
  });
  return { api, seen, config, reviews: new AuthReviews(clientFor(t, config), options) };
}

t.test('TokenReview: a known token is authenticated with its user, an unknown one is not', async (t) => {
  const { reviews } = await setup(t);
  t.same(await reviews.tokenReview('alice-token'), { authenticated: true, user: alice });
  t.same(await reviews.tokenReview('forged'), { authenticated: false, error: 'invalid bearer token' });
});

t.test('TokenReview results are cached, concurrent reviews coalesced, by token and audiences', async (t) => {
  const { api, reviews } = await setup(t);
  api.setLatency(20);
  const results = await Promise.all(Array.from({ length: 10 }, () => reviews.tokenReview('alice-token')));
  t.ok(results.every((result) => result.authenticated));
  await reviews.tokenReview('alice-token');
  t.equal(api.requestCount(TOKEN_REVIEWS), 1);
  await reviews.tokenReview('alice-token', { audiences: ['console'] });
  await reviews.tokenReview('forged');
  t.equal(api.requestCount(TOKEN_REVIEWS), 3);
});

t.test('cache ttls are kube-apiserver\'s: a token\'s answer 2m either way, access allowed 5m, denied 30s', async (t) => {
  let now = 1_000_000;
  const { api, reviews } = await setup(t, { now: () => now });
  const access = { user: 'alice', namespace: 'default', verb: 'create' };
  const count = () => [api.requestCount(TOKEN_REVIEWS), api.requestCount(ACCESS_REVIEWS)];
  const review = async () => {
    await reviews.tokenReview('alice-token');
    await reviews.tokenReview('forged');
    await reviews.subjectAccessReview({ ...access, name: 'm1' }); // allowed
    await reviews.subjectAccessReview({ ...access, name: 'm2' }); // denied
  };
  await review();
  t.same(count(), [2, 2]);
  now += 29_999;
  await review();
  t.same(count(), [2, 2], 'everything is still cached just before 30s');
  now += 1;
  await review();
  t.same(count(), [2, 3], 'at 30s only the denial is asked again');
  now += 120_000 - 30_000;
  await review();
  t.same(count(), [4, 4], 'at 2m both token answers are asked again (and the denial, 90s old)');
  now += 300_000 - 120_000;
  await review();
  t.same(count(), [6, 6], 'at 5m the allowed access is asked again');
});

t.test('the cache ttls can be set; a failed review is never kept', async (t) => {
  let now = 0;
  const { api, reviews } = await setup(t, { tokenTtlMs: 1000, allowedTtlMs: 2000, deniedTtlMs: 500, now: () => now });
  await reviews.tokenReview('alice-token');
  now += 999;
  await reviews.tokenReview('alice-token');
  t.equal(api.requestCount(TOKEN_REVIEWS), 1);
  now += 1;
  await reviews.tokenReview('alice-token');
  t.equal(api.requestCount(TOKEN_REVIEWS), 2);
  api.stub(TOKEN_REVIEWS, { status: 500, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'etcd is sad', code: 500 } });
  now += 1000;
  await t.rejects(reviews.tokenReview('alice-token'), { code: 500 });
  api.stub(TOKEN_REVIEWS, undefined);
  t.equal((await reviews.tokenReview('alice-token')).authenticated, true, 'the failure was not kept');
  t.equal(api.requestCount(TOKEN_REVIEWS), 4);
  const access = { user: 'alice', namespace: 'default', name: 'm1', verb: 'create' };
  api.stub(ACCESS_REVIEWS, { status: 503, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'not now', code: 503 } });
  await t.rejects(reviews.subjectAccessReview(access), { code: 503 });
  api.stub(ACCESS_REVIEWS, undefined);
  t.same(await reviews.subjectAccessReview(access), { allowed: true }, 'nor a failed access review');
  t.equal(api.requestCount(ACCESS_REVIEWS), 2);
});

t.test('the caches are bounded: past maxEntries the oldest answer is asked again', async (t) => {
  const { api, reviews } = await setup(t, { maxEntries: 2 });
  for (const token of ['alice-token', 'b', 'c']) await reviews.tokenReview(token);
  await reviews.tokenReview('c');
  await reviews.tokenReview('b');
  t.equal(api.requestCount(TOKEN_REVIEWS), 3, 'the two newest are kept');
  await reviews.tokenReview('alice-token');
  t.equal(api.requestCount(TOKEN_REVIEWS), 4, 'the oldest was dropped');
});

t.test('with ttls of 0 nothing is cached', async (t) => {
  const { api, reviews } = await setup(t, { tokenTtlMs: 0, allowedTtlMs: 0, deniedTtlMs: 0 });
  await reviews.tokenReview('alice-token');
  await reviews.tokenReview('alice-token');
  t.equal(api.requestCount(TOKEN_REVIEWS), 2);
});

t.test('an API error is thrown and not cached, and the token is not in its message', async (t) => {
  const { api, reviews } = await setup(t);
  api.setCallerToken('rotated');
  const err = await rejection(reviews.tokenReview('alice-token'));
  t.match(err, { code: 401, reason: 'Unauthorized' });
  t.notMatch(err.message, 'alice-token');
  api.setCallerToken(undefined);
  t.equal((await reviews.tokenReview('alice-token')).authenticated, true);
  t.equal(api.requestCount(TOKEN_REVIEWS), 2);
});

t.test('SubjectAccessReview asks about exec on the machine and reports allow and deny', async (t) => {
  const { seen, reviews } = await setup(t);
  const request = {
    user: 'alice',
    uid: 'u-1',
    groups: ['devs'],
    extra: { scopes: ['console'] },
    namespace: 'default',
    verb: 'create',
  };
  t.same(await reviews.subjectAccessReview({ ...request, name: 'm1' }), { allowed: true });
  t.same(await reviews.subjectAccessReview({ ...request, name: 'm2' }), {
    allowed: false,
    denied: true,
    reason: 'RBAC: no rule allows exec on this machine',
  });
  t.same(seen[0], {
    resourceAttributes: {
      group: 'compute.ironcore.dev',
      resource: 'machines',
      subresource: 'exec',
      namespace: 'default',
      name: 'm1',
      verb: 'create',
    },
    user: 'alice',
    groups: ['devs'],
    uid: 'u-1',
    extra: { scopes: ['console'] },
  });
});

t.test('SubjectAccessReview results are cached and coalesced per distinct request', async (t) => {
  const { api, reviews } = await setup(t);
  const request = { user: 'alice', groups: ['a', 'b'], namespace: 'default', name: 'm1', verb: 'get' };
  await Promise.all(Array.from({ length: 10 }, () => reviews.subjectAccessReview(request)));
  await reviews.subjectAccessReview({ ...request, groups: ['b', 'a'] });
  t.equal(api.requestCount(ACCESS_REVIEWS), 1, 'group order does not matter');
  await reviews.subjectAccessReview({ ...request, verb: 'create' });
  await reviews.subjectAccessReview({ ...request, name: 'm2' });
  await reviews.subjectAccessReview({ ...request, name: 'm2' });
  t.equal(api.requestCount(ACCESS_REVIEWS), 3);
});

t.test('SubjectAccessReview asks about another resource when told: cluster-scoped, cached apart from machines/exec', async (t) => {
  const { api, seen, reviews } = await setup(t);
  const proxy = { group: 'compute.ironcore.dev', version: 'v1alpha1', resource: 'machinepools', subresource: 'proxy' };
  const request = { user: 'alice', groups: ['devs'], name: 'm1', verb: 'get' };
  t.same(await reviews.subjectAccessReview({ ...request, resource: proxy }), { allowed: true });
  t.same(seen[0], { resourceAttributes: { ...proxy, name: 'm1', verb: 'get' }, user: 'alice', groups: ['devs'] });
  await reviews.subjectAccessReview({ ...request, resource: proxy, namespace: '' });
  t.equal(api.requestCount(ACCESS_REVIEWS), 1, "namespace '' is the cluster scope, as absent");
  await reviews.subjectAccessReview({ ...request, namespace: 'default' });
  await reviews.subjectAccessReview({ ...request, resource: { ...proxy, subresource: 'exec' } });
  t.equal(api.requestCount(ACCESS_REVIEWS), 3, 'another resource is another review');
  t.match(seen[1], { resourceAttributes: { resource: 'machines', subresource: 'exec', namespace: 'default' } });
});
