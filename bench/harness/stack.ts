// Everything a scenario measures against, each in its own process: the stand-in Kubernetes
// API, a provider with the synthetic backend, our gateway, and the peers that carry the same
// sessions another way (the provider itself, a naive ws proxy, TCP relays). Clients reach each
// peer through its Target; each peer names the process that does its hop, whose CPU time and
// memory the scenarios report.
import { execFileSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayProcessOptions, GatewayReady } from '../processes/gateway.js';
import type { GatewayCliOptions, GatewayCliReady } from '../processes/gateway-cli.js';
import type { KubeProcessOptions, KubeReady } from '../processes/kube-api.js';
import type { ProviderProcessOptions, ProviderReady } from '../processes/provider.js';
import type { RelayReady, TcpRelayOptions } from '../processes/tcp-relay.js';
import type { ListenReady, WsProxyOptions } from '../processes/ws-proxy.js';
import type { Target } from '../load/target.js';
import { BenchChild, startAll } from './child.js';
import type { Pki } from './pki.js';

export type PeerName =
  | 'direct'
  | 'ws-proxy'
  | 'gateway'
  | 'gateway-front'
  | 'gateway-spdy'
  | 'gateway-front-proxy'
  | 'gateway-client-cert'
  | 'gateway-workers'
  | 'gateway-ws'
  | 'tcp-relay'
  | 'socat';

/** In the order tables list them: the floor first, then the proxies, then the relays. */
export const PEER_NAMES: PeerName[] = [
  'direct', 'ws-proxy', 'gateway', 'gateway-front', 'gateway-spdy', 'gateway-front-proxy', 'gateway-client-cert', 'gateway-workers', 'gateway-ws', 'tcp-relay', 'socat',
];

/** Our gateway's peers (they authenticate and look machines up; the others do neither). */
export const GATEWAY_PEERS: PeerName[] = ['gateway', 'gateway-front', 'gateway-spdy', 'gateway-front-proxy', 'gateway-client-cert', 'gateway-workers', 'gateway-ws'];

/** Listeners that exist only with TLS: they read the client's certificate. */
const TLS_ONLY_PEERS: PeerName[] = ['gateway-front-proxy', 'gateway-client-cert'];

/** Worker threads of the gateway-workers peer (`--workers 2`: this machine has 2 cores). */
const GATEWAY_WORKERS = 2;

/** Descriptors a hop process keeps for itself besides its sessions' sockets. */
const FD_HEADROOM = 1000;
const FD_LIMIT = 20_000;
/** socat forks a process per connection: beyond a few hundred the bench measures fork. */
const SOCAT_MAX_SESSIONS = 128;
/** Above ws's 30 s close timeout, the longest a peer's half-closed websocket may hold a session. */
const QUIESCE_TIMEOUT_MS = 40_000;
const QUIESCE_POLL_MS = 50;

export interface Peer {
  name: PeerName;
  target: Target;
  /** The process that does this peer's hop; undefined for direct, which has none. */
  hopPid: number | undefined;
  /** The hop's own Node process, which can be asked to collect garbage before a memory reading. */
  hopChild: BenchChild | undefined;
  /** Sessions this peer can hold within one process's descriptor limit. */
  maxSessions: number;
}

export interface StackOptions {
  pki: Pki;
  tls: boolean;
  auth: 'kube' | 'none';
  /** Bearer tokens the kube fixture accepts (cold-cache opens use a new user each). */
  users?: number;
  linksPerProvider?: number;
  /** Default: all that this machine can run (socat only when installed). */
  peers?: PeerName[];
}

export class BenchStack {
  private constructor(
    readonly kube: BenchChild<KubeReady>,
    readonly provider: BenchChild<ProviderReady>,
    readonly peers: Peer[],
    private readonly children: BenchChild[],
  ) {}

  static async start(options: StackOptions): Promise<BenchStack> {
    // Every child that started is kept here, so that a failure anywhere stops them all.
    const children: BenchChild[] = [];
    const started = async <R>(script: string, childOptions: object, label?: string) => {
      const child = await BenchChild.start<R>(script, childOptions, label);
      children.push(child);
      return child;
    };
    try {
      const { pki, tls } = options;
      const scheme = tls ? 'wss' : 'ws';
      const clientTls = tls ? { tls: { caFile: pki.caFile, certFile: pki.clientCertFile, keyFile: pki.clientKeyFile } } : {};
      const hopTls = tls
        ? { keyFile: pki.serverKeyFile, certFile: pki.serverCertFile, caFile: pki.caFile, clientKeyFile: pki.clientKeyFile, clientCertFile: pki.clientCertFile }
        : false;

      const [provider, kube] = await startAll<BenchChild>([
        started<ProviderReady>('provider', {
          tls: tls && { keyFile: pki.serverKeyFile, certFile: pki.serverCertFile, caFile: pki.caFile },
        } satisfies ProviderProcessOptions),
        started<KubeReady>('kube-api', {
          keyFile: pki.serverKeyFile,
          certFile: pki.serverCertFile,
          users: options.users ?? 1,
        } satisfies KubeProcessOptions),
      ]) as [BenchChild<ProviderReady>, BenchChild<KubeReady>];
      const providerPort = provider.ready.port;
      await kube.call('setProvider', { port: providerPort });

      const gatewayOptions = {
        kubeUrl: kube.ready.url,
        caFile: pki.caFile,
        auth: options.auth,
        tls: tls && { keyFile: pki.serverKeyFile, certFile: pki.serverCertFile, clientKeyFile: pki.clientKeyFile, clientCertFile: pki.clientCertFile },
      };
      const wanted = new Set(options.peers ?? PEER_NAMES);
      if (!hasSocat()) wanted.delete('socat');
      if (!tls) for (const name of TLS_ONLY_PEERS) wanted.delete(name);
      const fdBound = (socketsPerSession: number) => Math.floor((FD_LIMIT - FD_HEADROOM) / socketsPerSession);
      const startPeer = async (name: PeerName): Promise<Peer> => {
        switch (name) {
          case 'direct':
            return {
              name, hopPid: undefined, hopChild: undefined, maxSessions: fdBound(1),
              target: { url: `${scheme}://127.0.0.1:${providerPort}`, path: 'provider', ...clientTls },
            };
          case 'ws-proxy': {
            const proxy = await started<ListenReady>('ws-proxy', { providerPort, tls: hopTls } satisfies WsProxyOptions);
            return {
              name, hopPid: proxy.pid, hopChild: proxy, maxSessions: fdBound(2),
              target: { url: `${scheme}://127.0.0.1:${proxy.ready.port}`, path: 'gateway', ...clientTls },
            };
          }
          case 'gateway':
          case 'gateway-front':
          case 'gateway-spdy':
          case 'gateway-front-proxy':
          case 'gateway-client-cert':
          case 'gateway-ws': {
            const gateway = await started<GatewayReady>('gateway', {
              ...gatewayOptions,
              upstream: name === 'gateway-ws' ? 'websocket' : 'link',
              // gateway-front and gateway-spdy: --listen-spdy, the node:http front that also serves SPDY on the port.
              listenMode: name === 'gateway-front' || name === 'gateway-spdy' ? 'split' : 'websocket',
              listener: name === 'gateway-front-proxy' ? 'front-proxy' : name === 'gateway-client-cert' ? 'client-cert' : 'public',
              ...(options.linksPerProvider ? { linksPerProvider: options.linksPerProvider } : {}),
            } satisfies GatewayProcessOptions, name);
            return {
              name, hopPid: gateway.pid, hopChild: gateway,
              // Sockets per session in the hop: a front relays a websocket client → front → uWS (three),
              // serves SPDY itself (one), uWS alone holds one.
              maxSessions: fdBound(name === 'gateway' || name === 'gateway-spdy' ? 1 : name === 'gateway-ws' ? 2 : 3),
              target: {
                url: `${scheme}://127.0.0.1:${gateway.ready.port}`, path: 'gateway', ...clientTls,
                ...(name === 'gateway-front-proxy' ? { identity: 'front-proxy' as const } : {}),
                ...(name === 'gateway-spdy' ? { transport: 'spdy' as const } : {}),
              },
            };
          }
          case 'gateway-workers': {
            const gateway = await started<GatewayCliReady>('gateway-cli', {
              ...gatewayOptions,
              workers: GATEWAY_WORKERS,
              ...(options.linksPerProvider ? { linksPerProvider: options.linksPerProvider } : {}),
            } satisfies GatewayCliOptions, name);
            return {
              name, hopPid: gateway.ready.gatewayPid, hopChild: undefined,
              // One descriptor limit for the process, whichever thread holds the socket.
              maxSessions: fdBound(1),
              target: { url: `${scheme}://127.0.0.1:${gateway.ready.port}`, path: 'gateway', ...clientTls },
            };
          }
          case 'tcp-relay':
          case 'socat': {
            const relayOptions: TcpRelayOptions = {
              impl: name === 'socat' ? 'socat' : 'node',
              providerPort,
              tls: tls && { ...hopTls as Exclude<typeof hopTls, false>, serverPemFile: pki.serverPemFile, clientPemFile: pki.clientPemFile },
            };
            const relay = await started<RelayReady>('tcp-relay', relayOptions, name);
            return {
              name, hopPid: relay.ready.relayPid, hopChild: name === 'socat' ? undefined : relay,
              maxSessions: name === 'socat' ? SOCAT_MAX_SESSIONS : fdBound(2),
              target: { url: `${scheme}://127.0.0.1:${relay.ready.port}`, path: 'provider', ...clientTls },
            };
          }
        }
      };
      // Settled, not all: every child must have started (and be in `children`) before a failure stops them.
      const settled = await Promise.allSettled(PEER_NAMES.filter((name) => wanted.has(name)).map(startPeer));
      const failure = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      if (failure) throw failure.reason;
      const peers = settled.map((result) => (result as PromiseFulfilledResult<Peer>).value);
      return new BenchStack(kube, provider, peers, children);
    } catch (error) {
      await Promise.all(children.map((child) => child.stop()));
      throw error;
    }
  }

  /** Machines the kube fixture serves (the gateway looks every session's machine up). */
  async addMachines(names: string[]): Promise<void> {
    for (let i = 0; i < names.length; i += 5000) await this.kube.call('addMachines', { names: names.slice(i, i + 5000) });
  }

  /**
   * Waits until the provider has torn down every session of the last measurement (its consoles
   * are closed), so that the next one does not pay for it: a peer that left its provider-side
   * sockets open and unread (ws-proxy closing a paused upstream) kept the provider writing into
   * their kernel buffers for seconds. Resolves with the milliseconds it took.
   */
  async quiesce(timeoutMs = QUIESCE_TIMEOUT_MS): Promise<number> {
    const started = Date.now();
    while ((await this.provider.call<number>('liveConsoles')) > 0) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(`the provider still had sessions open ${timeoutMs} ms after the last measurement closed them`);
      }
      await sleep(QUIESCE_POLL_MS);
    }
    return Date.now() - started;
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => child.stop()));
  }
}

function hasSocat(): boolean {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
