import t from 'tap';
import { ALICE, SessionReader, connect, refusal, startStack, type Stack } from '../fixtures/stack.js';

let stack: Stack;
t.before(async () => {
  stack = await startStack({ gateway: { upstream: 'websocket' } });
});
t.teardown(() => stack.close());

t.test('websocket upstream: a shell through the per-machine endpoint, resize and exit code', async (t) => {
  const ws = connect(stack, 'default', 'm1', { token: ALICE });
  const session = new SessionReader(ws);
  await session.opened();
  session.send(0, 'echo ws-up-$((6*7))\n');
  await session.waitFor('ws-up-42');
  session.send(4, JSON.stringify({ Width: 99, Height: 33 }));
  session.send(0, 'stty size\n');
  await session.waitFor('33 99');
  session.send(0, 'exit 5\n');
  await session.closed;
  t.match(JSON.parse(session.errorChannel), { status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '5' }] } });
});

t.test('websocket upstream: bulk output arrives whole and in order', async (t) => {
  const ws = connect(stack, 'default', 'm1', { token: ALICE, query: 'stdin=true&tty=false' });
  const session = new SessionReader(ws);
  await session.opened();
  // Each line carries a marker: the PTY may echo the command before the shell prints its
  // prompt, so the first line can arrive as "$ L1".
  session.send(0, "seq -f 'L%g' 1 20000; echo seq-$((1+1))-done\n");
  await session.waitFor('seq-2-done');
  const numbers = session.output.split(/\r?\n/).flatMap((l) => /L(\d+)$/.exec(l)?.slice(1) ?? []).map(Number);
  t.same(numbers, Array.from({ length: 20000 }, (_, i) => i + 1), '20000 lines, none lost or reordered');
  ws.close();
});

t.test("websocket upstream: a provider's Status about the console keeps its code", async (t) => {
  const exclusive = await startStack({ sharing: 'exclusive', gateway: { upstream: 'websocket' } });
  t.teardown(() => exclusive.close());
  const first = new SessionReader(connect(exclusive, 'default', 'm1', { token: ALICE }));
  await first.opened();
  const { code, status } = await refusal(connect(exclusive, 'default', 'm1', { token: ALICE }));
  t.equal(code, 409, 'an exclusive console in use is a Conflict, as over the link');
  t.match(status, { code: 409, reason: 'Conflict' });
  first.ws.close();
});

t.test('websocket upstream: an unreachable provider is a 503 Status', async (t) => {
  await stack.provider.close(false);
  const { code, status } = await refusal(connect(stack, 'default', 'm1', { token: ALICE }));
  t.equal(code, 503);
  t.match(status.message, /unreachable/);
});
