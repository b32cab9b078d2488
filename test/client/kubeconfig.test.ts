// Where the CLI gets its connection from: KUBECONFIG (several files), --kubeconfig, --context,
// the context's namespace and -n, exec credential plugins, and the flags that override them.
import t from 'tap';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALICE } from '../fixtures/stack.js';
import { cliEnv, runCli, serverOf, tempDir, useCliStack, writeKubeconfig, type KubeconfigSpec } from './fixtures/cli.js';

// The cases are independent: run them side by side.
t.jobs = 4;
const cli = useCliStack(t);

/** A session that ends with exit code 0 when it got through: stdin's EOF ends the shell. */
const SESSION = { input: 'true\n' };

function spec(users: KubeconfigSpec['users'], contexts?: KubeconfigSpec['contexts']): KubeconfigSpec {
  return { server: serverOf(cli.stack), ca: cli.stack.ca.cert, users, contexts: contexts ?? { main: { user: Object.keys(users)[0]! } } };
}

t.test('the token of the kubeconfig named by KUBECONFIG, merged from several files', async (t) => {
  const empty = join(cli.dir, 'missing-is-skipped');
  const first = writeKubeconfig(cli.dir, 'first', spec({ alice: { token: ALICE } }));
  const second = writeKubeconfig(cli.dir, 'second', spec({ alice: { token: 'shadowed-by-first' } }));
  const result = await runCli(['exec', 'm1'], { env: cliEnv(cli.dir, { KUBECONFIG: [empty, first, second].join(':') }), ...SESSION });
  t.equal(result.code, 0, result.stderr);
});

t.test('~/.kube/config when KUBECONFIG is not set', async (t) => {
  const home = tempDir('client-home-');
  t.teardown(home.remove);
  mkdirSync(join(home.path, '.kube'));
  writeKubeconfig(join(home.path, '.kube'), 'config', spec({ alice: { token: ALICE } }));
  const result = await runCli(['exec', 'm1'], { env: cliEnv(home.path), ...SESSION });
  t.equal(result.code, 0, result.stderr);
});

t.test('an exec credential plugin supplies the token', async (t) => {
  const plugin = join(cli.dir, 'token-plugin.sh');
  writeFileSync(
    plugin,
    `#!/bin/sh\nprintf '{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"%s"}}' '${ALICE}'\n`,
  );
  chmodSync(plugin, 0o755);
  const kubeconfig = writeKubeconfig(
    cli.dir,
    'exec-plugin',
    spec({ plugin: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './token-plugin.sh', interactiveMode: 'Never' } } }),
  );
  const result = await runCli(['exec', 'm1', '--kubeconfig', kubeconfig], { env: cliEnv(cli.dir), ...SESSION });
  t.equal(result.code, 0, result.stderr);
});

t.test('--context picks the context and its namespace; -n overrides the namespace', async (t) => {
  const kubeconfig = writeKubeconfig(
    cli.dir,
    'contexts',
    spec({ alice: { token: ALICE } }, { main: { user: 'alice' }, elsewhere: { user: 'alice', namespace: 'other' } }),
  );
  const env = cliEnv(cli.dir, { KUBECONFIG: kubeconfig });
  // alice may exec only in "default": the context's namespace "other" is refused.
  const [other, overridden, missing] = await Promise.all([
    runCli(['exec', 'm1', '--context', 'elsewhere'], { env, ...SESSION }),
    runCli(['exec', 'm1', '--context', 'elsewhere', '-n', 'default'], { env, ...SESSION }),
    runCli(['exec', 'm1', '--context', 'nope'], { env, ...SESSION }),
  ]);
  t.equal(other.code, 3);
  t.match(other.stderr, /in namespace "other"/);
  t.equal(overridden.code, 0, overridden.stderr);
  t.equal(missing.code, 1);
  t.match(missing.stderr, /context "nope" not found/);
});

t.test('--token overrides the kubeconfig token, and no token is ever printed', async (t) => {
  const kubeconfig = writeKubeconfig(cli.dir, 'stale', spec({ alice: { token: 'stale-secret-token' } }));
  const env = cliEnv(cli.dir, { KUBECONFIG: kubeconfig });
  const [refused, overridden] = await Promise.all([
    runCli(['exec', 'm1'], { env, ...SESSION }),
    runCli(['exec', 'm1', '--token', ALICE], { env, ...SESSION }),
  ]);
  t.equal(refused.code, 3);
  t.match(refused.stderr, /the gateway did not accept your credentials: .*check your kubeconfig\/--token/);
  t.notMatch(refused.stderr + refused.stdout, /stale-secret-token/);
  t.equal(overridden.code, 0, overridden.stderr);
});

t.test('--server and --token work without any kubeconfig', async (t) => {
  const ca = join(cli.dir, 'ca.pem');
  writeFileSync(ca, cli.stack.ca.cert);
  const args = ['exec', 'm1', '--server', serverOf(cli.stack), '--token', ALICE];
  const [result, insecure, untrusted] = await Promise.all([
    runCli([...args, '--certificate-authority', ca], { env: cliEnv(cli.dir), ...SESSION }),
    runCli([...args, '--insecure-skip-tls-verify'], { env: cliEnv(cli.dir), ...SESSION }),
    runCli(args, { env: cliEnv(cli.dir), ...SESSION }),
  ]);
  t.equal(result.code, 0, result.stderr);
  t.equal(insecure.code, 0, insecure.stderr);
  t.equal(untrusted.code, 5, 'without the CA the certificate is not trusted');
  t.match(untrusted.stderr, /TLS with the gateway at 127\.0\.0\.1:\d+ failed: .*certificate-authority/);
});
