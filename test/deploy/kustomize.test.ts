// The manifests under deploy/, rendered with `kubectl kustomize` as an operator would, held to
// what the code needs: the gateway's ClusterRole against the API calls a running gateway
// makes, the user roles against what it asks SubjectAccessReviews about, the Deployment's
// args against the gateway command's parser, the provider's config against its parser.
// Each check is also run on a broken copy, to show it can fail.
import t, { type Test } from 'tap';
import { gatewayDeploymentProblems, deployedGateway } from './gateway-checks.js';
import { observeGatewayApiUse, type GatewayApiUse } from './gateway-api-calls.js';
import type { Workload } from './pod-checks.js';
import { providerDaemonSetProblems, type ConfigMapObject } from './provider-checks.js';
import { render, renderUnavailable, type KubeObject, type Rendered } from './render.js';
import { attribute, grantProblems, type PolicyRule } from './request-attributes.js';

const NAMESPACE = 'ironcore-console';
const GATEWAY = 'ironcore-console-gateway';
const DIRS = ['', 'gateway', 'rbac-users', 'provider', 'examples/ingress'] as const;

// Without kubectl every test is skipped, each saying why.
const unavailable = renderUnavailable();
const test = (name: string, body: (t: Test) => Promise<void>) => t.test(name, { skip: unavailable ?? false }, body);

const rendered = {} as Record<(typeof DIRS)[number], Rendered>;
let observed: GatewayApiUse;
t.before(async () => {
  if (unavailable) return;
  for (const dir of DIRS) rendered[dir] = await render(dir);
  observed = await observeGatewayApiUse();
});

type Rules = KubeObject & { rules: PolicyRule[] };
const gatewayDeployment = () => rendered.gateway.get<Workload>('Deployment', GATEWAY);
const gatewayContainer = () => gatewayDeployment().spec.template.spec.containers[0]!;

test('every kustomization renders; deploy/ puts the gateway in its restricted namespace; no APIService', async (t) => {
  for (const dir of DIRS) {
    t.ok(rendered[dir].objects.length > 0, `deploy/${dir} renders objects`);
    t.same(rendered[dir].all('APIService'), [], `deploy/${dir}: no APIService (compute.ironcore.dev/v1alpha1 is IronCore's)`);
  }
  const all = rendered[''];
  t.equal(all.get('Namespace', NAMESPACE).metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
  const namespaced = all.objects.filter((o) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind));
  t.same(namespaced.filter((o) => o.metadata.namespace !== NAMESPACE).map((o) => `${o.kind}/${o.metadata.name}`), [], `all in ${NAMESPACE}`);
  t.same(all.all('ClusterRole').map((o) => o.metadata.name).sort(), [GATEWAY, 'ironcore-console-user', 'ironcore-console-user-legacy-get']);
});

test('a running gateway went through every path that calls the API', async (t) => {
  const { 'provider unreachable': unreachable, ...others } = observed.outcomes;
  t.same(others, {
    session: 'open',
    'legacy get verb': 'open',
    forbidden: 403,
    'bad token': 401,
    'missing machine': 404,
    'pool not cached': 404,
  });
  t.ok([502, 503, 504].includes(unreachable as number), `provider unreachable: ${unreachable} (looked up again, then refused)`);
});

test("the gateway's ClusterRole grants exactly the API calls the gateway makes", async (t) => {
  const role = rendered.gateway.get<Rules>('ClusterRole', GATEWAY);
  t.same(grantProblems(role.rules, observed.apiCalls), [], `calls seen: ${[...observed.apiCalls].sort().join('; ')}`);

  // The comparison fails both ways.
  const withExtra = [...role.rules, { apiGroups: ['compute.ironcore.dev'], resources: ['machines'], verbs: ['update'] }];
  t.same(grantProblems(withExtra, observed.apiCalls), ['not needed: compute.ironcore.dev machines update']);
  const missingWatch = role.rules.map((rule) => ({ ...rule, verbs: rule.verbs?.filter((verb) => verb !== 'watch') }));
  t.same(grantProblems(missingWatch, observed.apiCalls), ['missing: compute.ironcore.dev machinepools watch', 'missing: compute.ironcore.dev machines watch']);
  t.match(grantProblems([{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }], observed.apiCalls).join('\n'), /rule 0 uses a wildcard/);
});

test("the ClusterRoleBinding gives that role to the Deployment's service account", async (t) => {
  const binding = rendered[''].get<KubeObject & { roleRef: { kind: string; name: string }; subjects: { kind: string; name: string; namespace?: string }[] }>(
    'ClusterRoleBinding', GATEWAY);
  t.same(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: GATEWAY });
  const account = rendered[''].get<Workload>('Deployment', GATEWAY).spec.template.spec.serviceAccountName;
  t.same(binding.subjects, [{ kind: 'ServiceAccount', name: account, namespace: NAMESPACE }]);
  t.ok(rendered[''].get('ServiceAccount', account), 'the service account exists');
});

test('gateway Deployment: replicas, hardening, workers from the CPU limit, probes, shutdown, spread', async (t) => {
  t.same(gatewayDeploymentProblems(gatewayDeployment()), []);
  t.same(deployedGateway(gatewayContainer()), { port: 8443, shutdownGraceMs: 25_000 }, 'listens on 8443 with a 25s grace');
  t.equal(gatewayDeployment().spec.template.spec.terminationGracePeriodSeconds, 40);
});

test('the Deployment checks catch what they guard', async (t) => {
  const cases: [string, (d: Workload) => void, RegExp][] = [
    ['one replica', (d) => (d.spec.replicas = 1), /replicas is 1/],
    ['root allowed', (d) => (delete d.spec.template.spec.securityContext!.runAsNonRoot, delete d.spec.template.spec.containers[0]!.securityContext!.runAsNonRoot), /runAsNonRoot/],
    ['writable root', (d) => (d.spec.template.spec.containers[0]!.securityContext!.readOnlyRootFilesystem = false), /readOnlyRootFilesystem/],
    ['escalation', (d) => delete d.spec.template.spec.containers[0]!.securityContext!.allowPrivilegeEscalation, /allowPrivilegeEscalation/],
    ['capabilities kept', (d) => (d.spec.template.spec.containers[0]!.securityContext!.capabilities = {}), /drop ALL/],
    ['no seccomp', (d) => delete d.spec.template.spec.securityContext!.seccompProfile, /seccompProfile/],
    ['no CPU limit', (d) => delete d.spec.template.spec.containers[0]!.resources!.limits!.cpu, /no cpu in resources.limits/],
    ['fixed workers', (d) => replaceArg(d, /^--workers/, '--workers=4'), /--workers is not set from an environment variable/],
    ['workers from requests', (d) => (d.spec.template.spec.containers[0]!.env![0]!.valueFrom!.resourceFieldRef!.resource = 'requests.cpu'), /not the container's limits.cpu/],
    ['readiness over HTTP', (d) => (d.spec.template.spec.containers[0]!.readinessProbe!.httpGet!.scheme = 'HTTP'), /readinessProbe scheme is HTTP/],
    ['liveness on /readyz', (d) => (d.spec.template.spec.containers[0]!.livenessProbe!.httpGet!.path = '/readyz'), /livenessProbe checks \/readyz/],
    ['probe on another port', (d) => replaceArg(d, /^--listen/, '--listen=:9443'), /not the port the gateway listens on \(9443\)/],
    ['longer shutdown grace', (d) => replaceArg(d, /^--shutdown-grace/, '--shutdown-grace=40s'), /terminationGracePeriodSeconds 40 < preStop 5s \+ shutdown grace 40s \+ 5s for the last Statuses/],
    ['no preStop', (d) => delete d.spec.template.spec.containers[0]!.lifecycle, /no preStop sleep/],
    ['unknown flag', (d) => d.spec.template.spec.containers[0]!.args!.push('--no-such-flag'), /refuses the args/],
    ['no spread', (d) => delete d.spec.template.spec.topologySpreadConstraints, /no topology spread/],
  ];
  for (const [name, mutate, problem] of cases) {
    const broken = structuredClone(gatewayDeployment());
    mutate(broken);
    t.match(gatewayDeploymentProblems(broken).join('\n'), problem, name);
  }
});

test('Service and PodDisruptionBudget select the gateway pods', async (t) => {
  const labels = gatewayDeployment().spec.template.metadata.labels;
  const service = rendered.gateway.get<KubeObject & { spec: { selector: Record<string, string>; ports: { targetPort: string }[] } }>('Service', GATEWAY);
  t.same(service.spec.selector, labels);
  t.ok(gatewayContainer().ports?.some((p) => p.name === service.spec.ports[0]!.targetPort), 'targetPort names the container port');
  const pdb = rendered.gateway.get<KubeObject & { spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } } }>('PodDisruptionBudget', GATEWAY);
  t.equal(pdb.spec.minAvailable, 1);
  t.same(pdb.spec.selector.matchLabels, labels);
});

test('user roles grant what the gateway asks SubjectAccessReviews about; only the current one aggregates', async (t) => {
  const asked = (verb: string) => new Set([...observed.accessChecks].filter((a) => a.endsWith(` ${verb}`)));
  t.same([...observed.accessChecks].sort(), [attribute('compute.ironcore.dev', 'machines/exec', 'create'), attribute('compute.ironcore.dev', 'machines/exec', 'get')]);
  const user = rendered['rbac-users'].get<Rules>('ClusterRole', 'ironcore-console-user');
  t.same(grantProblems(user.rules, asked('create')), []);
  t.equal(user.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-edit'], 'true');
  t.equal(user.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-admin'], 'true');
  t.notOk(user.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view'], 'viewers get no console');
  const legacy = rendered['rbac-users'].get<Rules>('ClusterRole', 'ironcore-console-user-legacy-get');
  t.same(grantProblems(legacy.rules, asked('get')), []);
  t.same(Object.keys(legacy.metadata.labels ?? {}).filter((label) => label.includes('aggregate')), [], 'legacy role is not aggregated');
});

const providerDaemonSet = () => rendered.provider.get<Workload>('DaemonSet', 'ironcore-console-provider');
const providerConfigMaps = () => rendered.provider.all('ConfigMap') as unknown as ConfigMapObject[];

test('provider DaemonSet: host network, its config and mTLS files, only the socket directory, read-only', async (t) => {
  t.same(providerDaemonSetProblems(providerDaemonSet(), providerConfigMaps()), []);
});

test('the provider checks catch what they guard', async (t) => {
  const configMap = (mutate: (config: string) => string) => {
    const maps = structuredClone(providerConfigMaps());
    maps[0]!.data!['provider.yaml'] = mutate(maps[0]!.data!['provider.yaml']!);
    return maps;
  };
  const consoles = (d: Workload) => d.spec.template.spec.containers[0]!.volumeMounts!.find((m) => m.name === 'consoles')!;
  const cases: [string, (d: Workload) => void, ConfigMapObject[], RegExp][] = [
    ['pod network', (d) => delete d.spec.template.spec.hostNetwork, providerConfigMaps(), /not on the host network/],
    ['every node', (d) => delete d.spec.template.spec.nodeSelector, providerConfigMaps(), /no nodeSelector/],
    ['socket dir writable', (d) => (consoles(d).readOnly = false), providerConfigMaps(), /mounted read-write/],
    ['whole /var/run mounted', (d) => (consoles(d).mountPath = '/var/run'), providerConfigMaps(), /not a mount of its own/],
    ['another host path', (d) => d.spec.template.spec.volumes!.push({ name: 'root', hostPath: { path: '/' } }), providerConfigMaps(), /another host path is mounted: \//],
    ['no socket group', (d) => delete d.spec.template.spec.securityContext!.supplementalGroups, providerConfigMaps(), /no supplementalGroups/],
    ['token mounted', (d) => delete d.spec.template.spec.automountServiceAccountToken, providerConfigMaps(), /service account token is mounted/],
    ['socket elsewhere', () => {}, configMap((c) => c.replace('/var/run/libvirt/consoles/', '/run/other/')), /\/run\/other is not a mount of its own/],
    ['other port', () => {}, configMap((c) => c.replace('":12319"', '":9000"')), /listens on 9000/],
    ['CA file not mounted', () => {}, configMap((c) => c.replace('/etc/ironcore-console/tls/ca.crt', '/etc/ca.crt')), /\/etc\/ca.crt does not come from a mounted Secret/],
    ['config typo', () => {}, configMap((c) => c.replace('scrollbackBytes', 'scrolbackBytes')), /unknown key scrolbackBytes/],
  ];
  for (const [name, mutate, maps, problem] of cases) {
    const broken = structuredClone(providerDaemonSet());
    mutate(broken);
    t.match(providerDaemonSetProblems(broken, maps).join('\n'), problem, name);
  }
});

test('example Ingress: HTTPS to the gateway Service, websocket-friendly timeouts', async (t) => {
  type Ingress = KubeObject & { spec: { rules: { http: { paths: { path: string; backend: { service: { name: string; port: { name: string } } } }[] } }[] } };
  const ingress = rendered['examples/ingress'].get<Ingress>('Ingress');
  t.match(ingress.metadata.annotations, {
    'nginx.ingress.kubernetes.io/backend-protocol': 'HTTPS',
    'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
    'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
  });
  const service = rendered.gateway.get<KubeObject & { spec: { ports: { name: string }[] } }>('Service', GATEWAY);
  const paths = ingress.spec.rules.flatMap((rule) => rule.http.paths);
  t.ok(paths.some((p) => '/apis/compute.ironcore.dev/v1alpha1/namespaces/ns/machines/m/exec'.startsWith(p.path)), 'routes the exec path');
  for (const { path, backend } of paths) {
    t.equal(backend.service.name, service.metadata.name, `${path} goes to the gateway Service`);
    t.ok(service.spec.ports.some((port) => port.name === backend.service.port.name), `${path}: the Service has port ${backend.service.port.name}`);
  }
});

function replaceArg(deployment: Workload, flag: RegExp, value: string): void {
  const args = deployment.spec.template.spec.containers[0]!.args!;
  args[args.findIndex((arg) => flag.test(arg))] = value;
}
