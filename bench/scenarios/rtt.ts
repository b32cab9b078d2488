// rtt: keystroke echo round trips through each peer while 1, 100 and 1000 sessions type at
// about 10 keys a second each, plus a few fast typists (key repeat, a paste). Reported:
// p50/p99/p99.9, what each hop adds to the direct path's p99, and the CPU time the hop and the
// provider spent per 1000 keystrokes.
import { echoMachine } from '../workload.js';
import { settle, withBench } from '../harness/bench-env.js';
import { startCpuWindow } from '../harness/proc-stats.js';
import type { PeerName } from '../harness/stack.js';
import type { LatencySummary } from '../histogram.js';
import { decimal, markdownTable, millis, ratio } from '../report/format.js';
import { beginReport, finishReport, type ScenarioOutcome, type ScenarioReport } from '../report/results.js';

export interface RttConfig {
  /** Sessions typing at keysPerSecond, one measurement each. */
  levels: number[];
  /** Fast typists added to every level. */
  fastTypists: number;
  keysPerSecond: number;
  fastKeysPerSecond: number;
  durationMs: number;
  /** Sessions opened per second before typing starts. */
  openRate: number;
  peers?: PeerName[];
  generators: number;
  outDir: string;
}

export const RTT_DEFAULTS: Omit<RttConfig, 'outDir'> = {
  levels: [1, 100, 1000],
  fastTypists: 4,
  keysPerSecond: 10,
  fastKeysPerSecond: 100,
  durationMs: 10_000,
  openRate: 1000,
  generators: 2,
};

/** A few sessions for a moment: proves the harness works (the smoke test, `--quick`). */
export const RTT_QUICK: Partial<RttConfig> = { levels: [2], fastTypists: 1, durationMs: 200, generators: 1 };

export interface RttRow extends LatencySummary {
  peer: PeerName;
  /** Typists at keysPerSecond (fast typists come on top). */
  sessions: number;
  sent: number;
  verified: number;
  mismatched: number;
  openFailures: number;
  /** CPU time the hop process (and the provider) spent per 1000 keystrokes echoed. */
  hopCpuMsPerThousandKeys: number | undefined;
  providerCpuMsPerThousandKeys: number;
}

const MACHINE = echoMachine('rtt');

export async function runRtt(config: RttConfig): Promise<ScenarioOutcome<RttRow>> {
  const report = beginReport<RttRow>('rtt', config);
  await withBench({ tls: false, auth: 'none', peers: config.peers, generators: config.generators }, async ({ stack, generators }) => {
    await stack.addMachines([MACHINE]);
    for (const level of config.levels) {
      const sessions = level + config.fastTypists;
      for (const peer of stack.peers) {
        if (sessions > peer.maxSessions) continue;
        const open = await generators.open({
          target: peer.target,
          machines: Array.from({ length: sessions }, () => MACHINE),
          ratePerSecond: config.openRate,
          concurrency: 64,
          until: 'first-byte',
          closeAfterOpen: false,
          timeoutMs: 10_000,
          deadlineMs: 120_000,
        });
        const pids = [peer.hopPid, stack.provider.pid].filter((pid): pid is number => pid !== undefined);
        const cpu = startCpuWindow(pids);
        const typed = await generators.type({
          durationMs: config.durationMs,
          keysPerSecond: config.keysPerSecond,
          fast: config.fastTypists,
          fastKeysPerSecond: config.fastKeysPerSecond,
          drainMs: 2000,
        });
        const spent = cpu();
        await generators.closeAll();
        await settle();
        report.rows.push({
          peer: peer.name,
          sessions: level,
          sent: typed.sent,
          verified: typed.verified,
          mismatched: typed.mismatched,
          openFailures: open.failed,
          hopCpuMsPerThousandKeys: peer.hopPid === undefined ? undefined : (spent.get(peer.hopPid)! * 1e6) / typed.sent,
          providerCpuMsPerThousandKeys: (spent.get(stack.provider.pid)! * 1e6) / typed.sent,
          ...typed.rtt.summary(),
        });
      }
    }
  });
  describe(report, config);
  return { report, written: finishReport(report, config.outDir) };
}

function describe(report: ScenarioReport<RttRow>, config: RttConfig): void {
  const find = (level: number, peer: PeerName) => report.rows.find((r) => r.sessions === level && r.peer === peer);
  const added = (row: RttRow | undefined) => {
    const direct = row && find(row.sessions, 'direct');
    return row && direct ? row.p99Ms - direct.p99Ms : undefined;
  };
  report.tables.push({
    title:
      `rtt: keystroke echo round trip in ms (${config.keysPerSecond} keys/s per session + ${config.fastTypists} typists at ` +
      `${config.fastKeysPerSecond} keys/s, ${config.durationMs} ms per cell); "added" is p99 minus direct's p99`,
    markdown: markdownTable(
      ['sessions', 'peer', 'keys', 'p50', 'p99', 'p99.9', 'max', 'added p99', 'added p99 × ws-proxy', 'p99 × tcp-relay', 'hop CPU ms/1000 keys', 'provider CPU ms/1000 keys', 'verified'],
      report.rows.map((r) => [
        String(r.sessions),
        r.peer,
        String(r.sent),
        millis(r.p50Ms),
        millis(r.p99Ms),
        millis(r.p999Ms),
        millis(r.maxMs),
        r.peer === 'direct' ? '—' : millis(added(r)!),
        r.peer === 'direct' ? '—' : ratio(added(r), added(find(r.sessions, 'ws-proxy'))),
        ratio(r.p99Ms, find(r.sessions, 'tcp-relay')?.p99Ms),
        decimal(r.hopCpuMsPerThousandKeys, 1),
        decimal(r.providerCpuMsPerThousandKeys, 1),
        r.verified === r.sent && r.mismatched === 0 && r.sent > 0 ? 'yes' : `NO (${r.verified}/${r.sent}, ${r.mismatched} bad)`,
      ]),
    ),
  });
  const peers = [...new Set(report.rows.map((r) => r.peer))];
  for (const level of config.levels) {
    report.charts.push({
      title: `rtt with ${level} typing sessions (+${config.fastTypists} fast)`,
      unit: 'ms',
      groups: ['p50', 'p99', 'p99.9'],
      series: peers.map((peer) => {
        const row = find(level, peer);
        return { name: peer, values: row ? [row.p50Ms, row.p99Ms, row.p999Ms] : [] };
      }),
    });
  }
  const top = Math.max(...config.levels);
  const gateway = added(find(top, 'gateway'));
  const proxy = added(find(top, 'ws-proxy'));
  report.targets.push({
    target: `gateway's added p99 over direct at ${top} sessions ≤ 1/3 of ws-proxy's and ≤ 0.2 ms`,
    met: top < 1000 || gateway === undefined || proxy === undefined ? undefined : gateway <= proxy / 3 && gateway <= 0.2,
    detail:
      gateway === undefined || proxy === undefined
        ? 'not measured'
        : `gateway +${millis(gateway)} ms, ws-proxy +${millis(proxy)} ms (${ratio(gateway, proxy)})${top < 1000 ? '; the target is for 1000 sessions' : ''}`,
  });
}
