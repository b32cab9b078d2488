import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadKubeconfig, MACHINES, resourcePath, type KubeConfig, type Machine } from '../../lib/kube/index.js';
import { issueClientCert, makeCA } from '../fixtures/certs.js';
import { machineObject } from '../fixtures/kube-api.js';
import { writeKubeconfig } from './fixtures/kubeconfig-file.js';
import { clientFor, GATEWAY_TOKEN, rejection, startSecureApi, tempDir, type Teardown } from './fixtures/setup.js';

const b64 = (data: Buffer | string) => Buffer.from(data).toString('base64');

async function setup(t: Teardown) {
  const secure = await startSecureApi(t, { objects: [machineObject('default', 'm1', 'p1')] });
  const dir = tempDir(t);
  const cluster = { server: secure.api.url, 'certificate-authority-data': b64(secure.ca.cert) };
  return { ...secure, dir, cluster };
}

/** Reads a machine with the loaded configuration: the end-to-end proof it works. */
async function readMachine(t: Teardown, config: KubeConfig): Promise<string> {
  return (await clientFor(t, config).get<Machine>(resourcePath(MACHINES, 'default', 'm1'))).metadata.name;
}

t.test('inline token and CA data; namespace from the context', async (t) => {
  const { dir, cluster } = await setup(t);
  const path = writeKubeconfig(join(dir, 'config'), {
    current: 'dev',
    clusters: { c: cluster },
    users: { u: { token: GATEWAY_TOKEN } },
    contexts: { dev: { cluster: 'c', user: 'u', namespace: 'team-a' } },
  });
  const config = loadKubeconfig({ paths: [path] });
  t.equal(config.namespace, 'team-a');
  t.equal(await readMachine(t, config), 'm1');
});

t.test('token file and CA file paths are relative to the kubeconfig; the file wins over an inline token', async (t) => {
  const { dir, ca, api } = await setup(t);
  mkdirSync(join(dir, 'kube', 'secrets'), { recursive: true });
  writeFileSync(join(dir, 'kube', 'secrets', 'token'), `${GATEWAY_TOKEN}\n`);
  writeFileSync(join(dir, 'kube', 'secrets', 'ca.crt'), ca.cert);
  const path = writeKubeconfig(join(dir, 'kube', 'config'), {
    current: 'dev',
    clusters: { c: { server: api.url, 'certificate-authority': 'secrets/ca.crt' } },
    users: { u: { token: 'stale', tokenFile: 'secrets/token' } },
    contexts: { dev: { cluster: 'c', user: 'u' } },
  });
  t.equal(await readMachine(t, loadKubeconfig({ paths: [path] })), 'm1');
});

t.test('client certificates as data and as files authenticate; one from another CA does not', async (t) => {
  const { dir, ca, cluster } = await setup(t);
  const cert = await issueClientCert(ca, { cn: 'gateway', org: 'ironcore:gateways' });
  const foreign = await issueClientCert(await makeCA('some other CA'), { cn: 'gateway' });
  writeFileSync(join(dir, 'client.crt'), cert.cert);
  writeFileSync(join(dir, 'client.key'), cert.key);
  const path = writeKubeconfig(join(dir, 'config'), {
    current: 'data',
    clusters: { c: cluster },
    users: {
      data: { 'client-certificate-data': b64(cert.cert), 'client-key-data': b64(cert.key) },
      files: { 'client-certificate': 'client.crt', 'client-key': 'client.key' },
      foreign: { 'client-certificate-data': b64(foreign.cert), 'client-key-data': b64(foreign.key) },
    },
    contexts: {
      data: { cluster: 'c', user: 'data' },
      files: { cluster: 'c', user: 'files' },
      foreign: { cluster: 'c', user: 'foreign' },
    },
  });
  t.equal(await readMachine(t, loadKubeconfig({ paths: [path] })), 'm1');
  t.equal(await readMachine(t, loadKubeconfig({ paths: [path], context: 'files' })), 'm1');
  t.match(await rejection(readMachine(t, loadKubeconfig({ paths: [path], context: 'foreign' }))), { code: 401 });
});

t.test('insecure-skip-tls-verify connects without a CA; without it the certificate is refused', async (t) => {
  const { dir, api } = await setup(t);
  const path = writeKubeconfig(join(dir, 'config'), {
    current: 'insecure',
    clusters: { insecure: { server: api.url, 'insecure-skip-tls-verify': true }, strict: { server: api.url } },
    users: { u: { token: GATEWAY_TOKEN } },
    contexts: { insecure: { cluster: 'insecure', user: 'u' }, strict: { cluster: 'strict', user: 'u' } },
  });
  const insecure = loadKubeconfig({ paths: [path] });
  t.equal(insecure.insecureSkipTLSVerify, true);
  t.equal(await readMachine(t, insecure), 'm1');
  const strict = loadKubeconfig({ paths: [path], context: 'strict' });
  t.match(await rejection(readMachine(t, strict)), { code: 503, message: /certificate/ });
});

t.test('a named context is used instead of the current one', async (t) => {
  const { dir, cluster } = await setup(t);
  const path = writeKubeconfig(join(dir, 'config'), {
    current: 'wrong',
    clusters: { c: cluster },
    users: { good: { token: GATEWAY_TOKEN }, bad: { token: 'nope' } },
    contexts: { wrong: { cluster: 'c', user: 'bad' }, right: { cluster: 'c', user: 'good' } },
  });
  t.match(await rejection(readMachine(t, loadKubeconfig({ paths: [path] }))), { code: 401 });
  t.equal(await readMachine(t, loadKubeconfig({ paths: [path], context: 'right' })), 'm1');
});

t.test('KUBECONFIG files merge as kubectl merges them: the first definition wins', async (t) => {
  const { dir, cluster } = await setup(t);
  const first = writeKubeconfig(join(dir, 'first'), {
    current: 'dev',
    users: { u: { token: GATEWAY_TOKEN } },
  });
  const second = writeKubeconfig(join(dir, 'second'), {
    current: 'prod',
    clusters: { c: cluster },
    users: { u: { token: 'overridden' } },
    contexts: { dev: { cluster: 'c', user: 'u', namespace: 'from-second' } },
  });
  const env = { KUBECONFIG: [first, join(dir, 'missing'), second].join(':'), HOME: dir };
  const config = loadKubeconfig({ env });
  t.equal(config.namespace, 'from-second');
  t.equal(await readMachine(t, config), 'm1');
});

t.test('without KUBECONFIG, ~/.kube/config is read', async (t) => {
  const { dir, cluster } = await setup(t);
  mkdirSync(join(dir, '.kube'));
  writeKubeconfig(join(dir, '.kube', 'config'), {
    current: 'home',
    clusters: { c: cluster },
    users: { u: { token: GATEWAY_TOKEN } },
    contexts: { home: { cluster: 'c', user: 'u' } },
  });
  t.equal(await readMachine(t, loadKubeconfig({ env: { HOME: dir } })), 'm1');
});

t.test('mistakes are named clearly', async (t) => {
  const dir = tempDir(t);
  const cluster = { server: 'https://127.0.0.1:6443' };
  const path = writeKubeconfig(join(dir, 'config'), {
    clusters: {
      c: cluster,
      serverless: {},
      both: { ...cluster, 'certificate-authority-data': b64('x'), 'insecure-skip-tls-verify': true },
    },
    users: {
      u: { token: 't' },
      'half-cert': { 'client-certificate-data': b64('x') },
      legacy: { 'auth-provider': { name: 'oidc' } },
      basic: { username: 'admin', password: 'secret' },
      'missing-file': { tokenFile: 'nowhere' },
    },
    contexts: {
      ok: { cluster: 'c', user: 'u' },
      'no-cluster': { cluster: 'gone', user: 'u' },
      'no-user': { cluster: 'c', user: 'gone' },
      serverless: { cluster: 'serverless', user: 'u' },
      both: { cluster: 'both', user: 'u' },
      'half-cert': { cluster: 'c', user: 'half-cert' },
      legacy: { cluster: 'c', user: 'legacy' },
      basic: { cluster: 'c', user: 'basic' },
      'missing-file': { cluster: 'c', user: 'missing-file' },
    },
  });
  const load = (context?: string) => () => loadKubeconfig({ paths: [path], context });
  t.throws(load(), { message: 'kubeconfig has no current-context; name a context' });
  t.throws(load('nope'), { message: 'context "nope" not found in kubeconfig' });
  t.throws(load('no-cluster'), { message: 'cluster "gone" of context "no-cluster" not found in kubeconfig' });
  t.throws(load('no-user'), { message: 'user "gone" of context "no-user" not found in kubeconfig' });
  t.throws(load('serverless'), { message: 'cluster "serverless" in kubeconfig has no server' });
  t.throws(load('both'), { message: /both a certificate authority and insecure-skip-tls-verify/ });
  t.throws(load('half-cert'), { message: 'user "half-cert" needs both a client certificate and a client key' });
  t.throws(load('legacy'), { message: /auth-provider is not supported/ });
  t.throws(load('basic'), { message: /basic authentication/ });
  t.throws(load('missing-file'), { message: /^cannot read token file: ENOENT.*nowhere/ });
  t.equal(load('ok')().server, 'https://127.0.0.1:6443');
  t.throws(() => loadKubeconfig({ paths: [join(dir, 'absent')] }), { message: /absent does not exist/ });
  t.throws(() => loadKubeconfig({ env: { HOME: join(dir, 'empty-home') } }), { message: /no kubeconfig found/ });
  writeFileSync(join(dir, 'broken'), 'clusters: [');
  t.throws(() => loadKubeconfig({ paths: [join(dir, 'broken')] }), { message: /broken cannot be read/ });
});
