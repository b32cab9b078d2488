// idle: how many open, idle sessions one hop process holds, and what each costs in resident
// memory. Sessions are opened at a steady rate (each counts at its prompt), held, counted
// again, and the hop's RSS after a full GC is compared with its RSS before (for direct, the hop
// is the provider itself). The count is
// bounded by one process's descriptor limit (20000 here) less headroom: 19000 for a process
// with one socket per session (the gateway, the provider), half that for the proxies and
// relays, which hold two.
import { echoMachine } from '../workload.js';
import { settle, withBench } from '../harness/bench-env.js';
import { SESSIONS_PER_GENERATOR } from '../harness/load-generators.js';
import { rssBytes } from '../harness/proc-stats.js';
import type { BenchChild } from '../harness/child.js';
import { PEER_NAMES, type PeerName } from '../harness/stack.js';
import { decimal, markdownTable } from '../report/format.js';
import { beginReport, finishReport, type ScenarioOutcome, type ScenarioReport } from '../report/results.js';

export interface IdleConfig {
  /** Sessions asked of each peer (fewer where its descriptor limit says so). */
  sessions: number;
  ratePerSecond: number;
  /** How long the sessions are held before they are counted and memory is read. */
  holdMs: number;
  peers?: PeerName[];
  /** At least this many load generator processes; more when the sessions need them. */
  generators: number;
  outDir: string;
}

export const IDLE_DEFAULTS: Omit<IdleConfig, 'outDir'> = {
  sessions: 2000,
  ratePerSecond: 2000,
  holdMs: 3000,
  generators: 2,
};

/** A few sessions for a moment: proves the harness works (the smoke test, `--quick`). */
export const IDLE_QUICK: Partial<IdleConfig> = { sessions: 20, holdMs: 200, generators: 1 };

/** `--full`: what one gateway process can hold here. */
export const IDLE_FULL_SESSIONS = 19_000;

export interface IdleRow {
  peer: PeerName;
  requested: number;
  opened: number;
  /** Still open after the hold. */
  held: number;
  hopRssBefore: number;
  hopRssAfter: number;
  hopBytesPerSession: number;
  /** The part of hopBytesPerSession that is JS heap (Node hops only). */
  hopHeapBytesPerSession: number | undefined;
  errors: string[];
}

const MACHINE = echoMachine('idle');

export async function runIdle(config: IdleConfig): Promise<ScenarioOutcome<IdleRow>> {
  const report = beginReport<IdleRow>('idle', config);
  const generators = Math.max(config.generators, Math.ceil(config.sessions / SESSIONS_PER_GENERATOR));
  await withBench({ tls: false, auth: 'none', peers: config.peers, generators }, async ({ stack, generators }) => {
    await stack.addMachines([MACHINE]);
    for (const peer of stack.peers) {
      const requested = Math.min(config.sessions, peer.maxSessions);
      // For direct the provider is the hop; the provider's own memory is not reported for the
      // others, as its heap keeps whatever it grew to for the peers measured before.
      const hop = peer.hopPid === undefined ? { pid: stack.provider.pid, child: stack.provider } : { pid: peer.hopPid, child: peer.hopChild };
      const before = await settledRss(hop);
      const open = await generators.open({
        target: peer.target,
        machines: Array.from({ length: requested }, () => MACHINE),
        ratePerSecond: config.ratePerSecond,
        concurrency: 256,
        until: 'first-byte',
        closeAfterOpen: false,
        timeoutMs: 30_000,
        deadlineMs: (requested / config.ratePerSecond) * 1000 + 60_000,
      });
      await settle(config.holdMs);
      const held = await generators.openCount();
      const after = await settledRss(hop);
      await generators.closeAll();
      await settle(Math.min(1000, config.holdMs));
      report.rows.push({
        peer: peer.name,
        requested,
        opened: open.opened,
        held,
        hopRssBefore: before.rss,
        hopRssAfter: after.rss,
        hopBytesPerSession: held === 0 ? NaN : (after.rss - before.rss) / held,
        hopHeapBytesPerSession: held === 0 || after.heap === undefined || before.heap === undefined ? undefined : (after.heap - before.heap) / held,
        errors: open.errors,
      });
    }
  });
  describe(report, config);
  return { report, written: finishReport(report, config.outDir) };
}

/** Resident bytes of a process (and its children) and its JS heap, after it collected its garbage when it is a Node process. */
async function settledRss(hop: { pid: number; child: BenchChild | undefined }): Promise<{ rss: number; heap: number | undefined }> {
  await hop.child?.call('gc');
  const heap = await hop.child?.call<number>('heapUsed');
  return { rss: rssBytes(hop.pid), heap };
}

function describe(report: ScenarioReport<IdleRow>, config: IdleConfig): void {
  const kib = (bytes: number) => decimal(bytes / 1024, 2);
  report.tables.push({
    title: `idle: sessions held (asked ${config.sessions}, held ${config.holdMs} ms) and resident memory per session in KiB, after GC`,
    markdown: markdownTable(
      ['peer', 'asked', 'opened', 'held', 'hop RSS before (MiB)', 'hop RSS after (MiB)', 'hop KiB/session', 'of which JS heap'],
      report.rows.map((r) => [
        r.peer,
        String(r.requested),
        String(r.opened),
        String(r.held),
        decimal(r.hopRssBefore / 2 ** 20, 1),
        decimal(r.hopRssAfter / 2 ** 20, 1),
        kib(r.hopBytesPerSession),
        r.hopHeapBytesPerSession === undefined ? '—' : kib(r.hopHeapBytesPerSession),
      ]),
    ),
  });
  const ordered = PEER_NAMES.filter((name) => report.rows.some((r) => r.peer === name));
  report.charts.push({
    title: 'resident memory per idle session in the hop process (the provider, for direct)',
    unit: 'KiB',
    groups: ['per session'],
    series: ordered.map((name) => {
      const row = report.rows.find((r) => r.peer === name)!;
      return { name, values: [row.hopBytesPerSession / 1024] };
    }),
  });
  const gateway = report.rows.find((r) => r.peer === 'gateway');
  const full = gateway !== undefined && gateway.requested >= IDLE_FULL_SESSIONS;
  report.targets.push({
    target: `idle: gateway holds ≥ ${IDLE_FULL_SESSIONS} sessions at ≤ 4 KiB RSS each`,
    met: gateway && full ? gateway.held >= IDLE_FULL_SESSIONS && gateway.hopBytesPerSession <= 4096 : undefined,
    detail: gateway
      ? `held ${gateway.held} of ${gateway.requested} at ${kib(gateway.hopBytesPerSession)} KiB each${full ? '' : ' (run with --full for the 19000 target)'}`
      : 'not measured',
  });
}
