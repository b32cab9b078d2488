// IEP-02's per-machine websocket endpoint, with a plain `ws` client over TLS.
import { request } from 'node:https';
import type { Socket } from 'node:net';
import t from 'tap';
import { providerExecPath } from '../../lib/protocol/index.js';
import { eventually } from '../link/fixtures/wait.js';
import { ExecClient, ExecRefused } from './fixtures/exec-client.js';
import { startProvider } from './fixtures/provider.js';

t.test('v5: stdin, stdout, resize, then half-close ends the console with a Success Status', async (t) => {
  const provider = await startProvider(t, { sharing: 'none' });
  const client = await ExecClient.connect(provider, 'cat-1', { query: 'stdin=true&tty=true' });
  t.equal(client.ws.protocol, 'v5.channel.k8s.io');
  t.match(provider.backend.requests[0], { namespace: 'default', machine: 'cat-1', tty: true, user: { username: 'gateway' } });
  client.send(0, 'hello\n');
  await client.waitOutput('hello\n');
  client.send(4, '{"Width":120,"Height":40}');
  await eventually(() => provider.backend.resizes.length === 1, 'the resize');
  t.same(provider.backend.resizes, [[120, 40]]);
  client.ws.send(Buffer.of(255, 0)); // v5 close of stdin: cat sees EOF and exits 0
  t.equal(await client.waitClosed(), 1000);
  t.same(client.status, { metadata: {}, status: 'Success' });
  await eventually(() => provider.backend.openStreams === 0, 'the console to close');
});

t.test('v4: a non-zero exit is a NonZeroExitCode Status with the exit code', async (t) => {
  const provider = await startProvider(t);
  const client = await ExecClient.connect(provider, 'exit-7', { query: 'stdin=1', protocols: ['v4.channel.k8s.io'] });
  t.equal(client.ws.protocol, 'v4.channel.k8s.io');
  client.send(0, 'bye\n');
  t.equal(await client.waitClosed(), 1000);
  t.match(client.status, { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '7' }] } });
});

t.test('base64: text messages both ways', async (t) => {
  const provider = await startProvider(t);
  const client = await ExecClient.connect(provider, 'echo-1', { query: 'stdin=true', protocols: ['v4.base64.channel.k8s.io'] });
  t.equal(client.ws.protocol, 'v4.base64.channel.k8s.io');
  client.send(0, Buffer.from([0x1d, 0x00, 0xff, 0x0a]));
  await eventually(() => client.stdout.length >= 4, 'the echo');
  t.same(Buffer.from(client.stdout, 'latin1'), Buffer.from([0x1d, 0x00, 0xff, 0x0a]));
  client.ws.close();
  await eventually(() => provider.backend.openStreams === 0, 'the console to close');
});

t.test('the link and the websocket share one console', async (t) => {
  const provider = await startProvider(t);
  const link = await provider.connect();
  const stream = link.open({ machine: 'echo-1' });
  await stream.waitOpened();
  const viewer = await ExecClient.connect(provider, 'echo-1', { query: 'stdin=true' });
  await stream.write('hi there\n');
  await viewer.waitOutput('hi there\n');
  viewer.send(0, 'nope');
  await eventually(() => viewer.channel(2).includes('console is read-only'), 'the read-only notice');
  const takeover = await ExecClient.connect(provider, 'echo-1', { query: 'stdin=true&takeover=true&noReplay=true' });
  takeover.send(0, 'mine\n');
  await stream.waitOutput('mine\n');
  await stream.waitNotice('took over the write lock');
  t.equal(provider.backend.opened, 1);
});

t.test('the bearer-token subprotocol is never echoed', async (t) => {
  const provider = await startProvider(t);
  const client = await ExecClient.connect(provider, 'echo-1', { protocols: ['base64url.bearer.authorization.k8s.io.dG9rZW4', 'v5.channel.k8s.io'] });
  t.equal(client.ws.protocol, 'v5.channel.k8s.io');
  client.ws.close();
});

t.test('no subprotocol offered: the original channel.k8s.io', async (t) => {
  const provider = await startProvider(t);
  const client = await ExecClient.connect(provider, 'echo-1', { query: 'stdin=true', protocols: [] });
  t.equal(client.ws.protocol, '');
  client.send(0, 'plain\n');
  await client.waitOutput('plain\n');
  client.ws.close();
});

t.test('errors before the upgrade are HTTP with a Status body', async (t) => {
  const provider = await startProvider(t);
  const refusal = async (machine: string, options: Parameters<typeof ExecClient.connect>[2]) => {
    const error = await ExecClient.connect(provider, machine, options).catch((e: unknown) => e);
    t.type(error, ExecRefused);
    return { code: (error as ExecRefused).statusCode, status: JSON.parse((error as ExecRefused).body) };
  };
  t.match(await refusal('echo-1', { query: 'tty=maybe' }), {
    code: 400,
    status: { kind: 'Status', code: 400, reason: 'BadRequest', message: 'query parameter tty must be true, false, 1 or 0, got "maybe"' },
  });
  t.match(await refusal('echo-1', { query: 'stdin=yes' }), { code: 400, status: { message: /query parameter stdin/ } });
  t.match(await refusal('echo-1', { protocols: ['v9.channel.k8s.io'] }), { code: 400, status: { message: /none of the offered subprotocols is supported/ } });
  t.match(await refusal('Bad_Name', {}), { code: 400, status: { message: /invalid machine name/ } });
  t.match(await refusal('missing-1', {}), { code: 404, status: { reason: 'NotFound', message: 'machine missing-1 has no console' } });
  t.equal(provider.backend.openStreams, 0);
});

t.test('exclusive mode: a second websocket gets 409 before the upgrade', async (t) => {
  const provider = await startProvider(t, { sharing: 'exclusive' });
  const first = await ExecClient.connect(provider, 'echo-1');
  const error = await ExecClient.connect(provider, 'echo-1').catch((e: unknown) => e);
  t.match(error, { statusCode: 409, body: /already has an open console session/ });
  first.ws.close();
});

t.test('a client that breaks the channel protocol gets 400 on the error channel', async (t) => {
  const provider = await startProvider(t);
  const client = await ExecClient.connect(provider, 'echo-1', { query: 'stdin=true' });
  client.send(4, 'not json');
  t.equal(await client.waitClosed(), 1000);
  t.match(client.status, { status: 'Failure', reason: 'BadRequest', message: /resize message is not valid JSON/ });
  await eventually(() => provider.backend.openStreams === 0, 'the console to close');
});

t.test('POST upgrades like GET', async (t) => {
  const provider = await startProvider(t);
  const answer = await new Promise<number>((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: provider.address.port,
      method: 'POST',
      path: providerExecPath('default', 'echo-1'),
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Key': Buffer.alloc(16, 1).toString('base64'),
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Protocol': 'v5.channel.k8s.io',
      },
      ...provider.clientTls,
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => resolve(res.statusCode ?? 0));
    req.on('error', reject);
    req.end();
  });
  t.equal(answer, 101);
});

t.test('a websocket that is not read pauses the console; reading again resumes it', async (t) => {
  const provider = await startProvider(t, { sessionHighWaterBytes: 64 * 1024 });
  const client = await ExecClient.connect(provider, 'flood-1');
  await eventually(() => client.stdout.length > 0, 'some output');
  const socket = (client.ws as unknown as { _socket: Socket })._socket;
  socket.pause();
  await new Promise((resolve) => setTimeout(resolve, 300)); // every buffer on the way fills up
  const settled = provider.backend.deviceBytesWritten;
  await new Promise((resolve) => setTimeout(resolve, 300));
  const growth = provider.backend.deviceBytesWritten - settled;
  t.ok(growth < 256 * 1024, `the device could write only ${growth} bytes more while the client read nothing`);
  socket.resume();
  await eventually(() => provider.backend.deviceBytesWritten > settled + 4 * 1024 * 1024, 'output to flow again');
  client.ws.close();
});
