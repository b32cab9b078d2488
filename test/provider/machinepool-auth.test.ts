// The provider authorizing its per-machine endpoint's callers as IronCore's machinepoollet does:
// a verified client certificate's user or a TokenReview's, then a SubjectAccessReview on
// machinepools/proxy named after the pool (get for GET, create for POST), over real TLS with
// the kube fixture answering the reviews; websocket and SPDY clients; the link keeps demanding
// a certificate.
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import t, { type Test } from 'tap';
import { LinkHandshakeError, connectLink } from '../../lib/link/index.js';
import { encodeBearerProtocol, providerExecPath, StatusError } from '../../lib/protocol/index.js';
import { connectSpdyChannelPort } from '../../lib/spdy/index.js';
import { issueClientCert, makeCA } from '../fixtures/certs.js';
import type { AccessReviewSpec } from '../fixtures/kube-api.js';
import { startSecureApi } from '../kube/fixtures/setup.js';
import { ExecClient, ExecRefused } from './fixtures/exec-client.js';
import { startProvider, type Harness } from './fixtures/provider.js';

const TOKEN_REVIEWS = '/apis/authentication.k8s.io/v1/tokenreviews';
const ACCESS_REVIEWS = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
const POOL = 'pool-a';
const USERS = {
  'alice-token': { username: 'alice', uid: 'u-alice', groups: ['devs', 'system:authenticated'] },
  'bob-token': { username: 'bob', uid: 'u-bob', groups: ['system:authenticated'] },
  'viewer-token': { username: 'viewer', uid: 'u-viewer' },
};
/** Who may do what on machinepools/proxy of POOL: the harness's certificate (CN=gateway), alice both; viewer only get. */
const RULES: Record<string, string[]> = { gateway: ['get', 'create'], alice: ['get', 'create'], viewer: ['get'] };

const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };

async function setup(t: Test): Promise<{ provider: Harness; seen: AccessReviewSpec[]; api: Awaited<ReturnType<typeof startSecureApi>>['api']; tokenOnly: ConnectionOptions }> {
  const seen: AccessReviewSpec[] = [];
  const { api, config } = await startSecureApi(t, {
    tokens: USERS,
    authorize: (spec) => {
      seen.push(spec);
      const { group, resource, subresource, name, verb } = spec.resourceAttributes ?? {};
      const onPool = group === 'compute.ironcore.dev' && resource === 'machinepools' && subresource === 'proxy' && name === POOL;
      return onPool && (RULES[spec.user ?? ''] ?? []).includes(verb ?? '');
    },
  });
  const provider = await startProvider(t, { authorization: { machinePool: POOL, kube: config } });
  return { provider, seen, api, tokenOnly: { ca: provider.clientTls.ca } };
}

async function refusal(attempt: Promise<unknown>): Promise<{ code: number; body: unknown }> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ExecRefused)) throw new Error(`expected a refused upgrade, got ${String(error)}`);
  return { code: error.statusCode, body: JSON.parse(error.body) };
}

function spdy(provider: Harness, method: 'GET' | 'POST', tls: ConnectionOptions, headers: Record<string, string> = {}) {
  return connectSpdyChannelPort({
    url: `https://127.0.0.1:${provider.address.port}${providerExecPath('default', 'echo-1')}?stdin=true&stdout=true`,
    method,
    tls,
    headers,
    stdin: true,
    stdout: true,
    stderr: false,
    tty: false,
    timeoutMs: 10_000,
  });
}

t.test('a certificate user: CN the user, O the groups, reviewed on machinepools/proxy of the pool', async (t) => {
  const { provider, seen, api } = await setup(t);
  const client = await ExecClient.connect(provider, 'echo-1', { query: 'stdin=true' });
  client.send(0, 'hi\n');
  await client.waitOutput('hi\n');
  t.same(seen, [
    {
      resourceAttributes: { group: 'compute.ironcore.dev', version: 'v1alpha1', resource: 'machinepools', subresource: 'proxy', name: POOL, verb: 'get' },
      user: 'gateway',
      groups: ['system:authenticated'],
    },
  ]);
  t.same(provider.backend.requests[0]?.user, { username: 'gateway', groups: ['system:authenticated'] });
  t.equal(api.requestCount(TOKEN_REVIEWS), 0, 'a certificate needs no TokenReview');
  client.ws.close();
});

t.test('a certificate user the review denies gets kube\'s 403, and no console is opened', async (t) => {
  const { provider, seen } = await setup(t);
  const mallory = await issueClientCert(provider.ca, { cn: 'mallory', org: ['ops', 'audit'] });
  const { code, body } = await refusal(ExecClient.connect(provider, 'echo-1', { tls: { ca: provider.clientTls.ca, key: mallory.key, cert: mallory.cert } }));
  t.equal(code, 403);
  t.same(body, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `machinepools.compute.ironcore.dev "${POOL}" is forbidden: User "mallory" cannot get resource "machinepools/proxy" in API group "compute.ironcore.dev" at the cluster scope`,
    reason: 'Forbidden',
    details: { name: POOL, group: 'compute.ironcore.dev', kind: 'machinepools' },
    code: 403,
  });
  t.same(seen[0]?.groups, ['ops', 'audit', 'system:authenticated']);
  t.equal(provider.backend.opened, 0);
});

t.test('a token user without a certificate: the Authorization header, and the websocket bearer subprotocol', async (t) => {
  const { provider, seen, tokenOnly } = await setup(t);
  const byHeader = await ExecClient.connect(provider, 'echo-1', { query: 'stdin=true', tls: tokenOnly, headers: { Authorization: 'Bearer alice-token' } });
  byHeader.send(0, 'from alice\n');
  await byHeader.waitOutput('from alice\n');
  t.same(provider.backend.requests[0]?.user, USERS['alice-token']);
  t.match(seen[0], { user: 'alice', uid: 'u-alice', groups: ['devs', 'system:authenticated'], resourceAttributes: { verb: 'get', name: POOL } });
  byHeader.ws.close();

  const bySubprotocol = await ExecClient.connect(provider, 'echo-1', { tls: tokenOnly, protocols: ['v4.channel.k8s.io', encodeBearerProtocol('viewer-token')] });
  t.equal(bySubprotocol.ws.protocol, 'v4.channel.k8s.io', 'the bearer entry is never echoed');
  t.same(seen[1]?.groups, ['system:authenticated'], 'a user without groups is still in system:authenticated');
  bySubprotocol.ws.close();
});

t.test('a token user the review denies gets 403 naming them', async (t) => {
  const { provider, tokenOnly } = await setup(t);
  const { code, body } = await refusal(ExecClient.connect(provider, 'echo-1', { tls: tokenOnly, headers: { Authorization: 'Bearer bob-token' } }));
  t.equal(code, 403);
  t.match(body, { reason: 'Forbidden', message: /User "bob" cannot get resource "machinepools\/proxy"/ });
  t.equal(provider.backend.opened, 0);
});

t.test('no credentials, an unknown token, or a bad bearer subprotocol: a bare 401', async (t) => {
  const { provider, api, tokenOnly } = await setup(t);
  for (const options of [
    { tls: tokenOnly },
    { tls: tokenOnly, headers: { Authorization: 'Bearer forged' } },
    { tls: tokenOnly, protocols: ['v4.channel.k8s.io', 'base64url.bearer.authorization.k8s.io.!!'] },
  ]) {
    const { code, body } = await refusal(ExecClient.connect(provider, 'echo-1', options));
    t.equal(code, 401);
    t.same(body, UNAUTHORIZED);
  }
  t.equal(api.requestCount(TOKEN_REVIEWS), 1, 'only the well-formed token was reviewed');
  t.equal(api.requestCount(ACCESS_REVIEWS), 0);
  t.equal(provider.backend.opened, 0);
});

t.test('a failing SubjectAccessReview is a bare 500, a failing TokenReview a 401; neither is kept', async (t) => {
  const { provider, api, tokenOnly } = await setup(t);
  api.stub(ACCESS_REVIEWS, { status: 500, body: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'etcd is gone', code: 500 } });
  const failed = await refusal(ExecClient.connect(provider, 'echo-1'));
  t.equal(failed.code, 500);
  t.same(failed.body, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Internal error occurred: the request could not be authorized', reason: 'InternalError', code: 500 });
  api.stub(TOKEN_REVIEWS, { status: 503, body: 'unavailable' });
  t.same((await refusal(ExecClient.connect(provider, 'echo-1', { tls: tokenOnly, headers: { Authorization: 'Bearer alice-token' } }))).body, UNAUTHORIZED);
  api.stub(ACCESS_REVIEWS, undefined);
  api.stub(TOKEN_REVIEWS, undefined);
  const client = await ExecClient.connect(provider, 'echo-1', { tls: tokenOnly, headers: { Authorization: 'Bearer alice-token' } });
  client.ws.close();
  t.pass('the API back, the same caller is served');
});

t.test('SPDY: POST asks for create, GET for get; a refusal is the same Status', async (t) => {
  const { provider, seen, tokenOnly } = await setup(t);
  const viewer = { Authorization: 'Bearer viewer-token' };
  const denied = await spdy(provider, 'POST', tokenOnly, viewer).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(denied, StatusError);
  t.match(denied, { code: 403, message: /User "viewer" cannot create resource "machinepools\/proxy"/ });
  const port = await spdy(provider, 'GET', tokenOnly, viewer);
  t.teardown(() => port.close());
  t.same(
    seen.map((spec) => spec.resourceAttributes?.verb),
    ['create', 'get'],
  );
  const byCertificate = await spdy(provider, 'POST', provider.clientTls);
  byCertificate.close();
  t.equal(seen[2]?.resourceAttributes?.verb, 'create');
  t.equal(seen[2]?.user, 'gateway');
});

t.test('a certificate that does not verify ends the connection, even with a good token', async (t) => {
  const { provider } = await setup(t);
  const stranger = await issueClientCert(await makeCA('some other CA'), { cn: 'alice' });
  const socket = connectTls({ host: '127.0.0.1', port: provider.address.port, ca: provider.clientTls.ca, key: stranger.key, cert: stranger.cert });
  socket.on('error', () => {});
  socket.once('secureConnect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: p\r\nAuthorization: Bearer alice-token\r\n\r\n'));
  const answer: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => answer.push(chunk));
  await new Promise((resolve) => socket.once('close', resolve));
  t.equal(Buffer.concat(answer).length, 0, 'no HTTP answer');
  t.equal(provider.backend.opened, 0);
});

t.test('the link still demands a verified certificate: without one it is a 401', async (t) => {
  const { provider, tokenOnly } = await setup(t);
  const error = await connectLink({ host: '127.0.0.1', port: provider.address.port, tls: tokenOnly, timeoutMs: 5000 }).catch((e: unknown) => e);
  t.type(error, LinkHandshakeError);
  t.match(error, { statusCode: 401, status: { reason: 'Unauthorized' } });
  const link = await provider.connect();
  const stream = link.open({ machine: 'echo-1' });
  await stream.waitOpened();
});
