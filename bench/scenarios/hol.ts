// hol: head-of-line blocking. 100 interactive sessions type while one bulk reader on the same
// provider link has stopped reading (the gateway runs with a single link per provider, so all
// of them share it). The interactive round trip's p99 is compared with the same run without the
// stalled reader. The peers without a shared link run the same, for reference.
import { bulkMachine, echoMachine } from '../workload.js';
import { settle, withBench } from '../harness/bench-env.js';
import { LoadGenerators } from '../harness/load-generators.js';
import type { Peer, PeerName } from '../harness/stack.js';
import type { LatencySummary } from '../histogram.js';
import { bytesLabel, markdownTable, millis, ratio } from '../report/format.js';
import { beginReport, finishReport, type ScenarioOutcome, type ScenarioReport } from '../report/results.js';

export interface HolConfig {
  interactive: number;
  keysPerSecond: number;
  durationMs: number;
  /** What the stalled reader reads before it stops. */
  stallAfterBytes: number;
  peers?: PeerName[];
  generators: number;
  outDir: string;
}

export const HOL_DEFAULTS: Omit<HolConfig, 'outDir'> = {
  interactive: 100,
  keysPerSecond: 10,
  durationMs: 10_000,
  stallAfterBytes: 1 << 20,
  generators: 2,
};

/** A few sessions for a moment: proves the harness works (the smoke test, `--quick`). */
export const HOL_QUICK: Partial<HolConfig> = { interactive: 3, keysPerSecond: 20, durationMs: 200, stallAfterBytes: 256 * 1024, generators: 1 };

export interface HolRow {
  peer: PeerName;
  alone: LatencySummary;
  withStall: LatencySummary;
  stalledBytesRead: number;
  verified: boolean;
}

const ECHO = echoMachine('hol');
const BULK = bulkMachine(65536, 2 ** 36, 'hol');
/** The stalled reader's own process, on its own source address. */
const STALLER_HOST = 31;

export async function runHol(config: HolConfig): Promise<ScenarioOutcome<HolRow>> {
  const report = beginReport<HolRow>('hol', config);
  await withBench(
    { tls: false, auth: 'none', linksPerProvider: 1, peers: config.peers, generators: config.generators },
    async ({ stack, generators }) => {
      await stack.addMachines([ECHO, BULK]);
      const staller = await LoadGenerators.start(1, STALLER_HOST);
      try {
        for (const peer of stack.peers) {
          if (config.interactive + 1 > peer.maxSessions) continue;
          const alone = await typeRound(generators, peer, config);
          await staller.open({
            target: peer.target, machines: [BULK], ratePerSecond: 0, concurrency: 1,
            until: 'open', closeAfterOpen: false, timeoutMs: 10_000, deadlineMs: 10_000,
          });
          const stalledBytesRead = await staller.stall({ readBytes: config.stallAfterBytes, timeoutMs: 10_000 });
          const withStall = await typeRound(generators, peer, config);
          await staller.closeAll();
          await settle();
          report.rows.push({
            peer: peer.name,
            alone: alone.summary,
            withStall: withStall.summary,
            stalledBytesRead,
            verified: alone.verified && withStall.verified,
          });
        }
      } finally {
        await staller.stop();
      }
    },
  );
  describe(report, config);
  return { report, written: finishReport(report, config.outDir) };
}

async function typeRound(generators: LoadGenerators, peer: Peer, config: HolConfig): Promise<{ summary: LatencySummary; verified: boolean }> {
  await generators.open({
    target: peer.target,
    machines: Array.from({ length: config.interactive }, () => ECHO),
    ratePerSecond: 0,
    concurrency: 32,
    until: 'first-byte',
    closeAfterOpen: false,
    timeoutMs: 10_000,
    deadlineMs: 60_000,
  });
  const typed = await generators.type({ durationMs: config.durationMs, keysPerSecond: config.keysPerSecond, fast: 0, fastKeysPerSecond: 0, drainMs: 2000 });
  await generators.closeAll();
  await settle();
  return { summary: typed.rtt.summary(), verified: typed.sent > 0 && typed.verified === typed.sent && typed.mismatched === 0 };
}

function describe(report: ScenarioReport<HolRow>, config: HolConfig): void {
  report.tables.push({
    title:
      `hol: interactive echo round trip in ms, ${config.interactive} sessions at ${config.keysPerSecond} keys/s, alone and with one ` +
      `reader that stopped after ${bytesLabel(config.stallAfterBytes)} (gateway: one link to the provider)`,
    markdown: markdownTable(
      ['peer', 'p50 alone', 'p99 alone', 'p50 with stall', 'p99 with stall', 'p99 stall ÷ alone', 'verified'],
      report.rows.map((r) => [
        r.peer,
        millis(r.alone.p50Ms),
        millis(r.alone.p99Ms),
        millis(r.withStall.p50Ms),
        millis(r.withStall.p99Ms),
        ratio(r.withStall.p99Ms, r.alone.p99Ms),
        r.verified ? 'yes' : 'NO',
      ]),
    ),
  });
  report.charts.push({
    title: 'interactive p99 alone and with a stalled reader',
    unit: 'ms',
    groups: ['p99 alone', 'p99 with stall'],
    series: report.rows.map((r) => ({ name: r.peer, values: [r.alone.p99Ms, r.withStall.p99Ms] })),
  });
  const gateway = report.rows.find((r) => r.peer === 'gateway');
  report.targets.push({
    target: 'hol: gateway interactive p99 with a stalled reader within 2× of the run without',
    met: gateway ? gateway.withStall.p99Ms <= 2 * gateway.alone.p99Ms : undefined,
    detail: gateway ? `${millis(gateway.withStall.p99Ms)} vs ${millis(gateway.alone.p99Ms)} ms = ${ratio(gateway.withStall.p99Ms, gateway.alone.p99Ms)}` : 'not measured',
  });
}
