import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadKubeconfig, MACHINES, resourcePath, type ExecConfig, type KubeConfig } from '../../lib/kube/index.js';
import { issueClientCert } from '../fixtures/certs.js';
import { machineObject } from '../fixtures/kube-api.js';
import { writeKubeconfig } from './fixtures/kubeconfig-file.js';
import { clientFor, GATEWAY_TOKEN, startSecureApi, tempDir, type Teardown } from './fixtures/setup.js';

/**
 * A credential plugin: counts its runs in RUNS_FILE, saves KUBERNETES_EXEC_INFO to INFO_FILE
 * and prints an ExecCredential built from its environment.
 */
const PLUGIN = `
const fs = require('node:fs');
const env = process.env;
const runs = fs.existsSync(env.RUNS_FILE) ? Number(fs.readFileSync(env.RUNS_FILE, 'utf8')) + 1 : 1;
fs.writeFileSync(env.RUNS_FILE, String(runs));
fs.writeFileSync(env.INFO_FILE, env.KUBERNETES_EXEC_INFO);
if (env.EXIT_CODE) process.exit(Number(env.EXIT_CODE));
const status = {};
if (env.TOKEN) status.token = env.TOKEN + (env.NUMBERED ? '-' + runs : '');
if (env.CERT) Object.assign(status, { clientCertificateData: env.CERT, clientKeyData: env.KEY });
if (env.EXPIRES_IN_MS) status.expirationTimestamp = new Date(Date.now() + Number(env.EXPIRES_IN_MS)).toISOString();
console.log(JSON.stringify({ kind: 'ExecCredential', apiVersion: env.ANSWER_VERSION || JSON.parse(env.KUBERNETES_EXEC_INFO).apiVersion, status }));
`;

async function setup(t: Teardown) {
  const secure = await startSecureApi(t, { objects: [machineObject('default', 'm1', 'p1')] });
  const dir = tempDir(t);
  writeFileSync(join(dir, 'plugin.cjs'), PLUGIN);
  const runs = () => Number(readFileSync(join(dir, 'runs'), 'utf8'));
  const info = () =>
    JSON.parse(readFileSync(join(dir, 'info'), 'utf8')) as { apiVersion: string; spec: Record<string, unknown> };

  /** Loads a kubeconfig whose user runs the plugin with `env` (plus `exec` overrides). */
  const load = (env: Record<string, string>, exec: ExecConfig = {}): KubeConfig => {
    const pluginEnv = Object.entries({ RUNS_FILE: join(dir, 'runs'), INFO_FILE: join(dir, 'info'), ...env });
    const user = {
      exec: {
        apiVersion: 'client.authentication.k8s.io/v1',
        interactiveMode: 'Never',
        command: process.execPath,
        args: [join(dir, 'plugin.cjs')],
        env: pluginEnv.map(([name, value]) => ({ name, value })),
        ...exec,
      },
    };
    const cluster = {
      server: secure.api.url,
      'certificate-authority-data': secure.ca.cert.toString('base64'),
      extensions: [{ name: 'client.authentication.k8s.io/exec', extension: { audience: 'console' } }],
    };
    writeKubeconfig(join(dir, 'config'), {
      current: 'ctx',
      clusters: { c: cluster },
      users: { u: user },
      contexts: { ctx: { cluster: 'c', user: 'u' } },
    });
    return loadKubeconfig({ paths: [join(dir, 'config')] });
  };
  return { ...secure, dir, load, runs, info };
}

const readMachine = (t: Teardown, config: KubeConfig) =>
  clientFor(t, config).get(resourcePath(MACHINES, 'default', 'm1'));

t.test('the token of an exec plugin authenticates and is reused while it has no expiry', async (t) => {
  const { load, runs, info } = await setup(t);
  const config = load({ TOKEN: GATEWAY_TOKEN });
  t.equal(runs(), 1, 'run once at load');
  await readMachine(t, config);
  await readMachine(t, config);
  t.equal(runs(), 1);
  t.same(info(), {
    kind: 'ExecCredential',
    apiVersion: 'client.authentication.k8s.io/v1',
    spec: { interactive: false },
  });
});

t.test('the plugin runs again once its credential expired', async (t) => {
  const { api, load, runs } = await setup(t);
  api.setCallerToken(undefined);
  const config = load({ TOKEN: 'rotating', NUMBERED: '1', EXPIRES_IN_MS: '150' });
  t.equal(config.token?.(), 'rotating-1');
  t.equal(config.token?.(), 'rotating-1');
  await new Promise((resolve) => setTimeout(resolve, 170));
  t.equal(config.token?.(), 'rotating-2');
  t.equal(runs(), 2);
});

t.test('v1beta1 plugins work; provideClusterInfo passes the cluster', async (t) => {
  const { api, ca, load, info } = await setup(t);
  const config = load(
    { TOKEN: GATEWAY_TOKEN },
    { apiVersion: 'client.authentication.k8s.io/v1beta1', interactiveMode: undefined, provideClusterInfo: true },
  );
  await readMachine(t, config);
  t.same(info().spec, {
    interactive: false,
    cluster: {
      server: api.url,
      'certificate-authority-data': ca.cert.toString('base64'),
      config: { audience: 'console' },
    },
  });
});

t.test('a client certificate from the plugin authenticates', async (t) => {
  const { ca, load } = await setup(t);
  const cert = await issueClientCert(ca, { cn: 'exec-user' });
  const config = load({ CERT: cert.cert.toString(), KEY: cert.key.toString() });
  t.equal(config.token?.(), undefined);
  await t.resolves(readMachine(t, config));
});

t.test('a relative command is found next to the kubeconfig', async (t) => {
  const { dir, load, runs } = await setup(t);
  writeFileSync(join(dir, 'plugin.sh'), `#!/bin/sh\nexec "${process.execPath}" "${join(dir, 'plugin.cjs')}"\n`);
  chmodSync(join(dir, 'plugin.sh'), 0o755);
  load({ TOKEN: 'x' }, { command: './plugin.sh', args: [] });
  t.equal(runs(), 1);
});

t.test('plugin failures and bad configurations are named', async (t) => {
  const { load } = await setup(t);
  t.throws(() => load({ EXIT_CODE: '3' }), { message: /exec plugin ".*" exited with status 3/ });
  t.throws(() => load({}, { command: 'no-such-kube-plugin', installHint: 'install it with: apt install no-such' }), {
    message: 'exec plugin "no-such-kube-plugin" not found: install it with: apt install no-such',
  });
  t.throws(() => load({ TOKEN: 'x', ANSWER_VERSION: 'client.authentication.k8s.io/v1beta1' }), {
    message: /expected ExecCredential client.authentication.k8s.io\/v1$/,
  });
  t.throws(() => load({}), { message: /neither a token nor a client certificate/ });
  t.throws(() => load({ TOKEN: 'x' }, { interactiveMode: undefined }), { message: /interactiveMode must be set/ });
  t.throws(() => load({ TOKEN: 'x' }, { apiVersion: 'client.authentication.k8s.io/v1alpha1' }), {
    message: /is not supported/,
  });
  t.throws(() => load({ TOKEN: 'x' }, { interactiveMode: 'Always' }), { message: /needs an interactive terminal/ });
});

t.test('an exec user must not also set a token', async (t) => {
  const { dir } = await setup(t);
  const user = {
    token: 'x',
    exec: { apiVersion: 'client.authentication.k8s.io/v1', command: 'x', interactiveMode: 'Never' },
  };
  const cluster = { server: 'https://127.0.0.1:1' };
  writeKubeconfig(join(dir, 'config'), {
    current: 'ctx',
    clusters: { c: cluster },
    users: { u: user },
    contexts: { ctx: { cluster: 'c', user: 'u' } },
  });
  t.throws(() => loadKubeconfig({ paths: [join(dir, 'config')] }), {
    message: 'user "u" sets both exec and a token; use one',
  });
});
