// Output that reaches a session before its client is attached (a shared console's replay,
// here larger than the stream window) is sent at attach, and its credit is returned then:
// without that, a client whose socket takes the replay at once (no drain ever follows) would
// leave the provider without credit and the session stalled for good.
import t from 'tap';
import { ALICE, SessionReader, connect, startStack, type Stack } from '../fixtures/stack.js';

const WINDOW = 4096;

let stack: Stack;
t.before(async () => {
  stack = await startStack({ sharing: 'shared', scrollbackBytes: 64 * 1024, gateway: { streamWindowBytes: WINDOW } });
});
t.teardown(() => stack?.close());

t.test('a session attached after a replay larger than its window keeps flowing', async (t) => {
  const writer = new SessionReader(connect(stack, 'default', 'm1', { token: ALICE }));
  await writer.opened();
  // 18 KB of scrollback (over four windows) for the next session on this console.
  writer.send(0, 'yes 0123456789abcdef | head -n 1000; echo filled-$((2*3))\n');
  await writer.waitFor('filled-6', 30_000);

  const viewer = new SessionReader(connect(stack, 'default', 'm1', { token: ALICE }));
  await viewer.opened();
  await viewer.waitFor('filled-6', 30_000);
  writer.send(0, 'echo after-replay-$((6*7))\n');
  await viewer.waitFor('after-replay-42', 30_000);
  t.pass('the replay arrived whole, and output after it too');
  for (const session of [viewer, writer]) {
    session.ws.close();
    await session.closed;
  }
});
