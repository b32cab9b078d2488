// The per-session upstreams' stdin overrun rule (PerSessionStream, stdinOverrun): uWS cannot
// stop reading a client, so stdin a provider does not take waits in the gateway's connection
// to it, up to a bound; past it the session ends with a 429 Status instead of dropping keys or
// growing without bound. Here the machinepoollet fixture stops reading once the session is
// open, over one websocket and over SPDY/3.1, and a client writes stdin as fast as it can.
import t from 'tap';
import { ALICE, SessionReader, connect } from '../fixtures/stack.js';
import { machinepoolletSpdy } from '../fixtures/machinepoollet-provider.js';
import { startMachinepoolletWorld } from '../fixtures/machinepoollet-world.js';

const CHUNK_BYTES = 256 * 1024;
/** Bounds of one flood: well past loopback's socket buffers plus the gateway's 1 MiB hold. */
const MAX_SENT_BYTES = 64 * 1024 * 1024;
const MAX_FLOOD_MS = 30_000;

/** Sends stdin while the client's own buffer has room, until the session closes or a bound is hit. */
async function flood(session: SessionReader): Promise<{ sent: number; closed: boolean }> {
  let closed = false;
  void session.closed.then(() => (closed = true));
  const message = Buffer.alloc(1 + CHUNK_BYTES, 'y');
  message[0] = 0;
  const deadline = Date.now() + MAX_FLOOD_MS;
  let sent = 0;
  while (!closed && sent < MAX_SENT_BYTES && Date.now() < deadline) {
    if (session.ws.bufferedAmount < 4 * CHUNK_BYTES) {
      session.ws.send(message);
      sent += CHUNK_BYTES;
    }
    // The gateway and the fixture run in this process: let them read.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { sent, closed };
}

for (const mode of ['websocket', 'spdy'] as const) {
  t.test(`${mode} upstream: stdin the provider does not take ends the session with a 429, others go on`, async (t) => {
    const world = await startMachinepoolletWorld(mode, mode === 'spdy' ? 'create' : 'get');
    t.teardown(() => world.close());
    const half = mode === 'spdy' ? { spdy: machinepoolletSpdy } : {};
    await world.pool('stalled-pool', { ...half, readsInput: false });
    await world.pool('healthy-pool', half);

    const stalled = new SessionReader(connect(world.stack, 'default', 'stalled-pool-m', { token: ALICE }));
    await stalled.opened();
    const { sent, closed } = await flood(stalled);
    t.ok(closed, `the gateway ended the session (after ${sent} bytes of stdin)`);
    t.ok(sent > 1024 * 1024, 'not before the hold limit was passed');
    if (closed) {
      t.match(JSON.parse(stalled.errorChannel), { status: 'Failure', code: 429, reason: 'TooManyRequests', message: /^stdin overran: the console accepted no input while \d+ bytes were waiting \(limit 1048576\)$/ });
    }

    const healthy = new SessionReader(connect(world.stack, 'default', 'healthy-pool-m', { token: ALICE }));
    await healthy.opened();
    healthy.send(0, 'echo still-$((20+22))\n');
    await healthy.waitFor('still-42');
    healthy.send(0, 'exit 0\n');
    await healthy.closed;
    t.same(JSON.parse(healthy.errorChannel), { metadata: {}, status: 'Success' }, 'the gateway serves the next session');
  });
}
