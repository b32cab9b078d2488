// Gateway replicas are stateless: the console's write lock, viewers and scrollback live in the
// provider, so sessions through different gateways share one console.
import t from 'tap';
import { ALICE, SessionReader, connectTo, startStack, type Stack } from '../fixtures/stack.js';

let stack: Stack;
t.before(async () => {
  stack = await startStack({ sharing: 'shared' });
});
t.teardown(() => stack.close());

t.test('a writer via gateway A and a viewer via gateway B share the console; takeover crosses replicas', async (t) => {
  const urlB = await stack.addGateway();
  t.not(urlB, stack.url, 'two gateways');

  const writer = new SessionReader(connectTo(stack.url, stack, 'default', 'm1', { token: ALICE }));
  await writer.opened();
  writer.send(0, 'echo from-a-$((2*21))\n');
  await writer.waitFor('from-a-42');

  const viewer = new SessionReader(connectTo(urlB, stack, 'default', 'm1', { token: ALICE }));
  await viewer.opened();
  await viewer.waitFor('from-a-42', 5000); // the scrollback replay
  writer.send(0, 'echo live-$((3*3))\n');
  await viewer.waitFor('live-9');

  viewer.send(0, 'echo sneaky\n');
  await viewer.waitFor(/read-only/);
  t.notMatch(writer.output, 'sneaky', "the viewer's input does not reach the console");

  const taker = new SessionReader(connectTo(urlB, stack, 'default', 'm1', { token: ALICE, query: 'stdin=true&tty=true&takeover=true' }));
  await taker.opened();
  taker.send(0, 'echo taken-$((5+5))\n');
  await writer.waitFor('taken-10');
  t.pass("the takeover via B writes, and A's session sees it");
  writer.send(0, 'echo old-writer\n');
  await writer.waitFor(/read-only|taken over/);

  for (const s of [writer, viewer, taker]) s.ws.close();
  await Promise.all([writer.closed, viewer.closed, taker.closed]);
});
