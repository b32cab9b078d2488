// The soak (long form only: make test-reliability LONG=1, or run this file by hand): many
// interactive sessions churning for a long time (default 30 minutes at 1000 sessions; set
// SOAK_SECONDS and SOAK_SESSIONS), every byte checked as in the load test, and the gateway's
// memory and file descriptors sampled into test/output/soak-*.csv. Growth is reported; the
// test fails on any lost or damaged byte, a leaked session or descriptor, or runaway memory.
import t from 'tap';
import { fileURLToPath } from 'node:url';
import { useEchoWorld } from './fixtures/echo-world.js';
import { expectNoLeaks, footprint } from './fixtures/leak-check.js';
import { runLoadSession } from './fixtures/load-session.js';
import { mib } from './fixtures/process-stats.js';
import { between, seededRandom } from './fixtures/random.js';
import { settings } from './fixtures/settings.js';
import { SoakSampler, type Sample } from './fixtures/soak-sampler.js';
import { sleep } from './fixtures/wait.js';
import { ALICE } from './fixtures/world.js';

/** New sessions per second while ramping up, so TLS handshakes do not all land at once. */
const RAMP_PER_SECOND = 50;
/** Memory growth from the first steady sample to the last that still counts as flat. */
const RSS_GROWTH_LIMIT = 128 * 1048576;

const echo = useEchoWorld(t);

t.test(`soak: ${settings.soakSessions} churning sessions for ${settings.soakSeconds} s`, async (t) => {
  const { world, provider } = echo;
  const baseline = footprint(world.gateway);
  const random = seededRandom(settings.seed);
  const started = Date.now();
  const deadline = started + settings.soakSeconds * 1000;
  const totals = { sessions: 0, verifiedBytes: 0, problems: [] as string[] };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = fileURLToPath(new URL(`../../../test/output/soak-${stamp}.csv`, import.meta.url));
  const sampler = new SoakSampler(file, async (seconds): Promise<Sample> => ({
    seconds,
    sessionsActive: await world.gateway.sessionsActive(),
    sessionsDone: totals.sessions,
    gatewayRssBytes: world.gateway.rss(),
    gatewayFds: world.gateway.fds(),
    testRssBytes: process.memoryUsage.rss(),
    verifiedBytes: totals.verifiedBytes,
    problems: totals.problems.length,
  }));
  sampler.start(settings.soakSampleSeconds * 1000);
  t.comment(`seed ${settings.seed}; samples every ${settings.soakSampleSeconds} s in ${file}`);

  let nextSessionId = 1;
  const slot = async (index: number) => {
    await sleep((index / RAMP_PER_SECOND) * 1000);
    while (Date.now() < deadline - 5000) {
      const result = await runLoadSession({
        gateway: world.gateway, token: ALICE, machine: 'echo', sessionId: nextSessionId++, random,
        stopAt: Math.min(deadline, Date.now() + between(random, 10_000, 60_000)),
        endMode: random() < 0.7 ? 'eof' : 'close',
        resizeStormChance: 0.05,
        endTimeoutMs: 60_000,
        pace: { messageIntervalMs: 1000, maxMessageBytes: 4096 },
      });
      totals.sessions++;
      totals.verifiedBytes += result.verifiedBytes;
      totals.problems.push(...result.problems);
    }
  };
  await Promise.all(Array.from({ length: settings.soakSessions }, (_, i) => slot(i)));
  sampler.stop();

  t.same(totals.problems.slice(0, 20), [], `every session passed every check (${totals.problems.length} problems)`);
  t.comment(`${totals.sessions} sessions churned, ${mib(totals.verifiedBytes)} verified in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  // Steady state: after the ramp-up and before the wind-down (the first and last quarter).
  const samples = sampler.samples;
  const steady = samples.slice(Math.floor(samples.length / 4), Math.ceil((samples.length * 3) / 4));
  if (steady.length >= 2) {
    const first = steady[0]!;
    const last = steady[steady.length - 1]!;
    const peak = Math.max(...samples.map((s) => s.gatewayRssBytes));
    t.comment(`gateway RSS: baseline ${mib(baseline.rss)}, steady ${mib(first.gatewayRssBytes)} -> ${mib(last.gatewayRssBytes)} over ${last.seconds - first.seconds} s (${mib(last.gatewayRssBytes - first.gatewayRssBytes)}), peak ${mib(peak)}`);
    t.comment(`gateway fds: baseline ${baseline.fds}, steady ${first.gatewayFds} -> ${last.gatewayFds}, sessions ${first.sessionsActive} -> ${last.sessionsActive}`);
    t.ok(last.gatewayRssBytes - first.gatewayRssBytes < RSS_GROWTH_LIMIT, `gateway memory flat in the steady state (grew ${mib(last.gatewayRssBytes - first.gatewayRssBytes)}, limit ${mib(RSS_GROWTH_LIMIT)})`);
  }
  await expectNoLeaks(t, world.gateway, baseline, {
    fdSlack: 10,
    rssSlackBytes: 512 * 1048576,
    timeoutMs: 60_000,
    zero: { 'open consoles at the provider': () => provider.backend.openStreams },
  });
  t.comment(`after the soak: gateway RSS ${mib(world.gateway.rss())}, ${world.gateway.fds()} fds`);
});
