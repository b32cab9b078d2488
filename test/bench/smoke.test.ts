// The benchmark harness works: every scenario runs in a tiny configuration (its --quick one),
// writes its JSON and SVG, and every byte and keystroke it carried was checked. Throughput goes
// through every peer (plain and TLS); the others through the provider itself and the gateway,
// to keep this short. Timing is never asserted here: this machine's numbers belong in
// bench/README.md. The scenarios run side by side; each has its own processes and ports.
import t, { type Test } from 'tap';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HANDSHAKE_DEFAULTS, HANDSHAKE_QUICK, runHandshake } from '../../bench/scenarios/handshake.js';
import { HOL_DEFAULTS, HOL_QUICK, runHol } from '../../bench/scenarios/hol.js';
import { IDLE_DEFAULTS, IDLE_QUICK, runIdle } from '../../bench/scenarios/idle.js';
import { RTT_DEFAULTS, RTT_QUICK, runRtt } from '../../bench/scenarios/rtt.js';
import { SETUP_DEFAULTS, SETUP_QUICK, runSetup } from '../../bench/scenarios/setup.js';
import { THROUGHPUT_DEFAULTS, THROUGHPUT_QUICK, runThroughput } from '../../bench/scenarios/throughput.js';
import type { ScenarioOutcome } from '../../bench/report/results.js';
import type { PeerName } from '../../bench/harness/stack.js';

// Every scenario through every throughput peer: near tap's 120 s on a busy 2-core machine.
t.setTimeout(300_000);

const outDir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));
t.teardown(() => rmSync(outDir, { recursive: true, force: true }));

const FEW_PEERS: PeerName[] = ['direct', 'gateway'];

const [throughput, rtt, setup, idle, hol, handshake] = await Promise.all([
  runThroughput({ ...THROUGHPUT_DEFAULTS, ...THROUGHPUT_QUICK, outDir: join(outDir, 'throughput') }),
  runRtt({ ...RTT_DEFAULTS, ...RTT_QUICK, peers: FEW_PEERS, outDir: join(outDir, 'rtt') }),
  runSetup({ ...SETUP_DEFAULTS, ...SETUP_QUICK, peers: FEW_PEERS, outDir: join(outDir, 'setup') }),
  runIdle({ ...IDLE_DEFAULTS, ...IDLE_QUICK, peers: FEW_PEERS, outDir: join(outDir, 'idle') }),
  runHol({ ...HOL_DEFAULTS, ...HOL_QUICK, peers: FEW_PEERS, outDir: join(outDir, 'hol') }),
  runHandshake({ ...HANDSHAKE_DEFAULTS, ...HANDSHAKE_QUICK, outDir: join(outDir, 'handshake') }),
]);

function reported(t: Test, outcome: ScenarioOutcome<{ peer: string }>, expected: PeerName[] = FEW_PEERS): void {
  t.ok(existsSync(outcome.written.jsonFile), 'results JSON written');
  t.ok(existsSync(outcome.written.svgFile), 'chart SVG written');
  const peers = new Set(outcome.report.rows.map((row) => row.peer));
  for (const peer of expected) t.ok(peers.has(peer), `${peer} measured`);
  t.ok(outcome.report.tables.length > 0 && outcome.report.charts.length > 0, 'tables and charts made');
}

t.test('throughput: plain and TLS, every byte read matched the pattern', async (t) => {
  reported(t, throughput, ['direct', 'ws-proxy', 'gateway', 'gateway-ws', 'tcp-relay']);
  t.same(new Set(throughput.report.rows.map((row) => row.mode)), new Set(['plain', 'tls']));
  for (const row of throughput.report.rows) {
    t.ok(row.bytes > 0 && row.verified, `${row.mode} ${row.peer}: ${row.bytes} bytes, all verified`);
  }
});

t.test('rtt: every keystroke came back intact and in order', async (t) => {
  reported(t, rtt);
  for (const row of rtt.report.rows) {
    t.ok(row.sent > 0 && row.verified === row.sent && row.mismatched === 0, `${row.peer}: ${row.verified}/${row.sent} echoes verified`);
    t.equal(row.count, row.verified, `${row.peer}: every echo timed`);
  }
});

t.test('setup: every open reached its first console byte, warm and cold', async (t) => {
  reported(t, setup);
  t.ok(setup.report.rows.some((row) => row.peer === 'gateway' && row.caches === 'cold'), 'the gateway measured with cold caches');
  for (const row of setup.report.rows) {
    t.equal(row.failed, 0, `${row.peer} (${row.caches}): no failed opens ${row.errors.join('; ')}`);
    t.ok(row.opensPerSecond > 0, `${row.peer} (${row.caches}): a rate was measured`);
  }
});

t.test('idle: every session opened and was still open when counted', async (t) => {
  reported(t, idle);
  for (const row of idle.report.rows) t.equal(row.held, row.requested, `${row.peer}: held ${row.held}/${row.requested}`);
});

t.test('hol: the reader stalled after reading, and every keystroke was verified', async (t) => {
  reported(t, hol);
  for (const row of hol.report.rows) {
    t.ok(row.stalledBytesRead >= HOL_QUICK.stallAfterBytes!, `${row.peer}: read ${row.stalledBytesRead} bytes before stalling`);
    t.ok(row.verified, `${row.peer}: echoes verified alone and with the stall`);
  }
});

t.test('handshake: every TLS stack completed every handshake and answered', async (t) => {
  t.ok(existsSync(handshake.written.jsonFile) && existsSync(handshake.written.svgFile), 'results written');
  t.same(handshake.report.rows.map((row) => row.listener), ['uws', 'node:tls', 'node:tls, client certificate']);
  for (const row of handshake.report.rows) t.ok(row.failed === 0 && row.handshakesPerSecond > 0, `${row.listener}: every handshake answered`);
});
