// The real kubectl against lib/spdy alone: kubectl → kubectl front (TLS) → a node:https exec
// server built on checkSpdyUpgrade + acceptSpdyChannelPort, running commands under a real PTY
// (tty) or with pipes. kubectl 1.20 is SPDY only (client-go's SPDY executor, as kubectl
// ironcore exec); kubectl >= 1.30 runs with KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false, and once
// in its default mode, where its websocket attempt is refused and it falls back to SPDY.
import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueServerCert, makeCA } from '../fixtures/certs.js';
import { startKubectlFront } from '../fixtures/kubectl-front.js';
import { findKubectl120, findModernKubectl, kubectlExec, kubectlExecTty, skipWithoutKubectl120, skipWithoutModernKubectl, writeKubeconfig } from '../fixtures/kubectl.js';
import { startSpdyExecServer } from '../fixtures/spdy-exec-server.js';

const TOKEN = 'kubectl-test-token';
const kubectl120 = findKubectl120();
const modern = findModernKubectl();
const clients = [
  { name: 'kubectl 1.20', kubectl: kubectl120, env: {} as Record<string, string>, skip: skipWithoutKubectl120 },
  { name: 'kubectl >= 1.30 over SPDY', kubectl: modern, env: { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }, skip: skipWithoutModernKubectl },
];

const ca = await makeCA();
const cert = await issueServerCert(ca);
const server = await startSpdyExecServer({ tls: cert });
const front = await startKubectlFront({ tls: cert, target: { host: '127.0.0.1', port: server.port, ca: ca.cert } });
const dir = await mkdtemp(join(tmpdir(), 'spdy-kubectl-'));
const kubeconfig = await writeKubeconfig(dir, { server: front.url, ca: ca.cert, token: TOKEN });
t.teardown(async () => {
  await front.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function waitFor(probe: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !probe(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${probe.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

for (const client of clients) {
  const base = { kubectl: client.kubectl!, kubeconfig, env: client.env, pod: 'm1' };

  t.test(`${client.name}: piped stdin reaches the command and its EOF ends it`, { skip: client.skip }, async (t) => {
    const result = await kubectlExec({ ...base, command: ['sh'], stdin: true, input: 'echo hi\necho there >&2\n' });
    t.same(result, { stdout: 'hi\n', stderr: 'there\n', code: 0 }, 'stdout and stderr apart, exit 0 after stdin EOF');
    t.equal(server.authorizations.at(-1), `Bearer ${TOKEN}`, 'the token came through');
  });

  t.test(`${client.name}: a command's exit code comes back through the v4 Status`, { skip: client.skip }, async (t) => {
    const sessions = server.closes.length;
    const result = await kubectlExec({ ...base, command: ['sh', '-c', 'echo out; exit 3'] });
    t.same(result, { stdout: 'out\n', stderr: 'command terminated with exit code 3\n', code: 3 });
    await waitFor(() => server.closes.length > sessions);
    t.same(server.closes.filter((error) => error !== undefined), [], 'the server saw every session close cleanly');
  });

  t.test(`${client.name}: -it gets a PTY of kubectl's size and follows its resizes`, { skip: client.skip }, async (t) => {
    const tty = kubectlExecTty({ ...base, command: ['sh'], cols: 100, rows: 30 });
    t.teardown(() => tty.kill());
    // Typed before the remote shell's prompt: the line may echo twice, so match the answer only.
    tty.write('stty size; echo READY\r');
    await tty.waitFor(/\b30 100\r\nREADY/);
    tty.resize(120, 40);
    // kubectl forwards SIGWINCH asynchronously: ask until the new size shows.
    const deadline = Date.now() + 10_000;
    while (!/\b40 120\r\n/.test(tty.output()) && Date.now() < deadline) {
      tty.write('stty size\r');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    t.match(tty.output(), /\b40 120\r\n/, 'the resize reached the PTY');
    tty.write('exit 3\r');
    t.equal(await tty.exited, 3, 'exit code 3');
    t.same(server.startSizes.at(-1), { cols: 100, rows: 30 });
  });

  t.test(`${client.name}: a refused upgrade prints the Status message`, { skip: client.skip }, async (t) => {
    const result = await kubectlExec({ ...base, pod: 'missing', command: ['true'] });
    t.equal(result.code, 1);
    t.equal(result.stderr, 'Error from server (NotFound): machines.compute.ironcore.dev "missing" not found\n');
  });
}

t.test('kubectl >= 1.30 in its default mode falls back to SPDY when the websocket upgrade is refused', { skip: skipWithoutModernKubectl }, async (t) => {
  const before = front.requests.length;
  const result = await kubectlExec({ kubectl: modern!, kubeconfig, pod: 'm1', command: ['sh', '-c', 'echo fallback'] });
  t.same(result, { stdout: 'fallback\n', stderr: '', code: 0 });
  const execs = front.requests.slice(before).filter((line) => line.includes('/exec'));
  t.same(execs.map((line) => line.split(' ')[0]), ['GET', 'POST'], 'a websocket GET, then the SPDY POST');
});
