import t from 'tap';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import WebSocket from 'ws';
import { GUEST_PROMPT, findGuestTools } from '../../lib/dev/qemu-guest.js';
import { startDevStack } from '../../lib/dev/stack.js';
import { encodeBearerProtocol } from '../../lib/protocol/index.js';
import { runCli } from '../client/fixtures/cli.js';

const MAIN = new URL('../../lib/cli/main.js', import.meta.url).pathname;

t.test('`ironcore-console dev` serves a machine console end to end and stops on SIGINT', async (t) => {
  const dev = spawn(process.execPath, [MAIN, 'dev'], { stdio: ['ignore', 'ignore', 'pipe'] });
  t.teardown(() => dev.kill('SIGKILL'));
  let banner = '';
  await new Promise<void>((resolve, reject) => {
    dev.stderr.on('data', (chunk: Buffer) => {
      banner += chunk;
      if (banner.includes('press Ctrl-C')) resolve();
    });
    dev.once('exit', (code) => reject(new Error(`dev exited with ${code}: ${banner}`)));
  });
  t.match(banner, /browser:\s+http:\/\/127\.0\.0\.1:\d+\/console\/#\/default\/demo\?login=\S+/, 'a one-time browser link (test/web/console-features.test.ts follows it)');
  const gatewayUrl = /gateway:\s+(https:\/\/\S+) \(CA (\S+)\)/.exec(banner);
  const cli = /cli:\s+node \S+ exec demo --kubeconfig (\S+)/.exec(banner);
  t.ok(gatewayUrl && cli, 'the banner names the gateway, its CA and the CLI command');
  const token = /token: (\S+)/.exec(readFileSync(cli![1]!, 'utf8'))![1]!;
  t.notMatch(banner, token, 'the token is not printed');
  const gateway = gatewayUrl![1]!;
  const ws = new WebSocket(`${gateway!.replace('https', 'wss')}/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/demo/exec?stdin=true&tty=true`,
    ['v5.channel.k8s.io', encodeBearerProtocol(token!)], { ca: readFileSync(gatewayUrl![2]!) });
  let output = '';
  const seen = new Promise<void>((resolve) =>
    ws.on('message', (data: Buffer) => {
      output += data.toString('utf8', 1);
      if (output.includes('dev-42')) resolve();
    }),
  );
  await new Promise((resolve) => ws.once('open', resolve));
  ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('echo dev-$((6*7))\r')]));
  await seen;
  t.match(output, /console@demo/, 'the prompt names the machine');
  ws.close();

  dev.kill('SIGINT');
  const [code] = await new Promise<[number | null]>((resolve) => dev.once('exit', (c) => resolve([c])));
  t.equal(code, 0, 'stops cleanly');
});

t.test('`dev --attach web-0` names web-0 in its links, and ends with the session', async (t) => {
  const result = await runCli(['dev', '--attach', 'web-0'], { env: { ...process.env } as Record<string, string>, input: 'echo attached-$((2*21))\n' });
  t.equal(result.code, 0, 'the piped session ended by itself, and the stack with it');
  t.match(result.stderr, /browser:\s+http:\/\/\S+\/console\/#\/default\/web-0\?login=/);
  t.match(result.stderr, /cli:\s+node \S+ exec web-0 --kubeconfig/);
  t.match(result.stdout, /attached-42/);
  t.notMatch(result.stderr + result.stdout, /"level":/, 'no log line reaches the terminal');
});

t.test('`dev` refuses what it cannot do safely or at all, in one line', async (t) => {
  const env = { ...process.env } as Record<string, string>;
  const [host, machine] = await Promise.all([runCli(['dev', '--host', '0.0.0.0'], { env }), runCli(['dev', '--attach', 'nope'], { env })]);
  t.equal(host.code, 2);
  t.equal(host.stderr, 'ironcore-console: --host must be a loopback address (127.0.0.1, ::1), got "0.0.0.0"\n');
  t.equal(machine.code, 2);
  t.match(machine.stderr, /ironcore-console: --attach: no machine "nope" in the manifest; it has demo, web-0\n$/);
});

t.test('`dev --qemu`: a real guest per machine behind the same endpoint', async (t) => {
  const tools = await findGuestTools();
  if (typeof tools === 'string') {
    t.comment(`skipped: no QEMU guest here: ${tools}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'dev-qemu-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const manifest = join(dir, 'world.yaml');
  writeFileSync(manifest, [
    'apiVersion: compute.ironcore.dev/v1alpha1', 'kind: MachinePool', 'metadata: {name: qemu-pool}', '---',
    'apiVersion: compute.ironcore.dev/v1alpha1', 'kind: Machine', 'metadata: {namespace: default, name: vm1}',
    'spec: {machinePoolRef: {name: qemu-pool}}', '',
  ].join('\n'));
  const stack = await startDevStack({ manifest, qemu: true, host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }) });
  t.teardown(() => stack.stop());
  const ws = new WebSocket(`${stack.gatewayUrl.replace('https', 'wss')}/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/vm1/exec?stdin=true&tty=true`,
    ['v5.channel.k8s.io', encodeBearerProtocol(stack.token)], { ca: readFileSync(stack.caFile) });
  let output = '';
  const waitFor = (text: string, ms: number) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${text} in ${JSON.stringify(output.slice(-200))}`)), ms);
    const check = () => output.includes(text) && (clearTimeout(timer), resolve());
    ws.on('message', (data: Buffer) => { output += data.toString('utf8', 1); check(); });
    check();
  });
  await new Promise((resolve) => ws.once('open', resolve));
  const prompt = setInterval(() => ws.send(Buffer.from([0, 0x0d])), 1000);
  await waitFor(GUEST_PROMPT, 60_000).finally(() => clearInterval(prompt));
  // A loaded machine can lose a line typed while the guest is still settling: type it again.
  const command = () => ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('echo guest-$((6*7))\r')]));
  command();
  const retype = setInterval(command, 5000);
  await waitFor('guest-42', 30_000).finally(() => clearInterval(retype));
  t.pass('a command ran on the guest through gateway and provider');
  ws.close();
});
