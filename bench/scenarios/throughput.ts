// throughput: bulk console output through each peer, in messages of 256 B, 4 KiB and 64 KiB,
// for one session and for 100 at once, over plain TCP and over TLS. Reported: MB/s (every
// byte checked), and the CPU seconds per GB that the hop process (gateway, proxy or relay) and
// the provider spent while it ran.
import { bulkMachine } from '../workload.js';
import { settle, withBench } from '../harness/bench-env.js';
import type { LoadGenerators } from '../harness/load-generators.js';
import { startCpuWindow } from '../harness/proc-stats.js';
import type { BenchStack, Peer, PeerName } from '../harness/stack.js';
import { bytesLabel, decimal, markdownTable, mbPerSecond, ratio } from '../report/format.js';
import { beginReport, finishReport, type ScenarioOutcome, type ScenarioReport } from '../report/results.js';

export interface ThroughputConfig {
  modes: ('plain' | 'tls')[];
  messageSizes: number[];
  sessionCounts: number[];
  /** How long each measurement reads. */
  durationMs: number;
  /** A short run through each peer before measuring, so the first peer does not pay for JIT warm-up. */
  warmupMs: number;
  peers?: PeerName[];
  generators: number;
  outDir: string;
}

export const THROUGHPUT_DEFAULTS: Omit<ThroughputConfig, 'outDir'> = {
  modes: ['plain', 'tls'],
  messageSizes: [256, 4096, 65536],
  sessionCounts: [1, 100],
  durationMs: 3000,
  warmupMs: 500,
  generators: 2,
};

/** A few sessions for a moment: proves the harness works (the smoke test, `--quick`). */
export const THROUGHPUT_QUICK: Partial<ThroughputConfig> = { messageSizes: [4096], sessionCounts: [2], durationMs: 200, warmupMs: 0, generators: 1 };

export interface ThroughputRow {
  mode: 'plain' | 'tls';
  peer: PeerName;
  sessions: number;
  messageBytes: number;
  bytes: number;
  bytesPerSecond: number;
  /** Every byte read matched the bulk pattern at its offset. */
  verified: boolean;
  /** Bytes per message as the client received them (a hop may split messages). */
  receivedMessageBytes: number;
  hopCpuSecondsPerGB: number | undefined;
  providerCpuSecondsPerGB: number;
  clientCpuSecondsPerGB: number;
  /** How long after the clients closed the provider still had this cell's sessions. */
  teardownMs: number;
  failures: string[];
}

/** The most a session's console prints: the bound in count (durationMs is the one in time). */
const BULK_TOTAL_BYTES = 2 ** 36;

export async function runThroughput(config: ThroughputConfig): Promise<ScenarioOutcome<ThroughputRow>> {
  const report = beginReport<ThroughputRow>('throughput', config);
  for (const mode of config.modes) {
    await withBench({ tls: mode === 'tls', auth: 'none', peers: config.peers, generators: config.generators }, async ({ stack, generators }) => {
      await stack.addMachines(config.messageSizes.map((size) => bulkMachine(size, BULK_TOTAL_BYTES)));
      if (config.warmupMs > 0) for (const peer of stack.peers) await measure(stack, generators, peer, mode, 4096, 1, config.warmupMs);
      for (const sessions of config.sessionCounts) {
        for (const size of config.messageSizes) {
          for (const peer of stack.peers) {
            if (sessions > peer.maxSessions) continue;
            report.rows.push(await measure(stack, generators, peer, mode, size, sessions, config.durationMs));
          }
        }
      }
    });
  }
  describe(report, config);
  return { report, written: finishReport(report, config.outDir) };
}

async function measure(
  stack: BenchStack,
  generators: LoadGenerators,
  peer: Peer,
  mode: 'plain' | 'tls',
  messageBytes: number,
  sessions: number,
  durationMs: number,
): Promise<ThroughputRow> {
  const open = await generators.open({
    target: peer.target,
    machines: Array.from({ length: sessions }, () => bulkMachine(messageBytes, BULK_TOTAL_BYTES)),
    ratePerSecond: 0,
    concurrency: 32,
    until: 'open',
    closeAfterOpen: false,
    timeoutMs: 10_000,
    deadlineMs: 60_000,
  });
  const pids = [peer.hopPid, stack.provider.pid, ...generators.pids].filter((pid): pid is number => pid !== undefined);
  const cpu = startCpuWindow(pids);
  const bulk = await generators.bulk({ expectBytes: BULK_TOTAL_BYTES, durationMs });
  const spent = cpu();
  await generators.closeAll();
  // Many sessions leave much to tear down (buffers, consoles): let it finish before the next cell.
  const teardownMs = await stack.quiesce();
  await settle(Math.min(1000, 100 + 10 * sessions));
  const gigabytes = bulk.bytes / 1e9;
  const perGB = (seconds: number) => (gigabytes > 0 ? seconds / gigabytes : NaN);
  return {
    mode,
    peer: peer.name,
    sessions,
    messageBytes,
    bytes: bulk.bytes,
    bytesPerSecond: bulk.bytesPerSecond,
    verified: bulk.bytes > 0 && bulk.verifiedBytes === bulk.bytes,
    receivedMessageBytes: bulk.messages > 0 ? bulk.bytes / bulk.messages : 0,
    hopCpuSecondsPerGB: peer.hopPid === undefined ? undefined : perGB(spent.get(peer.hopPid)!),
    providerCpuSecondsPerGB: perGB(spent.get(stack.provider.pid)!),
    clientCpuSecondsPerGB: perGB(generators.pids.reduce((total, pid) => total + spent.get(pid)!, 0)),
    teardownMs,
    failures: [...open.errors, ...bulk.failures],
  };
}

function describe(report: ScenarioReport<ThroughputRow>, config: ThroughputConfig): void {
  const find = (mode: string, sessions: number, size: number, peer: PeerName) =>
    report.rows.find((r) => r.mode === mode && r.sessions === sessions && r.messageBytes === size && r.peer === peer);
  for (const mode of config.modes) {
    const rows = report.rows.filter((r) => r.mode === mode);
    report.tables.push({
      title: `throughput, ${mode}: MB/s of console output (${config.durationMs} ms per cell); CPU seconds per GB carried`,
      markdown: markdownTable(
        ['sessions', 'message', 'peer', 'MB/s', '× ws-proxy', '× tcp-relay', 'hop CPU s/GB', 'hop CPU × ws-proxy', 'provider CPU s/GB', 'verified'],
        rows.map((r) => {
          const proxy = find(mode, r.sessions, r.messageBytes, 'ws-proxy');
          const relay = find(mode, r.sessions, r.messageBytes, 'tcp-relay');
          return [
            String(r.sessions),
            bytesLabel(r.messageBytes),
            r.peer,
            mbPerSecond(r.bytesPerSecond),
            ratio(r.bytesPerSecond, proxy?.bytesPerSecond),
            ratio(r.bytesPerSecond, relay?.bytesPerSecond),
            decimal(r.hopCpuSecondsPerGB),
            ratio(r.hopCpuSecondsPerGB, proxy?.hopCpuSecondsPerGB),
            decimal(r.providerCpuSecondsPerGB),
            r.verified ? 'yes' : `NO${r.failures.length ? ` (${r.failures[0]})` : ''}`,
          ];
        }),
      ),
    });
    const groups = config.sessionCounts.flatMap((sessions) => config.messageSizes.map((size) => ({ sessions, size })));
    const peers = [...new Set(rows.map((r) => r.peer))];
    const label = ({ sessions, size }: { sessions: number; size: number }) => `${bytesLabel(size)} ×${sessions}`;
    report.charts.push({
      title: `throughput (${mode}): MB/s per message size × sessions`,
      unit: 'MB/s',
      groups: groups.map(label),
      series: peers.map((peer) => ({ name: peer, values: groups.map((g) => (find(mode, g.sessions, g.size, peer)?.bytesPerSecond ?? NaN) / 1e6) })),
    });
    report.charts.push({
      title: `hop CPU seconds per GB (${mode})`,
      unit: 'CPU s/GB',
      groups: groups.map(label),
      series: peers
        .filter((peer) => peer !== 'direct')
        .map((peer) => ({ name: peer, values: groups.map((g) => find(mode, g.sessions, g.size, peer)?.hopCpuSecondsPerGB) })),
    });
  }

  const gatewayVsProxy = (sessions: number, size: number) => {
    const gateway = find('plain', sessions, size, 'gateway');
    const proxy = find('plain', sessions, size, 'ws-proxy');
    return gateway && proxy ? { gateway, proxy, rate: gateway.bytesPerSecond / proxy.bytesPerSecond } : undefined;
  };
  const rateTarget = (sessions: number, size: number, factor: number) => {
    const c = gatewayVsProxy(sessions, size);
    report.targets.push({
      target: `${sessions} session${sessions > 1 ? 's' : ''}, plain, ${bytesLabel(size)}: gateway ≥ ${factor}× ws-proxy`,
      met: c && c.rate >= factor,
      detail: c ? `${mbPerSecond(c.gateway.bytesPerSecond)} vs ${mbPerSecond(c.proxy.bytesPerSecond)} MB/s = ${c.rate.toFixed(3)}×` : 'not measured',
    });
  };
  rateTarget(1, 256, 2);
  rateTarget(1, 4096, 1.5);
  const big = gatewayVsProxy(1, 65536);
  const cpuRatio = big && big.gateway.hopCpuSecondsPerGB! / big.proxy.hopCpuSecondsPerGB!;
  report.targets.push({
    target: '1 session, plain, 64 KiB: gateway ≥ ws-proxy rate at ≤ 0.7× its CPU s/GB',
    met: big && cpuRatio !== undefined && big.rate >= 1 && cpuRatio <= 0.7,
    detail: big ? `rate ${big.rate.toFixed(3)}×, CPU ${decimal(big.gateway.hopCpuSecondsPerGB)} vs ${decimal(big.proxy.hopCpuSecondsPerGB)} s/GB = ${cpuRatio!.toFixed(3)}×` : 'not measured',
  });
  rateTarget(100, 4096, 1.5);
}
