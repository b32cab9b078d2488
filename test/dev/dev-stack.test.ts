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
  const url = /browser:\s+(https:\/\/\S+)\/console\/#\/default\/demo\s+token: (\S+)/.exec(banner);
  const ca = /\(CA (\S+)\)/.exec(banner);
  t.ok(url && ca, 'the banner names the browser URL, the token and the CA');
  t.match(banner, /cli:\s+node \S+ exec demo --kubeconfig \S+/);

  const [, gateway, token] = url!;
  const ws = new WebSocket(`${gateway!.replace('https', 'wss')}/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/demo/exec?stdin=true&tty=true`,
    ['v5.channel.k8s.io', encodeBearerProtocol(token!)], { ca: readFileSync(ca![1]!) });
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
