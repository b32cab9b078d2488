// The real kubectl 1.20 (SPDY, as kubectl ironcore exec) with a bearer token and no client
// certificate, through the kubectl front straight to the per-machine endpoint of a provider run
// from its config file with `authorization`: the TokenReview and the SubjectAccessReview on
// machinepools/proxy go to the kube fixture named by the config's kubeconfig.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { loadProviderConfig, runProvider } from '../../lib/provider/index.js';
import { issueServerCert, makeCA } from '../fixtures/certs.js';
import { PROVIDER_EXEC_PATH, startKubectlFront } from '../fixtures/kubectl-front.js';
import { findKubectl120, kubectlExec, skipWithoutKubectl120, writeKubeconfig } from '../fixtures/kubectl.js';
import { GATEWAY_TOKEN, startSecureApi } from '../kube/fixtures/setup.js';
import { quietLogger } from './fixtures/provider.js';

const kubectl = findKubectl120();

t.test('kubectl 1.20 with a token: allowed, denied (kube\'s message), unknown (Unauthorized)', { skip: skipWithoutKubectl120 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'provider-kubectl-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const { api, ca: apiCa } = await startSecureApi(t, {
    tokens: {
      'alice-token': { username: 'alice', groups: ['system:authenticated'] },
      'bob-token': { username: 'bob', groups: ['system:authenticated'] },
    },
    authorize: (spec) =>
      spec.user === 'alice' && spec.resourceAttributes?.resource === 'machinepools' && spec.resourceAttributes.subresource === 'proxy' &&
      spec.resourceAttributes.name === 'pool-a' && spec.resourceAttributes.verb === 'create',
  });
  await mkdir(join(dir, 'provider'));
  const providerKubeconfig = await writeKubeconfig(join(dir, 'provider'), { server: api.url, ca: apiCa.cert, token: GATEWAY_TOKEN });

  const ca = await makeCA('provider kubectl auth test');
  const serverCert = await issueServerCert(ca);
  await Promise.all([
    writeFile(join(dir, 'tls.crt'), serverCert.cert),
    writeFile(join(dir, 'tls.key'), serverCert.key, { mode: 0o600 }),
    writeFile(join(dir, 'ca.crt'), ca.cert),
  ]);
  const configFile = join(dir, 'provider.yaml');
  await writeFile(
    configFile,
    JSON.stringify({
      listen: '127.0.0.1:0',
      tls: { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), clientCAFile: join(dir, 'ca.crt') },
      authorization: { machinePool: 'pool-a', kube: { kubeconfig: providerKubeconfig } },
      backend: { kind: 'pty', command: '/bin/sh', env: { PS1: '$ ' } },
    }),
  );
  const provider = await runProvider(await loadProviderConfig(configFile), quietLogger);
  t.teardown(() => provider.stop());

  const front = await startKubectlFront({
    tls: serverCert,
    target: { host: '127.0.0.1', port: provider.address.port, ca: ca.cert },
    execPath: PROVIDER_EXEC_PATH,
  });
  t.teardown(() => front.close());
  const kubeconfigFor = async (token: string) => {
    const sub = join(dir, token);
    await mkdir(sub);
    return writeKubeconfig(sub, { server: front.url, ca: ca.cert, token });
  };
  const run = async (token: string) =>
    kubectlExec({ kubectl: kubectl!, kubeconfig: await kubeconfigFor(token), pod: 'm1', command: ['console'], stdin: true, input: 'echo by-token-$((4*4))\nexit 4\n' });

  const allowed = await run('alice-token');
  t.match(allowed.stdout, /by-token-16/);
  t.equal(allowed.code, 4, allowed.stderr);

  const denied = await run('bob-token');
  t.not(denied.code, 0);
  t.match(denied.stderr, /machinepools\.compute\.ironcore\.dev "pool-a" is forbidden: User "bob" cannot create resource "machinepools\/proxy" in API group "compute\.ironcore\.dev" at the cluster scope/);
  t.notMatch(denied.stdout, /by-token/);

  const unknown = await run('forged-token');
  t.not(unknown.code, 0);
  t.match(unknown.stderr, /Unauthorized/);
  t.notMatch(unknown.stderr, /forged-token/, 'the token is never echoed');
});
