// `ironcore-console provider` (runProvider, with the CLI's signal handling) in its own process,
// from a config file: it serves a link to a TCP serial console, logs without console bytes, and
// on SIGTERM closes streams and links with 503 and exits.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { eventually } from '../link/fixtures/wait.js';
import { TestLink } from './fixtures/link-client.js';

const MAIN = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));

t.test('the provider command serves from a config file and shuts down on SIGTERM', async (t) => {
  const deviceSockets = new Set<Socket>();
  const device = createServer((socket) => {
    deviceSockets.add(socket);
    socket.pipe(socket);
  });
  device.listen(0, '127.0.0.1');
  await once(device, 'listening');
  const dir = await mkdtemp(join(tmpdir(), 'provider-run-'));
  t.teardown(async () => {
    for (const socket of deviceSockets) socket.destroy();
    device.close();
    await rm(dir, { recursive: true, force: true });
  });
  const configFile = join(dir, 'provider.yaml');
  await writeFile(configFile, `listen: "127.0.0.1:0"
insecureNoTLS: true
backend:
  kind: tcp-serial
  address: "127.0.0.1:${(device.address() as AddressInfo).port}"
`);

  const portFile = join(dir, 'ports');
  const child = spawn(process.execPath, [MAIN, 'provider', '--config', configFile, '--port-file', portFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOG_LEVEL: 'debug' },
  });
  t.teardown(() => child.kill('SIGKILL'));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  await eventually(() => existsSync(portFile) || child.exitCode !== null, () => `the provider to start (stderr: ${stderr})`);
  const [, host, port] = /^provider (.+):(\d+)$/m.exec(readFileSync(portFile, 'utf8'))!;
  const address = { address: host!, port: Number(port) } as AddressInfo;

  const link = await TestLink.connect(address, false);
  t.teardown(() => link.destroy());
  const stream = link.open({ machine: 'vm-1' });
  await stream.waitOpened();
  await stream.write('top secret console bytes\n');
  await stream.waitOutput('top secret console bytes\n');

  child.kill('SIGTERM');
  t.match(await stream.waitClosed(), { code: 503, message: 'provider shutting down' });
  await link.waitClosed();
  t.match(link.closeError, { close: { code: 503, message: 'provider shutting down' } });
  const [exitCode] = await once(child, 'exit');
  t.equal(exitCode, 0);
  t.match(stderr, /"msg":"link accepted"/);
  t.match(stderr, /"msg":"provider stopped"/);
  t.notMatch(stdout + stderr, /top secret/, 'console bytes are never logged');
  t.notMatch(stderr, /"level":50/, 'no errors logged');
});
