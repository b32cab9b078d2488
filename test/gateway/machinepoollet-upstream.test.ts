// The websocket upstream in front of providers that speak what IronCore's machinepoollet speaks
// (test/fixtures/machinepoollet-provider.ts): v4 and the original channel protocols, no v5, a
// bare 403 for an offer without them, its own authorization of the gateway. Users connect to
// the real gateway with v5 and v4 clients.
import t from 'tap';
import WebSocket from 'ws';
import { ALICE, SessionReader, connect, refusal } from '../fixtures/stack.js';
import { issueClientCert } from '../fixtures/certs.js';
import { DENIED_POOL, GATEWAY_CN, startMachinepoolletWorld } from '../fixtures/machinepoollet-world.js';
import { providerExecPath } from '../../lib/protocol/index.js';

const world = await startMachinepoolletWorld('websocket', 'get');
const stack = world.stack;
t.teardown(() => world.close());
const pool = world.pool;

async function resized(session: SessionReader, marker: string): Promise<string> {
  session.send(0, `echo ${marker}-$(stty size | tr ' ' x)\n`);
  await session.waitFor(new RegExp(`${marker}-\\d+x\\d+`));
  return new RegExp(`${marker}-(\\d+x\\d+)`).exec(session.output)![1]!;
}

t.test('a v5 client through a v4 machinepoollet: type, read, resize, stdin EOF dropped, exit 3', async (t) => {
  const fixture = await pool('v4-pool');
  const session = new SessionReader(connect(stack, 'default', 'v4-pool-m', { token: ALICE }));
  await session.opened();
  t.equal(session.ws.protocol, 'v5.channel.k8s.io');
  session.send(0, 'echo mpl-$((6*7))\n');
  await session.waitFor('mpl-42');
  t.same(fixture.picked, ['v4.channel.k8s.io'], 'the gateway offered v5 and v4 in one handshake; the machinepoollet took v4');
  session.send(4, JSON.stringify({ Width: 99, Height: 33 }));
  t.equal(await resized(session, 'size'), '33x99');
  // v4 cannot carry it: dropped, and the session goes on.
  session.ws.send(Buffer.from([255, 0]));
  session.send(0, 'echo after-$((1+1))-eof\n');
  await session.waitFor('after-2-eof');
  t.same(fixture.ignoredChannels, [], 'the gateway sent nothing v4 lacks');
  session.send(0, 'exit 3\n');
  await session.closed;
  t.match(JSON.parse(session.errorChannel), { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
});

t.test('a v4 client of the gateway through a v4 machinepoollet: resize and a clean exit', async (t) => {
  await pool('v4-client-pool');
  const session = new SessionReader(connect(stack, 'default', 'v4-client-pool-m', { token: ALICE, protocols: ['v4.channel.k8s.io'] }));
  await session.opened();
  t.equal(session.ws.protocol, 'v4.channel.k8s.io');
  session.send(4, JSON.stringify({ Width: 101, Height: 31 }));
  t.equal(await resized(session, 'v4size'), '31x101');
  session.send(0, 'exit\n');
  await session.closed;
  t.same(JSON.parse(session.errorChannel), { metadata: {}, status: 'Success' });
});

t.test('a provider that speaks only v4.base64: its text messages are decoded, ours encoded', async (t) => {
  const fixture = await pool('base64-pool', { protocols: ['v4.base64.channel.k8s.io'] });
  const session = new SessionReader(connect(stack, 'default', 'base64-pool-m', { token: ALICE }));
  await session.opened();
  // Bytes that are not ASCII go both ways intact.
  session.send(0, "printf 'b64-\\303\\251-%s\\n' $((2*21))\n");
  await session.waitFor('b64-é-42');
  t.same(fixture.picked, ['v4.base64.channel.k8s.io']);
  session.send(4, JSON.stringify({ Width: 77, Height: 22 }));
  t.equal(await resized(session, 'b64size'), '22x77');
  session.send(0, 'exit 4\n');
  await session.closed;
  t.match(JSON.parse(session.errorChannel), { reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '4' }] } });
});

t.test('a provider with only the original protocol: no resize, a failure by its text, success by a clean close', async (t) => {
  const fixture = await pool('v1-pool', { protocols: ['channel.k8s.io'] });
  const failing = new SessionReader(connect(stack, 'default', 'v1-pool-m', { token: ALICE }));
  await failing.opened();
  // channel.k8s.io has no resize channel: the gateway does not send one, the size stays.
  failing.send(4, JSON.stringify({ Width: 99, Height: 33 }));
  t.equal(await resized(failing, 'v1size'), '24x80');
  failing.send(0, 'exit 3\n');
  await failing.closed;
  t.match(JSON.parse(failing.errorChannel), { status: 'Failure', message: 'command terminated with non-zero exit code: exit status 3' });

  const clean = new SessionReader(connect(stack, 'default', 'v1-pool-m', { token: ALICE }));
  await clean.opened();
  clean.send(0, 'exit 0\n');
  await clean.closed;
  t.same(JSON.parse(clean.errorChannel), { metadata: {}, status: 'Success' });
  t.same(fixture.picked, ['channel.k8s.io', 'channel.k8s.io']);
});

t.test('a client that leaves closes its websocket to the machinepoollet', async (t) => {
  const fixture = await pool('leave-pool');
  const session = new SessionReader(connect(stack, 'default', 'leave-pool-m', { token: ALICE }));
  await session.opened();
  session.send(0, 'echo here-$((3*3))\n');
  await session.waitFor('here-9');
  t.equal(fixture.openSessions, 1);
  session.ws.close();
  for (let i = 0; i < 100 && fixture.openSessions > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(fixture.openSessions, 0);
});

t.test('the fixture refuses a v5-only offer as the machinepoollet does: a bare 403', async (t) => {
  const fixture = await pool('direct-pool');
  const client = await issueClientCert(stack.ca, { cn: GATEWAY_CN });
  const url = `wss://127.0.0.1:${fixture.port}${providerExecPath('default', 'direct-pool-m')}`;
  const ws = new WebSocket(url, ['v5.channel.k8s.io'], { ca: stack.ca.cert, key: client.key, cert: client.cert });
  const answer = await new Promise<{ code?: number; headers: object; body: string }>((resolve) => {
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ code: res.statusCode, headers: res.headers, body }));
    });
  });
  t.same(answer, { code: 403, headers: {}, body: '' });
});

t.test('refusals reach the user as a 502 naming the provider answer, never as a 403', async (t) => {
  await pool('v3-pool', { protocols: ['v3.channel.k8s.io'] });
  await pool(DENIED_POOL);
  await pool('runtime-pool', { machines: [] });
  const cases = [
    ['v3-pool-m', /provider 127\.0\.0\.1:\d+ refused the console upgrade: HTTP 403 Forbidden with an empty body$/],
    [`${DENIED_POOL}-m`, /refused the console upgrade: HTTP 403 Forbidden: Forbidden$/],
    ['runtime-pool-m', /refused the console upgrade: HTTP 404 Not Found: machine not found$/],
  ] as const;
  for (const [machine, message] of cases) {
    const { code, status } = await refusal(connect(stack, 'default', machine, { token: ALICE }));
    t.equal(code, 502, machine);
    t.match(status, { code: 502, reason: 'InternalError', message }, machine);
  }
});
