import t, { type Test } from 'tap';
import { request } from 'node:https';
import { ALICE, BOB, SessionReader, connect, execPath, refusal, startStack, type Stack } from '../fixtures/stack.js';

let stack: Stack;
t.before(async () => {
  stack = await startStack();
});
t.teardown(() => stack.close());

async function runShell(t: Test, protocol: string, base64 = false) {
  const ws = connect(stack, 'default', 'm1', { token: ALICE, protocols: [protocol] });
  const session = new SessionReader(ws, base64);
  await session.opened();
  t.equal(ws.protocol, protocol, `negotiated ${protocol}`);
  session.send(0, 'echo answer-$((6*7))\n');
  await session.waitFor('answer-42');
  return { ws, session };
}

t.test('v5: a shell through gateway and provider: output, resize, exit code', async (t) => {
  const { ws, session } = await runShell(t, 'v5.channel.k8s.io');
  session.send(4, JSON.stringify({ Width: 123, Height: 45 }));
  session.send(0, 'stty size\n');
  await session.waitFor('45 123');
  session.send(0, 'exit 3\n');
  await session.closed;
  t.same(JSON.parse(session.errorChannel), {
    metadata: {},
    status: 'Failure',
    message: 'command terminated with non-zero exit code: error executing command [console], exit code 3',
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: '3' }] },
  });
  t.equal(ws.readyState, ws.CLOSED);
});

t.test('v5 half-close ends stdin and a clean exit reports Success', async (t) => {
  const ws = connect(stack, 'default', 'm1', { token: ALICE, query: 'stdin=true&tty=false' });
  const session = new SessionReader(ws);
  await session.opened();
  session.send(0, 'echo before-eof\n');
  await session.waitFor('before-eof');
  ws.send(Buffer.from([255, 0]));
  await session.closed;
  t.same(JSON.parse(session.errorChannel), { metadata: {}, status: 'Success' });
});

t.test('v4, v4.base64 and the original protocols work too', async (t) => {
  for (const [protocol, base64] of [
    ['v4.channel.k8s.io', false],
    ['v4.base64.channel.k8s.io', true],
    ['base64.channel.k8s.io', true],
    ['channel.k8s.io', false],
  ] as const) {
    const { ws, session } = await runShell(t, protocol, base64);
    session.send(0, 'exit 0\n');
    await session.closed;
    if (protocol.startsWith('v4')) t.same(JSON.parse(session.errorChannel), { metadata: {}, status: 'Success' }, `${protocol}: Success`);
    else t.equal(session.errorChannel, '', `${protocol}: nothing on the error channel for success`);
    ws.terminate();
  }
});

t.test('a browser-style client authenticates with the bearer subprotocol', async (t) => {
  const ws = connect(stack, 'default', 'm1', { token: ALICE, bearerSubprotocol: true });
  const session = new SessionReader(ws);
  await session.opened();
  t.equal(ws.protocol, 'v5.channel.k8s.io', 'the token subprotocol is never echoed');
  session.send(0, 'echo hi-$((1+1))\n');
  await session.waitFor('hi-2');
  ws.close();
});

t.test('errors before the upgrade are Kubernetes Status responses', async (t) => {
  const cases: [string, () => ReturnType<typeof connect>, number, RegExp][] = [
    // kube-apiserver's bare 401 whatever the reason: the reason is in the gateway's log.
    ['no credentials', () => connect(stack, 'default', 'm1'), 401, /^Unauthorized$/],
    ['wrong token', () => connect(stack, 'default', 'm1', { token: 'nope' }), 401, /^Unauthorized$/],
    ['bad bearer subprotocol', () => connect(stack, 'default', 'm1', { protocols: ['v5.channel.k8s.io', 'base64url.bearer.authorization.k8s.io.a'] }), 401, /^Unauthorized$/],
    ['not allowed (SAR deny)', () => connect(stack, 'default', 'm1', { token: BOB }), 403, /User "bob" cannot create resource "machines\/exec"/],
    ['allowed in another namespace only', () => connect(stack, 'other', 'm1', { token: ALICE }), 403, /in the namespace "other"/],
    ['machine not found', () => connect(stack, 'default', 'ghost', { token: ALICE }), 404, /machines.compute.ironcore.dev "ghost" not found/],
    ['no pool assigned', () => connect(stack, 'default', 'unscheduled', { token: ALICE }), 400, /machine unscheduled has no machine pool assigned/],
    ['pool missing', () => connect(stack, 'default', 'orphan', { token: ALICE }), 404, /machinepools.compute.ironcore.dev "missing-pool" not found/],
    ['upper-case namespace', () => connect(stack, 'Default', 'm1', { token: ALICE }), 400, /invalid namespace "Default"/],
    ['encoded slash in the name', () => connect(stack, 'default', 'a%2Fb', { token: ALICE }), 400, /invalid machine name "a%2Fb"/],
    ['300-character name', () => connect(stack, 'default', 'a'.repeat(300), { token: ALICE }), 400, /no more than 253 characters/],
    ['no channel subprotocol', () => connect(stack, 'default', 'm1', { token: ALICE, protocols: ['chat'] }), 400, /no supported subprotocol/],
    ['bad query value', () => connect(stack, 'default', 'm1', { token: ALICE, query: 'tty=maybe' }), 400, /query parameter tty must be true, false, 1 or 0/],
    ['bad replay offset', () => connect(stack, 'default', 'm1', { token: ALICE, query: 'replayFrom=-1' }), 400, /query parameter replayFrom must be a console output offset/],
    ['foreign origin (a browser: the token in the subprotocol)', () => connect(stack, 'default', 'm1', { token: ALICE, bearerSubprotocol: true, headers: { origin: 'https://evil.example' } }), 403, /origin "https:\/\/evil.example" is not allowed/],
  ];
  for (const [name, open, code, message] of cases) {
    const { code: got, status } = await refusal(open());
    t.equal(got, code, `${name}: HTTP ${code}`);
    t.equal(status.code, code, `${name}: Status code`);
    t.match(status.message, message, name);
  }
});

/** A plain HTTPS request to the gateway: its status code and body. */
function plainRequest(path: string, method = 'GET'): Promise<{ statusCode: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`https://127.0.0.1:${stack.gateway.port}${path}`, { method, ca: stack.ca.cert, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('a path no route serves gets a 404 Status, not silence', async (t) => {
  const { statusCode, body } = await plainRequest('/nothing/here');
  t.equal(statusCode, 404);
  t.match(JSON.parse(body), { kind: 'Status', code: 404, reason: 'NotFound' });
});

t.test('a plain HTTP request to the endpoint gets 400 with a Status', async (t) => {
  const { statusCode, body } = await plainRequest(execPath('default', 'm1'), 'POST');
  t.equal(statusCode, 400);
  t.match(JSON.parse(body), { kind: 'Status', code: 400, message: /an upgrade: a websocket .* or SPDY\/3.1/ });
});

t.test('a client protocol error ends that session with 400 on the error channel', async (t) => {
  for (const [name, message, expected] of [
    ['bad resize', Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":-1,"Height":5}')]), /Width must be an integer/],
    ['unknown channel', Buffer.from([7, 1, 2]), /channel 7 is not writable/],
  ] as const) {
    const ws = connect(stack, 'default', 'm1', { token: ALICE });
    const session = new SessionReader(ws);
    await session.opened();
    ws.send(message);
    await session.closed;
    const status = JSON.parse(session.errorChannel);
    t.equal(status.status, 'Failure', name);
    t.match(status.message, expected, name);
  }
});

t.test('logs tell who opened what, and never hold tokens or console bytes', async (t) => {
  const joined = stack.logs.join('');
  t.match(joined, /"msg":"console session opened"/);
  t.match(joined, /"msg":"console session closed"/);
  t.match(joined, /"user":"alice"/);
  t.notMatch(joined, ALICE, 'no token');
  t.notMatch(joined, 'answer-42', 'no console output');
  t.notMatch(joined, 'stty size', 'no console input');
});
