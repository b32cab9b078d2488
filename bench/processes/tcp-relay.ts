// The peer "tcp-relay": a byte pipe in front of the provider, the practical limit of one hop
// on this machine. Clients speak to the provider's per-machine endpoint through it. 'node'
// pipes each connection with node:net (node:tls when the bench runs TLS: it terminates TLS and
// opens TLS to the provider, as any TLS hop must); 'socat' runs socat doing the same (one
// process per connection), supervised here so it never outlives the bench.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as netConnect, createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect, createSecureContext, createServer as createTlsServer } from 'node:tls';
import { childOptions, serveParent } from './parent-rpc.js';

export interface TcpRelayOptions {
  impl: 'node' | 'socat';
  providerPort: number;
  tls:
    | { keyFile: string; certFile: string; caFile: string; clientKeyFile: string; clientCertFile: string; serverPemFile: string; clientPemFile: string }
    | false;
}

export interface RelayReady {
  port: number;
  /** The process that relays: this one, or socat (whose forked children count as its own). */
  relayPid: number;
}

const SOCAT_BUFFER_BYTES = 65536;
const SOCAT_START_TIMEOUT_MS = 5000;

const options = childOptions<TcpRelayOptions>();
if (options.impl === 'node') {
  const port = await startNodeRelay();
  serveParent({ port, relayPid: process.pid } satisfies RelayReady, {});
} else {
  const { port, socat } = await startSocat();
  process.once('exit', () => socat.kill('SIGTERM'));
  serveParent({ port, relayPid: socat.pid! } satisfies RelayReady, {});
}

function startNodeRelay(): Promise<number> {
  const tls = options.tls;
  const connectUpstream: () => Socket = tls
    ? (() => {
        const secureContext = createSecureContext({
          ca: readFileSync(tls.caFile),
          key: readFileSync(tls.clientKeyFile),
          cert: readFileSync(tls.clientCertFile),
        });
        return () => tlsConnect({ host: '127.0.0.1', port: options.providerPort, secureContext });
      })()
    : () => netConnect(options.providerPort, '127.0.0.1');
  const pipe = (client: Socket) => {
    const upstream = connectUpstream();
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    const teardown = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) socket.on('error', teardown).on('close', teardown);
  };
  const server = tls
    ? createTlsServer({ key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile) }, pipe)
    : createNetServer(pipe);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', 1024, () => resolve((server.address() as AddressInfo).port)));
}

async function startSocat(): Promise<{ port: number; socat: ChildProcess }> {
  const port = await freePort();
  const tls = options.tls;
  const listen = `${tls ? 'OPENSSL-LISTEN' : 'TCP-LISTEN'}:${port},bind=127.0.0.1,reuseaddr,fork,backlog=1024,nodelay`;
  const target = `${tls ? 'OPENSSL' : 'TCP'}:127.0.0.1:${options.providerPort},nodelay`;
  const args = tls
    ? ['-b', String(SOCAT_BUFFER_BYTES), `${listen},cert=${tls.serverPemFile},verify=0`, `${target},cert=${tls.clientPemFile},cafile=${tls.caFile}`]
    : ['-b', String(SOCAT_BUFFER_BYTES), listen, target];
  // socat's stderr is left out: it reports every connection the bench tears down as an error.
  const socat = spawn('socat', args, { stdio: 'ignore' });
  const deadline = Date.now() + SOCAT_START_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (socat.exitCode !== null || Date.now() > deadline) {
      socat.kill('SIGKILL');
      throw new Error(`socat did not start listening on ${port}`);
    }
    await sleep(20);
  }
  return { port, socat };
}

function freePort(): Promise<number> {
  const probe = createNetServer();
  return new Promise((resolve) =>
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    }),
  );
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
