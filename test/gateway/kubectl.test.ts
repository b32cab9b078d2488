// The real kubectl drives the gateway: kubectl → kubectl front (pods/M/exec rewritten to the
// machine exec path) → each listener that serves exec → provider → a shell under a PTY.
// kubectl 1.20 is SPDY only (client-go's SPDY executor, as kubectl ironcore exec); a kubectl
// >= 1.30 runs in its default websocket mode and with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { listenClientCertificates, listenFrontProxy } from '../../lib/gateway/index.js';
import { issueClientCert, issueServerCert, makeCA } from '../fixtures/certs.js';
import { PROVIDER_EXEC_PATH, startKubectlFront, type KubectlFront, type KubectlFrontOptions } from '../fixtures/kubectl-front.js';
import { findKubectl120, findModernKubectl, kubectlExec, kubectlExecTty, skipWithoutKubectl120, skipWithoutModernKubectl, writeKubeconfig } from '../fixtures/kubectl.js';
import { ALICE, BOB, relayedIdentityGateway, startStack } from '../fixtures/stack.js';

const kubectl120 = findKubectl120();
const modern = findModernKubectl();
const clients = [
  { name: 'kubectl 1.20 (SPDY)', kubectl: kubectl120, env: {} as Record<string, string>, skip: skipWithoutKubectl120 },
  { name: 'kubectl >= 1.30 (websocket)', kubectl: modern, env: {} as Record<string, string>, skip: skipWithoutModernKubectl },
  { name: 'kubectl >= 1.30 (SPDY)', kubectl: modern, env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }, skip: skipWithoutModernKubectl },
];

const stack = await startStack();
const dir = await mkdtemp(join(tmpdir(), 'gateway-kubectl-'));
const closers: (() => Promise<void>)[] = [];
t.teardown(async () => {
  for (const close of closers.reverse()) await close();
  await stack.close();
  await rm(dir, { recursive: true, force: true });
});

/** A kubectl front to `target` and a kubeconfig for it, with `token`. */
async function via(name: string, target: KubectlFrontOptions['target'], token: string, execPath?: KubectlFrontOptions['execPath']): Promise<{ front: KubectlFront; kubeconfig: string }> {
  const front = await startKubectlFront({ tls: frontCert, target, ...(execPath && { execPath }) });
  closers.push(() => front.close());
  const sub = await mkdtemp(join(dir, `${name}-`));
  return { front, kubeconfig: await writeKubeconfig(sub, { server: front.url, ca: stack.ca.cert, token }) };
}

const frontCert = await issueServerCert(stack.ca);
const publicListener = await via('public', { host: '127.0.0.1', port: stack.gateway.port, ca: stack.ca.cert }, ALICE);

for (const client of clients) {
  const base = { kubectl: client.kubectl!, kubeconfig: publicListener.kubeconfig, env: client.env, pod: 'm1', command: ['console'] };

  t.test(`${client.name}: piped input runs and its EOF ends the console`, { skip: client.skip }, async (t) => {
    const result = await kubectlExec({ ...base, stdin: true, input: 'echo piped-$((6*7))\n' });
    t.match(result.stdout, /piped-42/);
    t.equal(result.code, 0, result.stderr);
    if (client.kubectl === modern) {
      // KEP-859: kubectl >= 1.22 names its command and session; the session log carries both.
      const opened = stack.logs.filter((line) => line.includes('"console session opened"')).at(-1) ?? '';
      t.match(JSON.parse(opened), { kubectlCommand: 'kubectl exec', kubectlSession: /\S+/ });
    }
  });

  t.test(`${client.name}: the console's exit code is kubectl's`, { skip: client.skip }, async (t) => {
    const result = await kubectlExec({ ...base, stdin: true, input: 'exit 3\n' });
    t.equal(result.code, 3);
    t.match(result.stderr, /exit code 3/);
  });

  t.test(`${client.name}: -it gets a terminal of kubectl's size and follows its resizes`, { skip: client.skip }, async (t) => {
    const tty = kubectlExecTty({ ...base, cols: 100, rows: 30 });
    t.teardown(() => tty.kill());
    // kubectl sends its size (at start and on SIGWINCH) beside stdin, asynchronously: a command
    // typed at once may run first, so ask until the size shows.
    const askUntil = async (size: RegExp) => {
      const deadline = Date.now() + 30_000;
      while (!size.test(tty.output()) && Date.now() < deadline) {
        tty.write('stty size\r');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    await askUntil(/\b30 100\r\n/);
    t.match(tty.output(), /\b30 100\r\n/, "the console has kubectl's size");
    tty.resize(120, 40);
    await askUntil(/\b40 120\r\n/);
    t.match(tty.output(), /\b40 120\r\n/, 'the resize reached the console');
    tty.write('exit 4\r');
    t.equal(await tty.exited, 4);
  });

  t.test(`${client.name}: refusals print the Status message`, { skip: client.skip }, async (t) => {
    const missing = await kubectlExec({ ...base, pod: 'nope' });
    t.equal(missing.code, 1);
    t.match(missing.stderr, /Error from server \(NotFound\): .*"nope" not found/);
    const unscheduled = await kubectlExec({ ...base, pod: 'unscheduled' });
    t.match(unscheduled.stderr, /Error from server \(BadRequest\): machine .*unscheduled.* has no machine pool/);
  });
}

t.test('a denied user sees kube\'s forbidden message', { skip: skipWithoutKubectl120 }, async (t) => {
  const bob = await via('bob', { host: '127.0.0.1', port: stack.gateway.port, ca: stack.ca.cert }, BOB);
  const result = await kubectlExec({ kubectl: kubectl120!, kubeconfig: bob.kubeconfig, pod: 'm1', command: ['console'] });
  t.equal(result.code, 1);
  t.match(result.stderr, /Error from server \(Forbidden\): .*User "bob" cannot create resource "machines\/exec"/);
});

t.test('the client-certificate and front-proxy listeners serve kubectl too', { skip: skipWithoutKubectl120 }, async (t) => {
  const relayed = await relayedIdentityGateway(stack);
  closers.push(() => relayed.close());
  const usersCa = await makeCA('users CA');
  const alice = await issueClientCert(usersCa, { cn: 'alice', org: ['devs'] });
  const certListener = await listenClientCertificates(relayed.gateway, {
    host: '127.0.0.1', port: 0, key: relayed.server.key, cert: relayed.server.cert, clientCa: usersCa.cert, logger: pino({ level: 'silent' }),
  });
  closers.push(() => certListener.close());
  const byCert = await via('cert', { host: '127.0.0.1', port: certListener.port, ca: stack.ca.cert, cert: alice.cert, key: alice.key }, 'unused');
  const piped = await kubectlExec({ kubectl: kubectl120!, kubeconfig: byCert.kubeconfig, pod: 'm1', command: ['console'], stdin: true, input: 'echo by-cert-$((5*5))\n' });
  t.match(piped.stdout, /by-cert-25/, 'client-certificate listener');
  t.equal(piped.code, 0, piped.stderr);

  // kube-apiserver's aggregation layer: a front-proxy certificate and X-Remote-User.
  const frontProxyCa = await makeCA('front-proxy CA');
  const aggregator = await issueClientCert(frontProxyCa, { cn: 'front-proxy-client' });
  const proxyListener = await listenFrontProxy(relayed.gateway, {
    host: '127.0.0.1', port: 0, key: relayed.server.key, cert: relayed.server.cert,
    clientCa: frontProxyCa.cert, allowedNames: ['front-proxy-client'], logger: pino({ level: 'silent' }),
  });
  closers.push(() => proxyListener.close());
  const byProxy = await via(
    'proxy',
    { host: '127.0.0.1', port: proxyListener.port, ca: stack.ca.cert, cert: aggregator.cert, key: aggregator.key, headers: { 'X-Remote-User': 'alice', 'X-Remote-Group': 'devs' } },
    'unused',
  );
  const proxied = await kubectlExec({ kubectl: kubectl120!, kubeconfig: byProxy.kubeconfig, pod: 'm1', command: ['console'], stdin: true, input: 'echo by-proxy-$((4*4))\n' });
  t.match(proxied.stdout, /by-proxy-16/, 'front-proxy listener');
  t.equal(proxied.code, 0, proxied.stderr);
});

t.test('kubectl drives the provider\'s per-machine endpoint directly over SPDY', { skip: skipWithoutKubectl120 }, async (t) => {
  const gatewayClient = await issueClientCert(stack.ca, { cn: 'ironcore-apiserver' });
  const direct = await via(
    'provider',
    { host: '127.0.0.1', port: stack.providerPort, ca: stack.ca.cert, cert: gatewayClient.cert, key: gatewayClient.key },
    'unused',
    PROVIDER_EXEC_PATH,
  );
  const piped = await kubectlExec({ kubectl: kubectl120!, kubeconfig: direct.kubeconfig, pod: 'm1', command: ['console'], stdin: true, input: 'echo at-provider-$((3*3))\nexit 5\n' });
  t.match(piped.stdout, /at-provider-9/);
  t.equal(piped.code, 5);
  const tty = kubectlExecTty({ kubectl: kubectl120!, kubeconfig: direct.kubeconfig, pod: 'm1', command: ['console'], cols: 90, rows: 20 });
  t.teardown(() => tty.kill());
  tty.write('stty size; echo READY\r');
  await tty.waitFor(/\b20 90\r\n(\$ )?READY/);
  tty.write('exit\r');
  t.equal(await tty.exited, 0);
});
