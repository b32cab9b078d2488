// The gateway pings a quiet client itself (so load balancers never cut an idle console) and
// answers the client's pings (client-go's websocket executor pings every 5 s and gives up after
// 61 s without an answer).
import t from 'tap';
import { ALICE, SessionReader, connect, startStack } from '../fixtures/stack.js';

t.test('a quiet session is pinged by the gateway and answered when it pings', async (t) => {
  const stack = await startStack({ gateway: { idleTimeoutSeconds: 8 } });
  t.teardown(() => stack.close());
  const ws = connect(stack, 'default', 'm1', { token: ALICE });
  const session = new SessionReader(ws);
  await session.opened();
  await session.waitFor('$ ');
  // Without the gateway's ping this waits out the test's timeout: nothing else is sent.
  await new Promise<void>((resolve) => ws.once('ping', () => resolve()));
  t.pass('the gateway pinged the quiet client');
  const pong = new Promise<Buffer>((resolve) => ws.once('pong', resolve));
  ws.ping('client-go');
  t.equal((await pong).toString(), 'client-go', 'the client\'s ping is answered with its payload');
  session.send(0, 'echo still-$((40+2))\n');
  await session.waitFor('still-42');
  ws.close();
});
