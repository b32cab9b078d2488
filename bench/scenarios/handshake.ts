// handshake: what one TLS handshake costs a listener, for each TLS stack a gateway listener can
// run on. The public listener terminates TLS in uWS (BoringSSL); the front-proxy and
// client-certificate listeners cannot (uWS neither demands nor shows client certificates) and
// terminate it in node:tls (Node's OpenSSL), with a client certificate to parse and verify. A
// session open through those listeners can cost no less than this, whatever the gateway does
// after it. The client, in this process, makes full handshakes (no resumption, as Go's clients),
// each followed by one request; reported: handshakes per second and the listener's CPU per
// handshake.
import { readFileSync } from 'node:fs';
import { connect as tlsConnect, createSecureContext, type SecureContext } from 'node:tls';
import { BenchChild } from '../harness/child.js';
import { createPki, type Pki } from '../harness/pki.js';
import { startCpuWindow } from '../harness/proc-stats.js';
import type { TlsListenerOptions, TlsListenerReady } from '../processes/tls-listener.js';
import { decimal, markdownTable, ratio } from '../report/format.js';
import { beginReport, finishReport, type ScenarioOutcome } from '../report/results.js';

export interface HandshakeConfig {
  handshakes: number;
  concurrency: number;
  outDir: string;
}

export const HANDSHAKE_DEFAULTS: Omit<HandshakeConfig, 'outDir'> = { handshakes: 2000, concurrency: 16 };

/** A few handshakes: proves the harness works (the smoke test, `--quick`). */
export const HANDSHAKE_QUICK: Partial<HandshakeConfig> = { handshakes: 10, concurrency: 2 };

export type ListenerStack = 'uws' | 'node:tls' | 'node:tls, client certificate';

export interface HandshakeRow {
  listener: ListenerStack;
  handshakesPerSecond: number;
  listenerCpuMsPerHandshake: number;
  failed: number;
}

const STACKS: { listener: ListenerStack; impl: TlsListenerOptions['impl']; requestCert: boolean }[] = [
  { listener: 'uws', impl: 'uws', requestCert: false },
  { listener: 'node:tls', impl: 'node', requestCert: false },
  { listener: 'node:tls, client certificate', impl: 'node', requestCert: true },
];
const WARMUP_HANDSHAKES = 50;
const HANDSHAKE_TIMEOUT_MS = 10_000;

export async function runHandshake(config: HandshakeConfig): Promise<ScenarioOutcome<HandshakeRow>> {
  const report = beginReport<HandshakeRow>('handshake', config);
  const pki = await createPki();
  try {
    // The bench's clients always carry a certificate; only a listener that asks gets it.
    const client = createSecureContext({ ca: readFileSync(pki.caFile), cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile) });
    for (const stack of STACKS) report.rows.push(await measure(pki, client, stack, config));
  } finally {
    pki.remove();
  }
  const uws = report.rows.find((r) => r.listener === 'uws');
  report.tables.push({
    title: `handshake: full TLS handshakes (${config.handshakes}, ${config.concurrency} in flight, each with one request) and the listener's CPU per handshake`,
    markdown: markdownTable(
      ['listener', 'handshakes/s', 'listener CPU ms/handshake', 'CPU × uws', 'failed'],
      report.rows.map((r) => [
        r.listener,
        decimal(r.handshakesPerSecond, 0),
        decimal(r.listenerCpuMsPerHandshake),
        ratio(r.listenerCpuMsPerHandshake, uws?.listenerCpuMsPerHandshake),
        String(r.failed),
      ]),
    ),
  });
  report.charts.push({
    title: 'listener CPU per TLS handshake',
    unit: 'ms',
    groups: ['CPU ms/handshake'],
    series: report.rows.map((r) => ({ name: r.listener, values: [r.listenerCpuMsPerHandshake] })),
  });
  return { report, written: finishReport(report, config.outDir) };
}

async function measure(
  pki: Pki,
  client: SecureContext,
  stack: (typeof STACKS)[number],
  config: HandshakeConfig,
): Promise<HandshakeRow> {
  const listener = await BenchChild.start<TlsListenerReady>(
    'tls-listener',
    { impl: stack.impl, requestCert: stack.requestCert, keyFile: pki.serverKeyFile, certFile: pki.serverCertFile, caFile: pki.caFile } satisfies TlsListenerOptions,
    `tls-listener-${stack.impl}${stack.requestCert ? '-client-cert' : ''}`,
  );
  try {
    await handshakes(listener.ready.port, client, Math.min(WARMUP_HANDSHAKES, config.handshakes), config.concurrency);
    const cpu = startCpuWindow([listener.pid]);
    const started = performance.now();
    const failed = await handshakes(listener.ready.port, client, config.handshakes, config.concurrency);
    const seconds = (performance.now() - started) / 1000;
    const spent = cpu().get(listener.pid)!;
    const done = config.handshakes - failed;
    return {
      listener: stack.listener,
      handshakesPerSecond: done / seconds,
      listenerCpuMsPerHandshake: (spent * 1000) / Math.max(1, done),
      failed,
    };
  } finally {
    await listener.stop();
  }
}

/** Makes `count` connections, `concurrency` at a time; resolves with how many failed. */
async function handshakes(port: number, secureContext: SecureContext, count: number, concurrency: number): Promise<number> {
  let started = 0;
  let failed = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, secureContext }, () => socket.write('GET / HTTP/1.1\r\nhost: bench\r\n\r\n'));
      let answered = false;
      const timer = setTimeout(() => socket.destroy(), HANDSHAKE_TIMEOUT_MS);
      socket.on('data', () => (answered = true));
      socket.on('error', () => {});
      socket.once('close', () => {
        clearTimeout(timer);
        if (!answered) failed++;
        resolve();
      });
    });
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (started++ < count) await one();
    }),
  );
  return failed;
}
