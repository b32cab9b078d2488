// Integrity under load: many sessions at once stream checked records through the gateway
// process and a provider to echoing consoles and back, with random message sizes (1 byte to
// the gateway's 1 MiB limit), resize storms, and sessions opening and closing all the time.
// Every byte must come back once, in order, on its own session; nothing may be left behind.
import t from 'tap';
import { useEchoWorld } from './fixtures/echo-world.js';
import { expectNoLeaks, footprint } from './fixtures/leak-check.js';
import { runLoadSession, type LoadSessionResult } from './fixtures/load-session.js';
import { ConsoleClient } from './fixtures/console-client.js';
import { mib } from './fixtures/process-stats.js';
import { between, seededRandom } from './fixtures/random.js';
import { settings } from './fixtures/settings.js';
import { ALICE, type World } from './fixtures/world.js';
import { DEFAULT_STREAM_WINDOW } from '../../lib/link/index.js';

const echo = useEchoWorld(t);

/** Opens and echoes a few sessions at once, so links and caches exist before the baseline. */
async function warmUp(world: World): Promise<void> {
  const clients = await Promise.all(Array.from({ length: 4 }, () => ConsoleClient.open(world.gateway, 'default', 'echo', { token: ALICE })));
  await Promise.all(clients.map((client, i) => client.echo(`warm-up-${i}`)));
  for (const client of clients) client.ws.close();
  await Promise.all(clients.map((client) => client.closed));
}

t.test('every byte comes back once, in order, on its own session, under load and churn', async (t) => {
  const { world, provider } = echo;
  await warmUp(world);
  const baseline = footprint(world.gateway);
  const random = seededRandom(settings.seed);
  const started = Date.now();
  const deadline = started + settings.loadSeconds * 1000;
  t.comment(`seed ${settings.seed}: ${settings.loadSessions} concurrent sessions for ${settings.loadSeconds} s`);

  let nextSessionId = 1;
  const results: LoadSessionResult[] = [];
  // Each slot runs sessions back to back until the deadline: the churn.
  const slot = async () => {
    while (Date.now() < deadline - 1000) {
      const lifetime = between(random, 1000, 10_000);
      results.push(await runLoadSession({
        gateway: world.gateway,
        token: ALICE,
        machine: 'echo',
        sessionId: nextSessionId++,
        random,
        stopAt: Math.min(deadline, Date.now() + lifetime),
        endMode: random() < 0.7 ? 'eof' : 'close',
        resizeStormChance: 0.02,
        endTimeoutMs: 60_000,
      }));
    }
  };
  await Promise.all(Array.from({ length: settings.loadSessions }, slot));
  const elapsed = (Date.now() - started) / 1000;

  const problems = results.flatMap((result) => result.problems);
  t.same(problems.slice(0, 20), [], 'every session passed every check');
  const total = (field: 'sentBytes' | 'verifiedBytes' | 'messages' | 'resizes') => results.reduce((sum, r) => sum + r[field], 0);
  const verified = total('verifiedBytes');
  const eofResizes = results.filter((r) => r.endMode === 'eof').reduce((sum, r) => sum + r.resizes, 0);
  t.ok(results.length >= settings.loadSessions, `${results.length} sessions churned`);
  t.ok(verified > 0, 'bytes were verified');
  t.ok(Math.max(...results.map((r) => r.largestMessage)) > 512 * 1024, 'messages near the 1 MiB limit were sent');
  // Resizes of sessions that ended cleanly must all have arrived; the others' may have been cut off.
  t.ok(provider.backend.resizes >= eofResizes && provider.backend.resizes <= total('resizes'),
    `${provider.backend.resizes} resizes reached consoles (${eofResizes} from clean sessions, ${total('resizes')} sent)`);
  t.comment(`${results.length} sessions churned in ${elapsed.toFixed(0)} s (${results.filter((r) => r.endMode === 'eof').length} ended by stdin EOF, the rest by a close frame)`);
  t.comment(`${mib(verified)} verified in ${total('messages')} messages (largest ${Math.max(...results.map((r) => r.largestMessage))} bytes), ${mib(verified / elapsed)}/s; ${total('resizes')} resizes sent`);

  const peak = world.gateway.rss();
  await expectNoLeaks(t, world.gateway, baseline, {
    fdSlack: 8,
    // The allocator keeps the pages of the peak, which the design bounds per session: up to
    // 1 MiB of stdin held, a 1 MiB output window, the client watermark and a 1 MiB message
    // being received. Growth over time is the soak's to catch.
    rssSlackBytes: 64 * 1048576 + settings.loadSessions * (DEFAULT_STREAM_WINDOW + 2 * 1048576),
    zero: { 'open console streams on the provider': () => provider.backend.openStreams },
  });
  t.comment(`gateway RSS: baseline ${mib(baseline.rss)}, after load ${mib(peak)}, settled ${mib(world.gateway.rss())}; fds baseline ${baseline.fds}, settled ${world.gateway.fds()}`);
});
