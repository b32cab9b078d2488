import t from 'tap';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
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
