// A gateway SIGTERM with sessions open and traffic in both directions: after its grace period
// every session must get the shutdown Status on its error channel (not a bare reset), what came
// back before must be intact, the gateway must exit 0 and the provider release every console.
// The hard case is a client that is still typing and happens to be busy (a GC pause, a slow
// terminal) for a moment just as the grace period ends: the Status then still sits in the
// gateway's send buffer, and closing the connection at once (with its input unread, which
// resets it) loses the Status. A gateway that waits until its send buffer is empty, and then for
// the client, does not.
import t from 'tap';
import type { Socket } from 'node:net';
import { ConsoleClient } from './fixtures/console-client.js';
import { startEchoWorld } from './fixtures/echo-world.js';
import { runLoadSession } from './fixtures/load-session.js';
import { seededRandom } from './fixtures/random.js';
import { settings } from './fixtures/settings.js';
import { sleep, waitFor } from './fixtures/wait.js';
import { ALICE } from './fixtures/world.js';

const TYPISTS = 8;
/** Keystrokes (2 KiB each, every 2 ms) per typist at most: bounded whatever happens. */
const MAX_KEYSTROKES = 2500;
/** The world's gateway runs with --shutdown-grace 1s: its sessions are ended about 1 s after SIGTERM. */
const BUSY_FROM_MS = 700;

// Both arrangements of the public listener. uWS alone says nothing of a socket once its Status
// is with the kernel, so it waits a second (UWS_LINGER_MS) before it closes: its typists are busy
// for less than that. The SPDY front watches its clients' sockets until they close (up to 2 s
// after the drain), so its typists stay busy past the second that was once the only wait.
const ARRANGEMENTS = [
  { name: 'uWS alone', args: [], busyForMs: 700 },
  { name: 'the SPDY front (--listen-spdy)', args: ['--listen-spdy'], busyForMs: 1700 },
];

for (const arrangement of ARRANGEMENTS) {
  t.test(`${arrangement.name}: SIGTERM with sessions streaming and typing: each gets the shutdown Status, then a clean exit`, async (t) => {
    const echo = await startEchoWorld([], arrangement.args);
    t.teardown(() => echo.close());
    const { world, provider } = echo;
    const random = seededRandom(settings.seed);
    const streaming = Array.from({ length: 2 }, (_, i) => runLoadSession({
      gateway: world.gateway, token: ALICE, machine: 'echo', sessionId: i + 1, random,
      stopAt: Date.now() + 120_000, endMode: 'close', resizeStormChance: 0.01, endTimeoutMs: 30_000,
    }));
    const typists = await Promise.all(Array.from({ length: TYPISTS }, () => ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE })));
    const sockets = typists.map((typist) => (typist.ws as unknown as { _socket: Socket })._socket);
    let keystrokes = 0;
    const typing = setInterval(() => {
      if (++keystrokes > MAX_KEYSTROKES) return;
      for (const typist of typists) if (typist.closeCode === undefined) typist.send(0, Buffer.alloc(2048, 0x61));
    }, 2);
    await sleep(500);

    const exited = new Promise<number | null>((resolve) => world.gateway.running.process.once('exit', (code) => resolve(code)));
    world.gateway.running.process.kill('SIGTERM');
    await sleep(BUSY_FROM_MS);
    for (const socket of sockets) socket.pause();
    await sleep(arrangement.busyForMs);
    for (const socket of sockets) socket.resume();
    const results = await Promise.all(streaming);
    await Promise.all(typists.map((typist) => typist.waitClosed(20_000)));
    clearInterval(typing);

    for (const result of results) {
      t.same(result.problems, [], `streaming session ${result.sessionId}: what came back is intact (${result.verifiedBytes} bytes)`);
      t.match(result.status, { status: 'Failure', message: /shutting down/ }, `streaming session ${result.sessionId}: the shutdown Status (close code ${result.closeCode})`);
    }
    const told = typists.filter((typist) => /shutting down/.test(typist.status?.message ?? '')).length;
    t.equal(told, TYPISTS, `typing sessions busy for ${arrangement.busyForMs} ms at the end of the grace period that got the shutdown Status: ${told} of ${TYPISTS} (close codes ${typists.map((typist) => typist.closeCode).join(' ')})`);
    t.equal(await exited, 0, 'the gateway exits with 0');
    await waitFor(() => provider.backend.openStreams === 0, 'the provider to release every console', 15_000);
    t.pass('every console was released');
  });
}
