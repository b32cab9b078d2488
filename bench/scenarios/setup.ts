// setup: how fast sessions open. An open counts when the console's first byte (the echo
// console's prompt) reaches the client; the session is then closed, so the run is a steady
// churn. Our gateway authenticates every open (TokenReview), authorizes it (SubjectAccessReview)
// and looks the machine up, against the stand-in API server: with caches warm (one user, one
// machine, primed) and cold (a new user and a new machine for every open). The other peers have
// no such steps (nor caches). Reported: opens/s with many in flight, and open latency with many
// in flight ("loaded") and with one at a time per load generator ("sequential"), and what the
// loaded opens cost each process in CPU: on 2 cores shared by all of them, opens/s is bounded
// by 2 s ÷ the sum, and the stand-in API server's share runs elsewhere in production.
import { benchToken } from '../fixture-names.js';
import { echoMachine } from '../workload.js';
import { settle, withBench } from '../harness/bench-env.js';
import type { LoadGenerators, MergedOpen } from '../harness/load-generators.js';
import { startCpuWindow } from '../harness/proc-stats.js';
import { GATEWAY_PEERS, type BenchStack, type Peer, type PeerName } from '../harness/stack.js';
import { decimal, markdownTable, millis, ratio } from '../report/format.js';
import { beginReport, finishReport, type ScenarioOutcome, type ScenarioReport } from '../report/results.js';

export interface SetupConfig {
  /** TLS to the clients and on the link (the front-proxy and client-certificate listeners need it). */
  modes: ('plain' | 'tls')[];
  /** Opens one at a time per load generator, for unloaded latency. */
  sequentialOpens: number;
  /** Opens with `concurrency` in flight, for the rate. */
  loadedOpens: number;
  concurrency: number;
  peers?: PeerName[];
  generators: number;
  outDir: string;
}

export const SETUP_DEFAULTS: Omit<SetupConfig, 'outDir'> = {
  modes: ['plain', 'tls'],
  sequentialOpens: 200,
  loadedOpens: 2000,
  concurrency: 64,
  generators: 2,
};

/** A few sessions for a moment: proves the harness works (the smoke test, `--quick`). */
export const SETUP_QUICK: Partial<SetupConfig> = { modes: ['plain'], sequentialOpens: 4, loadedOpens: 10, concurrency: 4, generators: 1 };

export interface SetupRow {
  mode: 'plain' | 'tls';
  peer: PeerName;
  caches: 'warm' | 'cold' | 'none';
  opensPerSecond: number;
  loadedP50Ms: number;
  loadedP99Ms: number;
  sequentialP50Ms: number;
  sequentialP99Ms: number;
  /** CPU milliseconds per loaded open: the hop process, the stand-in API server, all processes. */
  hopCpuMsPerOpen: number | undefined;
  apiCpuMsPerOpen: number;
  allCpuMsPerOpen: number;
  failed: number;
  errors: string[];
}

const WARM_MACHINE = echoMachine('warm');
const COLD_PEERS: PeerName[] = ['gateway', 'gateway-front', 'gateway-workers'];
const PRIMING_OPENS = 20;

export async function runSetup(config: SetupConfig): Promise<ScenarioOutcome<SetupRow>> {
  const report = beginReport<SetupRow>('setup', config);
  const coldOpens = config.sequentialOpens + config.loadedOpens;
  const coldMachines = Array.from({ length: coldOpens }, (_, i) => echoMachine(`cold-${i}`));
  // User 0 is the warm one; cold opens use users 1 … coldOpens, each once.
  const coldTokens = coldMachines.map((_, i) => benchToken(i + 1));
  for (const mode of config.modes) await withBench(
    { tls: mode === 'tls', auth: 'kube', users: coldOpens + 1, peers: config.peers, generators: config.generators },
    async ({ stack, generators }) => {
      await stack.addMachines([WARM_MACHINE, ...coldMachines]);
      for (const peer of stack.peers) {
        const warm = Array.from({ length: Math.max(PRIMING_OPENS, config.sequentialOpens, config.loadedOpens) }, () => WARM_MACHINE);
        await churn(generators, peer, warm.slice(0, PRIMING_OPENS), [benchToken(0)], 1);
        const sequential = await churn(generators, peer, warm.slice(0, config.sequentialOpens), [benchToken(0)], generators.count);
        const loaded = await measured(stack, generators, peer, () => churn(generators, peer, warm.slice(0, config.loadedOpens), [benchToken(0)], config.concurrency));
        report.rows.push(row(mode, peer.name, GATEWAY_PEERS.includes(peer.name) ? 'warm' : 'none', sequential, loaded));
        // Cold caches cost the same in either upstream mode and behind every front: measured on
        // uWS alone, behind the SPDY front, and over the workers.
        if (!COLD_PEERS.includes(peer.name)) continue;
        const coldSequential = await churn(
          generators, peer, coldMachines.slice(0, config.sequentialOpens), coldTokens.slice(0, config.sequentialOpens), generators.count,
        );
        const coldLoaded = await measured(stack, generators, peer, () => churn(
          generators, peer, coldMachines.slice(config.sequentialOpens), coldTokens.slice(config.sequentialOpens), config.concurrency,
        ));
        report.rows.push(row(mode, peer.name, 'cold', coldSequential, coldLoaded));
      }
    },
  );
  describe(report, config);
  return { report, written: finishReport(report, config.outDir) };
}

async function churn(generators: LoadGenerators, peer: Peer, machines: string[], tokens: string[], concurrency: number): Promise<MergedOpen> {
  const result = await generators.open({
    target: peer.target,
    machines,
    tokens,
    ratePerSecond: 0,
    concurrency,
    until: 'first-byte',
    closeAfterOpen: true,
    timeoutMs: 10_000,
    deadlineMs: 120_000,
  });
  await settle();
  return result;
}

type MeasuredOpen = MergedOpen & Pick<SetupRow, 'hopCpuMsPerOpen' | 'apiCpuMsPerOpen' | 'allCpuMsPerOpen'>;

/** Runs `opens` and divides each process's CPU time over it by the opens made. */
async function measured(stack: BenchStack, generators: LoadGenerators, peer: Peer, opens: () => Promise<MergedOpen>): Promise<MeasuredOpen> {
  const pids = [...new Set([stack.kube.pid, stack.provider.pid, ...generators.pids, ...(peer.hopPid === undefined ? [] : [peer.hopPid])])];
  const cpu = startCpuWindow(pids);
  const result = await opens();
  const spent = cpu();
  const opened = result.opened || 1;
  const msPerOpen = (seconds: number) => (seconds * 1000) / opened;
  return {
    ...result,
    hopCpuMsPerOpen: peer.hopPid === undefined ? undefined : msPerOpen(spent.get(peer.hopPid)!),
    apiCpuMsPerOpen: msPerOpen(spent.get(stack.kube.pid)!),
    allCpuMsPerOpen: msPerOpen([...spent.values()].reduce((total, seconds) => total + seconds, 0)),
  };
}

function row(mode: SetupRow['mode'], peer: PeerName, caches: SetupRow['caches'], sequential: MergedOpen, loaded: MeasuredOpen): SetupRow {
  return {
    mode,
    peer,
    caches,
    opensPerSecond: loaded.opensPerSecond,
    loadedP50Ms: loaded.latency.percentileMs(50),
    loadedP99Ms: loaded.latency.percentileMs(99),
    sequentialP50Ms: sequential.latency.percentileMs(50),
    sequentialP99Ms: sequential.latency.percentileMs(99),
    hopCpuMsPerOpen: loaded.hopCpuMsPerOpen,
    apiCpuMsPerOpen: loaded.apiCpuMsPerOpen,
    allCpuMsPerOpen: loaded.allCpuMsPerOpen,
    failed: sequential.failed + loaded.failed,
    errors: [...new Set([...sequential.errors, ...loaded.errors])],
  };
}

function describe(report: ScenarioReport<SetupRow>, config: SetupConfig): void {
  for (const mode of config.modes) {
    const rows = report.rows.filter((r) => r.mode === mode);
    const proxy = rows.find((r) => r.peer === 'ws-proxy');
    const relay = rows.find((r) => r.peer === 'tcp-relay');
    const publicWarm = rows.find((r) => r.peer === 'gateway' && r.caches === 'warm');
    report.tables.push({
      title: `setup, ${mode}: opens per second (${config.loadedOpens} opens, ${config.concurrency} in flight) and open latency in ms, to the first console byte`,
      markdown: markdownTable(
        ['peer', 'caches', 'opens/s', '× ws-proxy', '× tcp-relay', '× gateway (warm)', 'loaded p50', 'loaded p99', 'sequential p50', 'sequential p99', 'hop CPU ms/open', 'API CPU ms/open', 'all CPU ms/open', 'failed'],
        rows.map((r) => [
          r.peer,
          r.caches,
          decimal(r.opensPerSecond, 0),
          ratio(r.opensPerSecond, proxy?.opensPerSecond),
          ratio(r.opensPerSecond, relay?.opensPerSecond),
          GATEWAY_PEERS.includes(r.peer) ? ratio(r.opensPerSecond, publicWarm?.opensPerSecond) : '—',
          millis(r.loadedP50Ms),
          millis(r.loadedP99Ms),
          millis(r.sequentialP50Ms),
          millis(r.sequentialP99Ms),
          r.hopCpuMsPerOpen === undefined ? '—' : decimal(r.hopCpuMsPerOpen),
          decimal(r.apiCpuMsPerOpen),
          decimal(r.allCpuMsPerOpen),
          r.failed === 0 ? '0' : `${r.failed} (${r.errors[0]})`,
        ]),
      ),
    });
    const label = (r: SetupRow) => (r.caches === 'none' ? r.peer : `${r.peer} (${r.caches})`);
    report.charts.push({
      title: `opens per second (${mode})`,
      unit: 'opens/s',
      groups: ['opens/s'],
      series: rows.map((r) => ({ name: label(r), values: [r.opensPerSecond] })),
    });
    report.charts.push({
      title: `open latency (${mode})`,
      unit: 'ms',
      groups: ['loaded p50', 'loaded p99', 'sequential p50', 'sequential p99'],
      series: rows.map((r) => ({ name: label(r), values: [r.loadedP50Ms, r.loadedP99Ms, r.sequentialP50Ms, r.sequentialP99Ms] })),
    });
    report.targets.push({
      target: `setup, ${mode}: gateway's opens/s (caches warm) ≥ 2× ws-proxy's`,
      met: publicWarm && proxy ? publicWarm.opensPerSecond >= 2 * proxy.opensPerSecond : undefined,
      detail: publicWarm && proxy ? `${decimal(publicWarm.opensPerSecond, 0)} vs ${decimal(proxy.opensPerSecond, 0)} opens/s = ${ratio(publicWarm.opensPerSecond, proxy.opensPerSecond)}` : 'not measured',
    });
    const cold = rows.find((r) => r.peer === 'gateway' && r.caches === 'cold');
    report.targets.push({
      target: `setup, ${mode}: gateway's opens/s (caches cold) ≥ 1.5× ws-proxy's`,
      met: cold && proxy ? cold.opensPerSecond >= 1.5 * proxy.opensPerSecond : undefined,
      detail: cold && proxy ? `${decimal(cold.opensPerSecond, 0)} vs ${decimal(proxy.opensPerSecond, 0)} opens/s = ${ratio(cold.opensPerSecond, proxy.opensPerSecond)}` : 'not measured',
    });
    for (const listener of ['gateway-front-proxy', 'gateway-client-cert'] as const) {
      const row = rows.find((r) => r.peer === listener);
      if (!row) continue;
      report.targets.push({
        target: `setup, ${mode}: ${listener} opens/s ≥ 0.8× the public listener's (warm)`,
        met: publicWarm ? row.opensPerSecond >= 0.8 * publicWarm.opensPerSecond : undefined,
        detail: publicWarm ? `${decimal(row.opensPerSecond, 0)} vs ${decimal(publicWarm.opensPerSecond, 0)} opens/s = ${ratio(row.opensPerSecond, publicWarm.opensPerSecond)}` : 'not measured',
      });
    }
  }
}
