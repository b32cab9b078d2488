// The package as an embedder gets it: `npm pack`, the tarball installed into a fresh project
// (no Makefile, no build, only the npm registry and its cache), its TypeScript types checked
// from there, and both examples run from there as processes. A real websocket client then
// opens a console through the embedded gateway to the embedded provider, types and reads back.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import WebSocket from 'ws';
import { issueClientCert, issueServerCert, makeCA } from '../../lib/dev/certs.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const STEP_MS = 60_000;

/** Starts `node FILE` in `cwd` and resolves with the port it prints on a `... listening on PORT` line. */
async function startExample(t: Test, cwd: string, file: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill('SIGKILL'));
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${output}`)), STEP_MS);
    const check = () => {
      const match = /listening on (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code}: ${output}`)));
  });
  return { child, port, output: () => output };
}

function get(url: string): Promise<{ status: number; body: string }> {
  return fetch(url).then(async (response) => ({ status: response.status, body: await response.text() }));
}

interface ConsoleClient {
  ws: WebSocket;
  /** Resolves with the stdout (channel 1) so far once it includes `text`. */
  readUntil(text: string): Promise<string>;
}

/** Opens a console on the v5 channel protocol; resolves once it is open, or rejects with the HTTP status. */
function openConsole(url: string, token: string): Promise<ConsoleClient> {
  const ws = new WebSocket(url, ['v5.channel.k8s.io'], { headers: { Authorization: `Bearer ${token}` } });
  // Listening from the start: the first output may come in the same packet as the upgrade.
  let stdout = '';
  ws.on('message', (data: Buffer) => {
    if (data[0] === 1) stdout += data.subarray(1).toString('utf8');
    ws.emit('stdout');
  });
  const readUntil = (text: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        if (!stdout.includes(text)) return;
        clearTimeout(timer);
        ws.off('stdout', check);
        resolve(stdout);
      };
      const timer = setTimeout(() => reject(new Error(`no ${JSON.stringify(text)} in ${JSON.stringify(stdout)}`)), STEP_MS);
      ws.on('stdout', check);
      check();
    });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, readUntil }));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })));
    ws.once('error', reject);
  });
}

t.test('the packed tarball installs into a fresh project and both examples serve a console', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ironcore-console-package-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));

  await run('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: ROOT, timeout: STEP_MS });
  const tarball = (await readdir(dir)).find((name) => name.endsWith('.tgz'))!;
  t.ok(tarball, 'npm pack wrote a tarball');

  const project = join(dir, 'project');
  await cp(join(ROOT, 'test/package/consumer'), project, { recursive: true });
  // node-pty builds its native module in an install script, which npm runs only when approved.
  await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module', allowScripts: { 'node-pty': true } }));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)], { cwd: project, timeout: 3 * STEP_MS });

  const installed = join(project, 'node_modules/ironcore-console');
  const shipped = await readdir(installed);
  t.same(shipped.filter((name) => ['test', 'bench', 'lib', 'proto', 'Makefile'].includes(name)), [], 'no sources, tests or benchmarks in the package');
  t.notOk((await readdir(join(installed, 'dist'))).includes('test'), 'no compiled tests');

  // The types of every entry point resolve from the installed package, with strict checking of ours.
  const tsc = await run(process.execPath, [TSC, '-p', project], { cwd: project, timeout: STEP_MS }).then(() => '', (error: { stdout: string }) => error.stdout);
  t.equal(tsc, '', 'a TypeScript consumer compiles against the installed types');

  const ca = await makeCA('package test CA');
  const server = await issueServerCert(ca);
  const gatewayCert = await issueClientCert(ca, { cn: 'gateway' });
  const files = { 'ca.crt': ca.cert, 'server.crt': server.cert, 'server.key': server.key, 'gateway.crt': gatewayCert.cert, 'gateway.key': gatewayCert.key };
  for (const [name, contents] of Object.entries(files)) await writeFile(join(dir, name), contents);
  for (const example of ['embedded-provider.mjs', 'embedded-gateway.mjs']) await cp(join(installed, 'examples', example), join(project, example));

  const provider = await startExample(t, project, 'embedded-provider.mjs', { TLS_CA: join(dir, 'ca.crt'), TLS_CERT: join(dir, 'server.crt'), TLS_KEY: join(dir, 'server.key') });
  const gateway = await startExample(t, project, 'embedded-gateway.mjs', {
    PROVIDER: `127.0.0.1:${provider.port}`, TLS_CA: join(dir, 'ca.crt'), TLS_CERT: join(dir, 'gateway.crt'), TLS_KEY: join(dir, 'gateway.key'),
  });
  const base = `http://127.0.0.1:${gateway.port}`;

  t.same(await get(`${base}/`), { status: 200, body: 'an existing app\n' }, "the app's own route");
  t.same(await get(`${base}/elsewhere`), { status: 404, body: 'not here\n' }, "the app's own 404, not the gateway's");
  t.same(await get(`${base}/consoles/healthz`), { status: 200, body: 'ok' }, 'the ops routes under the prefix');
  t.match(await get(`${base}/consoles/metrics`), { status: 200, body: /ironcore_console_sessions_active 0/ });
  t.match(await get(`${base}/consoles/console/`), { status: 200, body: /<title>Machine console/ }, 'the page bundle came in the package');
  t.equal((await get(`${base}/healthz`)).status, 404, 'nothing of the gateway outside its prefix');

  const tls = { ca: ca.cert, cert: gatewayCert.cert, key: gatewayCert.key };
  const providerGet = (path: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest(`https://127.0.0.1:${provider.port}${path}`, tls, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.once('error', reject);
      req.end();
    });
  t.same(await providerGet('/hello'), { status: 200, body: 'hello from the pool host\n' }, "the provider's server keeps its own routes");
  const plain = await providerGet('/apis/console.ironcore.dev/v1/link');
  t.equal(plain.status, 400, 'handleRequest answers a link request that did not upgrade');
  t.match(JSON.parse(plain.body), { kind: 'Status', code: 400, message: /needs an HTTP upgrade/ });

  // The per-machine endpoint through handleUpgrade, as the machinepoollet's clients reach it.
  const direct = new WebSocket(`wss://127.0.0.1:${provider.port}/apis/compute.ironcore.dev/namespaces/default/machines/echo-2/exec?stdin=true&tty=true`, ['v4.channel.k8s.io'], tls);
  let directOutput = '';
  direct.on('message', (data: Buffer) => (directOutput += data.subarray(1).toString('utf8')));
  await once(direct, 'open');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner in ${JSON.stringify(directOutput)}`)), STEP_MS);
    const check = () => directOutput.includes('echo-2 ready') && (clearTimeout(timer), resolve());
    direct.on('message', check);
    check();
  });
  t.pass("the provider's per-machine endpoint serves the backend's console");
  direct.close();

  const exec = (namespace: string, machine: string) =>
    `ws://127.0.0.1:${gateway.port}/consoles/apis/compute.ironcore.dev/v1alpha1/namespaces/${namespace}/machines/${machine}/exec?stdin=true&tty=true`;
  const refusal = (url: string, token: string) => openConsole(url, token).then((client) => (client.ws.close(), 101), (error: { statusCode?: number }) => error.statusCode);
  t.equal(await refusal(exec('default', 'echo-1'), 'wrong-token'), 401, "the app's authenticator refuses an unknown token");
  t.equal(await refusal(exec('default', 'echo-1'), 'bob-token'), 403, "the app's authorizer refuses bob");
  t.equal(await refusal(exec('default', 'db-1'), 'alice-token'), 404, "the provider's backend knows no db-1");

  const { ws, readUntil } = await openConsole(exec('default', 'echo-1'), 'alice-token');
  t.match(await readUntil('echo-1 ready\r\n'), 'echo-1 ready', "the backend's console answered through gateway and provider");
  ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('typed by a real client\r')]));
  t.match(await readUntil('typed by a real client\r\n'), 'typed by a real client\r\n', 'what the client typed came back');
  t.match(await get(`${base}/consoles/metrics`), { body: /ironcore_console_sessions_active 1/ });
  ws.close();
  await once(ws, 'close');

  for (const example of [gateway, provider]) {
    example.child.kill('SIGTERM');
    const [code] = (await once(example.child, 'exit')) as [number | null];
    t.equal(code, 0, 'each example stops on SIGTERM and exits 0');
  }
});
