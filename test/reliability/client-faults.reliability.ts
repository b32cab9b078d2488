// Clients that go away badly, against the gateway process: the TCP connection dropped without
// a close frame (while output and input are in flight), half-closed, dropped after it stopped
// reading, or dropped while its upgrade was still being authorized. The gateway must reclaim
// each session (ironcore_console_sessions_active back to 0), release its console at the
// provider, and hold no more file descriptors or memory than before.
import t from 'tap';
import type { Socket } from 'node:net';
import { ConsoleClient } from './fixtures/console-client.js';
import type { EchoProvider } from './fixtures/echo-provider.js';
import { startEchoWorld, type EchoWorld } from './fixtures/echo-world.js';
import { expectNoLeaks, footprint, type Footprint } from './fixtures/leak-check.js';
import { RawConnection } from './fixtures/raw-connection.js';
import { upgradeRequest } from './fixtures/upgrade-request.js';
import { sleep, waitFor } from './fixtures/wait.js';
import { ALICE, spareToken, type World } from './fixtures/world.js';

let echo: EchoWorld;
let world: World;
let provider: EchoProvider;
let baseline: Footprint;

t.before(async () => {
  echo = await startEchoWorld();
  ({ world, provider } = echo);
  baseline = footprint(world.gateway);
});

t.teardown(async () => {
  world?.kube.setLatency(0);
  await echo?.close();
});

/** The TCP/TLS socket under a `ws` client, to break it the way a network does. */
function socketOf(client: ConsoleClient): Socket {
  return (client.ws as unknown as { _socket: Socket })._socket;
}

/** Opens `count` sessions that each have stdin and echoed output in flight. */
async function busySessions(count: number): Promise<ConsoleClient[]> {
  const clients = await Promise.all(Array.from({ length: count }, () => ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE })));
  for (let round = 0; round < 8; round++) for (const client of clients) client.send(0, Buffer.alloc(32 * 1024, 0x61 + round));
  await Promise.all(clients.map((client) => client.until(() => client.stdout.length > 0, 'output in flight', 10_000)));
  return clients;
}

const noConsoles = { 'open consoles at the provider': () => provider.backend.openStreams };

t.test('clients that vanish without a close frame, mid-traffic: every session is reclaimed', async (t) => {
  const clients = await busySessions(10);
  t.equal(await world.gateway.sessionsActive(), 10, '10 sessions open');
  for (const client of clients) socketOf(client).destroy();
  await expectNoLeaks(t, world.gateway, baseline, { zero: noConsoles });
});

t.test('clients that half-close the TCP connection without a close frame: reclaimed', async (t) => {
  const clients = await busySessions(5);
  for (const client of clients) socketOf(client).end();
  await expectNoLeaks(t, world.gateway, baseline, { zero: noConsoles });
  for (const client of clients) client.ws.terminate();
});

t.test('clients that stop reading under a flood of output, then vanish: reclaimed', async (t) => {
  const clients = await Promise.all(Array.from({ length: 5 }, () => ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE })));
  for (const client of clients) socketOf(client).pause();
  // 900 KiB of stdin each: under the gateway's 1 MiB stdin hold, far over what the paused
  // reader's windows hold, so output backs up all the way into the console.
  for (let i = 0; i < 9; i++) for (const client of clients) client.send(0, Buffer.alloc(100 * 1024, 0x30 + i));
  await sleep(1500);
  t.equal(await world.gateway.sessionsActive(), 5, 'the stalled sessions are still open (a slow reader is no fault)');
  for (const client of clients) socketOf(client).destroy();
  await expectNoLeaks(t, world.gateway, baseline, { zero: noConsoles });
});

t.test('a client that vanishes while its upgrade is being authorized: the console opened for it is closed', async (t) => {
  const opened = provider.backend.opened;
  world.kube.setLatency(1000); // each of TokenReview, SubjectAccessReview and the machine GET
  const connections = await Promise.all(Array.from({ length: 5 }, () => RawConnection.open(world.gateway.port, world.gateway.ca)));
  connections.forEach((connection, i) => connection.write(upgradeRequest({ token: spareToken(i) })));
  await sleep(300);
  for (const connection of connections) {
    t.equal(connection.statusCode, undefined, 'no answer yet');
    connection.destroy();
  }
  await waitFor(() => provider.backend.opened >= opened + 5, 'the gateway to finish the opens it had started', 30_000);
  world.kube.setLatency(0);
  t.pass('the gateway went on to open the consoles');
  await expectNoLeaks(t, world.gateway, baseline, { zero: noConsoles });
  t.equal(await world.gateway.sessionsActive(), 0, 'and never counted them as sessions');
});
