// `node dist/bench/run.js [--scenario NAME]... [--full] [--quick] [--peers a,b]` / `make bench`:
// runs the named scenarios, or all of them. Results go to bench/results/ (or --out).
import { parseArgs } from 'node:util';
import { runCodecBench } from './codec.js';
import { PEER_NAMES, type PeerName } from './harness/stack.js';
import { DEFAULT_RESULTS_DIR, printReport, type ScenarioOutcome } from './report/results.js';
import { HANDSHAKE_DEFAULTS, HANDSHAKE_QUICK, runHandshake } from './scenarios/handshake.js';
import { HOL_DEFAULTS, HOL_QUICK, runHol } from './scenarios/hol.js';
import { IDLE_DEFAULTS, IDLE_FULL_SESSIONS, IDLE_QUICK, runIdle } from './scenarios/idle.js';
import { RTT_DEFAULTS, RTT_QUICK, runRtt } from './scenarios/rtt.js';
import { SETUP_DEFAULTS, SETUP_QUICK, runSetup } from './scenarios/setup.js';
import { THROUGHPUT_DEFAULTS, THROUGHPUT_QUICK, runThroughput, type ThroughputConfig } from './scenarios/throughput.js';

interface RunOptions {
  /** idle: as many sessions as one gateway process can hold here (19000). */
  full: boolean;
  /** Tiny configurations that only prove the harness works. */
  quick: boolean;
  peers: PeerName[] | undefined;
  /** throughput: only these cells (default: every mode, size and session count). */
  cells: Partial<Pick<ThroughputConfig, 'modes' | 'messageSizes' | 'sessionCounts'>>;
  outDir: string;
}

const scenarios: Record<string, (options: RunOptions) => Promise<ScenarioOutcome<unknown>> | void> = {
  codec: () => void runCodecBench(),
  throughput: (o) => runThroughput({ ...THROUGHPUT_DEFAULTS, ...(o.quick ? THROUGHPUT_QUICK : {}), ...o.cells, peers: o.peers, outDir: o.outDir }),
  rtt: (o) => runRtt({ ...RTT_DEFAULTS, ...(o.quick ? RTT_QUICK : {}), peers: o.peers, outDir: o.outDir }),
  setup: (o) => runSetup({ ...SETUP_DEFAULTS, ...(o.quick ? SETUP_QUICK : {}), ...(o.cells.modes ? { modes: o.cells.modes } : {}), peers: o.peers, outDir: o.outDir }),
  idle: (o) =>
    runIdle({ ...IDLE_DEFAULTS, ...(o.quick ? IDLE_QUICK : {}), ...(o.full ? { sessions: IDLE_FULL_SESSIONS } : {}), peers: o.peers, outDir: o.outDir }),
  hol: (o) => runHol({ ...HOL_DEFAULTS, ...(o.quick ? HOL_QUICK : {}), peers: o.peers, outDir: o.outDir }),
  handshake: (o) => runHandshake({ ...HANDSHAKE_DEFAULTS, ...(o.quick ? HANDSHAKE_QUICK : {}), outDir: o.outDir }),
};

const HELP = `usage: node dist/bench/run.js [options]   (make bench runs it with none)

  -s, --scenario NAME   run this scenario (repeatable; default all): ${Object.keys(scenarios).join(', ')}
      --quick           tiny configurations that only prove the harness works
      --full            idle: as many sessions as one gateway process can hold
      --peers A,B       the peers to measure: ${PEER_NAMES.join(', ')}
      --modes A,B       throughput and setup: plain, tls (default both)
      --sizes N,M       throughput: message sizes in bytes (default 256,4096,65536)
      --sessions N,M    throughput: sessions at once (default 1,100)
      --out DIR         where results go (default bench/results/)
  -h, --help            this help`;

const parsed = (() => {
  try {
    return parseArgs({
      options: {
        scenario: { type: 'string', short: 's', multiple: true },
        full: { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false },
        peers: { type: 'string' },
        modes: { type: 'string' },
        sizes: { type: 'string' },
        sessions: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    console.error(`bench: ${(error as Error).message.split('. ')[0]} (see --help)`);
    process.exit(2);
  }
})();
if (parsed.values.help) {
  console.log(HELP);
  process.exit(0);
}
const { values } = parsed;
const peers = values.peers?.split(',').map((name) => name.trim()) as PeerName[] | undefined;
const unknownPeer = peers?.find((name) => !PEER_NAMES.includes(name));
if (unknownPeer) {
  console.error(`unknown peer ${JSON.stringify(unknownPeer)}; known: ${PEER_NAMES.join(', ')}`);
  process.exit(2);
}
const list = (value: string | undefined) => value?.split(',').map((item) => item.trim());
const numbers = (flag: string, value: string | undefined) =>
  list(value)?.map((item) => {
    const n = Number(item);
    if (!Number.isInteger(n) || n <= 0) {
      console.error(`--${flag}: ${JSON.stringify(item)} is not a positive integer`);
      process.exit(2);
    }
    return n;
  });
const modes = list(values.modes) as ThroughputConfig['modes'] | undefined;
const badMode = modes?.find((mode) => mode !== 'plain' && mode !== 'tls');
if (badMode) {
  console.error(`--modes: unknown mode ${JSON.stringify(badMode)}; known: plain, tls`);
  process.exit(2);
}
const cells = {
  ...(modes ? { modes } : {}),
  ...(values.sizes ? { messageSizes: numbers('sizes', values.sizes)! } : {}),
  ...(values.sessions ? { sessionCounts: numbers('sessions', values.sessions)! } : {}),
};
const chosen = values.scenario ?? Object.keys(scenarios);
const unknown = chosen.find((name) => !scenarios[name]);
if (unknown) {
  console.error(`unknown scenario ${JSON.stringify(unknown)}; known: ${Object.keys(scenarios).join(', ')}`);
  process.exit(2);
}
const options: RunOptions = { full: values.full, quick: values.quick, peers, cells, outDir: values.out ?? DEFAULT_RESULTS_DIR };
for (const name of chosen) {
  const outcome = await scenarios[name]!(options);
  if (outcome) printReport(outcome);
}
