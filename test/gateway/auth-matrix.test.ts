// The gateway's answers when its own reviews go wrong, against the kube API fixture with a
// fault on one endpoint at a time: any TokenReview failure is kube-apiserver's bare 401, any
// SubjectAccessReview failure its bare 500, and no body names the gateway's identity or the
// reviews it makes. Denials and lookup errors keep their meaningful codes.
import t, { type Test } from 'tap';
import { ALICE, BOB, connect, refusal, SessionReader, startStack, type Stack } from '../fixtures/stack.js';
import type { StubResponse } from '../fixtures/kube-api.js';

const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
const GATEWAY_USER = 'system:serviceaccount:ironcore-console:ironcore-console-gateway';
/** What no caller may read: who the gateway is, and what it asks the API. */
const SECRETS = [GATEWAY_USER, 'gateway-sa-token', 'tokenreviews', 'subjectaccessreviews', 'TokenReview', 'SubjectAccessReview', 'authentication.k8s.io', 'authorization.k8s.io'];

let stack: Stack;
t.before(async () => {
  // No review is cached, so every cell asks the API; a slow review gives up after 300 ms.
  stack = await startStack({ gateway: { reviews: { tokenTtlMs: 0, allowedTtlMs: 0, deniedTtlMs: 0, timeoutMs: 300 } } });
});
t.teardown(() => stack.close());

/** The API's own error for the gateway's review, as kube-apiserver words it. */
function apiError(code: number, path: string): StubResponse {
  const [resource, group] = path.endsWith('tokenreviews') ? ['tokenreviews', 'authentication.k8s.io']
    : path.endsWith('subjectaccessreviews') ? ['subjectaccessreviews', 'authorization.k8s.io'] : ['machines', 'compute.ironcore.dev'];
  const message = code === 403
    ? `${resource}.${group} is forbidden: User "${GATEWAY_USER}" cannot create resource "${resource}" in API group "${group}" at the cluster scope`
    : `${resource}.${group} failed with ${code} for ${GATEWAY_USER}`;
  return { status: code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, code } };
}

type Fault = [name: string, apply: (path: string) => void, clear: (path: string) => void];
const FAULTS: Fault[] = [
  ...[403, 400, 404, 409, 422, 429, 500, 501, 503].map((code): Fault => [
    code === 403 ? 'refused (403 for the gateway)' : `failing (${code})`,
    (path) => stack.kube.stub(path, apiError(code, path)),
    (path) => stack.kube.stub(path, undefined),
  ]),
  ['answering HTML', (path) => stack.kube.stub(path, { status: 200, body: '<html>proxy error</html>', contentType: 'text/html' }), (path) => stack.kube.stub(path, undefined)],
  ['slow (past the review deadline)', (path) => stack.kube.setLatency(1000, path), (path) => stack.kube.setLatency(0, path)],
];

async function refused(t: Test, name: string, machine: string, token: string | undefined, code: number, message: string | RegExp): Promise<void> {
  const logsBefore = stack.logs.length;
  const { code: got, status } = await refusal(connect(stack, 'default', machine, token === undefined ? {} : { token }));
  t.equal(got, code, `${name}: HTTP ${code}`);
  t.equal(status.code, code, `${name}: Status code ${code}`);
  if (typeof message === 'string') t.equal(status.message, message, `${name}: message`);
  else t.match(status.message, message, `${name}: message`);
  const body = JSON.stringify(status);
  for (const secret of SECRETS) t.notOk(body.includes(secret), `${name}: the body does not say ${JSON.stringify(secret)}`);
  if (code === 401 || code === 500) {
    const line = stack.logs.slice(logsBefore).map((l) => JSON.parse(l) as { msg: string; cause?: string }).find((l) => l.msg === 'console open refused');
    t.ok(line?.cause, `${name}: the gateway's log says why (${line?.cause})`);
  }
}

t.test('a TokenReview that fails in any way is 401 Unauthorized, nothing more', async (t) => {
  for (const [name, apply, clear] of FAULTS) {
    apply(TOKEN_REVIEWS);
    await refused(t, `TokenReview ${name}`, 'm1', ALICE, 401, 'Unauthorized');
    clear(TOKEN_REVIEWS);
  }
});

t.test('a SubjectAccessReview that fails in any way is 500 InternalError, nothing more', async (t) => {
  for (const [name, apply, clear] of FAULTS) {
    apply(ACCESS_REVIEWS);
    await refused(t, `SubjectAccessReview ${name}`, 'm1', ALICE, 500, 'Internal error occurred: the request could not be authorized');
    clear(ACCESS_REVIEWS);
  }
});

t.test('the API down is 401: authentication comes first and cannot succeed', async (t) => {
  stack.kube.setDown(true);
  await refused(t, 'API down', 'm1', ALICE, 401, 'Unauthorized');
  stack.kube.setDown(false);
});

t.test('without faults: 401 without or with a bad token, 403 in kube\'s words, lookup codes kept, and a session', async (t) => {
  await refused(t, 'no token', 'm1', undefined, 401, 'Unauthorized');
  await refused(t, 'an unknown token', 'm1', 'forged', 401, 'Unauthorized');
  await refused(t, 'denied', 'm1', BOB,
    403, 'machines.compute.ironcore.dev "m1" is forbidden: User "bob" cannot create resource "machines/exec" in API group "compute.ironcore.dev" in the namespace "default"');
  await refused(t, 'machine not found', 'ghost', ALICE, 404, /machines.compute.ironcore.dev "ghost" not found/);
  await refused(t, 'not scheduled', 'unscheduled', ALICE, 400, /machine unscheduled has no machine pool assigned/);
  // The lookup runs as the gateway: the API's words about it stay in the gateway's log. A
  // machine the watch does not have is fetched by GET, which these stubs answer.
  const unwatched = '/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/unwatched';
  for (const [api, code, message] of [[503, 503, /the Kubernetes API is unavailable/], [403, 500, /Internal error occurred: the machine could not be looked up/], [500, 500, /the Kubernetes API answered 500/]] as const) {
    stack.kube.stub(unwatched, apiError(api, unwatched));
    await refused(t, `lookup answered ${api}`, 'unwatched', ALICE, code, message);
  }
  stack.kube.stub(unwatched, undefined);
  const session = new SessionReader(connect(stack, 'default', 'm1', { token: ALICE }));
  await session.opened();
  session.send(0, 'echo matrix-$((6*7))\n');
  await session.waitFor('matrix-42');
  session.ws.close();
});
