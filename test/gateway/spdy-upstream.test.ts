// `--upstream spdy`: the gateway reaches a machinepoollet the way ironcore-apiserver does, one
// SPDY/3.1 POST per session to the per-machine exec path with its client certificate, and the
// machinepoollet authorizes it (machinepools/proxy, `create` for POST). Users connect to the
// gateway with websocket clients; stdin EOF reaches the console, which SPDY can half-close.
import t from 'tap';
import { ALICE, SessionReader, connect, refusal } from '../fixtures/stack.js';
import { machinepoolletSpdy } from '../fixtures/machinepoollet-provider.js';
import { DENIED_POOL, startMachinepoolletWorld } from '../fixtures/machinepoollet-world.js';

const world = await startMachinepoolletWorld('spdy', 'create');
const stack = world.stack;
t.teardown(() => world.close());
const pool = (name: string) => world.pool(name, { spdy: machinepoolletSpdy });

t.test('a websocket client through a SPDY machinepoollet: type, resize, exit code', async (t) => {
  await pool('spdy-pool');
  const session = new SessionReader(connect(stack, 'default', 'spdy-pool-m', { token: ALICE }));
  await session.opened();
  session.send(0, 'echo over-spdy-$((6*7))\n');
  await session.waitFor('over-spdy-42');
  session.send(4, JSON.stringify({ Width: 101, Height: 31 }));
  session.send(0, 'stty size\n');
  await session.waitFor('31 101');
  session.send(0, 'exit 3\n');
  await session.closed;
  t.match(JSON.parse(session.errorChannel), { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
});

t.test('v5 stdin EOF reaches the console over SPDY', async (t) => {
  await pool('eof-pool');
  const session = new SessionReader(connect(stack, 'default', 'eof-pool-m', { token: ALICE }));
  await session.opened();
  session.send(0, 'echo before-eof-$((2+2))\n');
  await session.waitFor('before-eof-4');
  session.ws.send(Buffer.from([255, 0]));
  await session.closed;
  t.same(JSON.parse(session.errorChannel), { metadata: {}, status: 'Success' }, 'the shell read EOF and exited 0');
});

t.test('a machinepoollet that refuses the gateway reaches the user as a 502 naming its answer', async (t) => {
  await pool(DENIED_POOL);
  const { code, status } = await refusal(connect(stack, 'default', `${DENIED_POOL}-m`, { token: ALICE }));
  t.equal(code, 502);
  t.match(status.message, /refused the console upgrade: HTTP 403 Forbidden: Forbidden/);
});
