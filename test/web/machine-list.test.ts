// The picker's machine list (lib/gateway/machine-list.ts) over real HTTP against the kube API
// fixture: each caller is authorized by their own SubjectAccessReview `list machines` in the
// namespace, and every failure is a Kubernetes Status with its code.
import t from 'tap';
import pino from 'pino';
import { createKubeGateway, listenGateway } from '../../lib/gateway/index.js';
import { machineObject, startKubeApi } from '../../lib/kube/fixture/index.js';
import type { AccessReviewSpec } from '../../lib/kube/fixture/reviews.js';

const reviews: AccessReviewSpec[] = [];
let base: string;

t.before(async () => {
  const running = { ...machineObject('default', 'b-2', 'pool-a'), status: { state: 'Running' } };
  const kube = await startKubeApi({
    callerToken: 'gateway-token',
    objects: [running, machineObject('default', 'a-1'), machineObject('other', 'c-3', 'pool-a')],
    tokens: { carol: { username: 'carol', groups: ['system:authenticated'] }, dave: { username: 'dave', groups: ['system:authenticated'] } },
    // carol may list machines in default (and nothing else); dave may do nothing.
    authorize: (spec) => {
      reviews.push(spec);
      const a = spec.resourceAttributes;
      return spec.user === 'carol' && a?.namespace === 'default' && a.verb === 'list' && a.resource === 'machines' && a.subresource === undefined;
    },
  });
  const kubeGateway = createKubeGateway({ kube: { server: kube.url, token: () => 'gateway-token' }, providerTls: false, auth: 'kube', logger: pino({ level: 'silent' }) });
  const server = await listenGateway(kubeGateway.gateway, { host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${server.port}/apis/console.ironcore.dev/v1/namespaces`;
  t.teardown(async () => {
    await server.shutdown(0);
    await kubeGateway.close();
    await kube.close();
  });
});

async function list(namespace: string, token?: string): Promise<{ code: number; body: { items?: unknown[]; message?: string; kind?: string } }> {
  const response = await fetch(`${base}/${namespace}/machines`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  t.equal(response.headers.get('cache-control'), 'no-store');
  return { code: response.status, body: (await response.json()) as never };
}

t.test('an allowed caller gets the namespace\'s machines, sorted, with pool and state', async (t) => {
  reviews.length = 0;
  const { code, body } = await list('default', 'carol');
  t.equal(code, 200);
  t.same(body.items, [{ name: 'a-1', pool: '', state: '' }, { name: 'b-2', pool: 'pool-a', state: 'Running' }]);
  t.match(reviews, [{ user: 'carol', resourceAttributes: { group: 'compute.ironcore.dev', resource: 'machines', namespace: 'default', verb: 'list' } }]);
  t.notOk('subresource' in reviews[0]!.resourceAttributes!, 'the review is about the machines themselves, not exec');
  t.notOk('name' in reviews[0]!.resourceAttributes!, 'and about no one machine');
});

t.test('refusals are Statuses: 401 without a valid token, 403 without list, 400 for a bad namespace', async (t) => {
  const [none, bad, dave, elsewhere, invalid] = await Promise.all([
    list('default'), list('default', 'nobody'), list('default', 'dave'), list('other', 'carol'), list('Not_A_Label', 'carol'),
  ]);
  t.match(none, { code: 401, body: { kind: 'Status', message: 'Unauthorized' } }, 'a bare 401, as kube-apiserver says it');
  t.match(bad, { code: 401, body: { kind: 'Status', message: 'Unauthorized' } });
  t.match(dave, { code: 403, body: { kind: 'Status', message: /User "dave" cannot list resource "machines" in API group "compute.ironcore.dev" in the namespace "default"/ } });
  t.match(elsewhere, { code: 403, body: { message: /namespace "other"/ } });
  t.match(invalid, { code: 400, body: { message: /invalid namespace "Not_A_Label"/ } });
});
