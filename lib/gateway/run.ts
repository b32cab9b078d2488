// Runs a gateway process (or one of its worker threads): Kubernetes config, provider TLS,
// the listening app, and graceful shutdown.
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { silentLogger } from '../link/index.js';
import { loadInCluster, loadKubeconfig, type KubeConfig } from '../kube/index.js';
import type { AuditSink } from './audit.js';
import { auditTroubleLogger, openAuditLog, type AuditLogOptions } from './audit-log.js';
import { listenClientCertificates } from './client-cert-listener.js';
import { listenFrontProxy } from './front-proxy.js';
import type { Gateway } from './gateway.js';
import type { HttpFront } from './http-front.js';
import type { UpstreamMode } from './create-upstream.js';
import { createKubeGateway, type KubeGatewayOptions } from './kube-gateway.js';
import { listenGateway, type GatewayServer, type GatewayTlsFiles, type ListenOptions, type PublicListenerMode } from './server.js';

/** Everything a gateway process needs; plain data, so it can be handed to worker threads. */
export interface GatewayConfig {
  host: string;
  port: number;
  tls?: GatewayTlsFiles;
  /** Kubeconfig to use; without it the in-cluster service account. */
  kubeconfig?: { paths?: string[]; context?: string };
  provider: { caFile: string; certFile: string; keyFile: string } | 'insecure';
  auth: 'kube' | 'none';
  allowGetVerb: boolean;
  allowedOrigins?: string[];
  machineCacheTtlMs: number;
  /** KubeGatewayOptions.watchMachines. */
  watchMachines?: boolean;
  linksPerProvider: number;
  upstream: UpstreamMode;
  shutdownGraceMs: number;
  /** How the public listener is arranged (server.ts): 'split' (websockets and SPDY) or 'websocket'. */
  listenMode: PublicListenerMode;
  /** Set by --workers for each worker thread in split mode (ListenOptions.worker). */
  worker?: ListenOptions['worker'];
  /** A listener for kube-apiserver's front proxy (needs `tls`; see front-proxy.ts). */
  requestHeader?: { host: string; port: number; clientCaFile: string; allowedNames: string[] };
  /** A listener for users with client certificates (needs `tls`; see client-cert-listener.ts). */
  clientCertificates?: { host: string; port: number; clientCaFile: string };
  reviews?: KubeGatewayOptions['reviews'];
  limits?: KubeGatewayOptions['limits'];
  maxBytesPerSecond?: number;
  /** Audit events to a file ('-': stdout). */
  auditLog?: AuditLogOptions;
}

/** A bound listener, as --port-file lists it. */
export interface BoundListener {
  /** public, requestheader or client-cert (or private: a split-mode worker's app, for worker 0's front). */
  name: string;
  host: string;
  port: number;
}

/** A gateway process's listeners, as runGateway started them. */
export interface RunningGateway {
  /** The public listener. */
  server: GatewayServer;
  /** Every listener, once all of them listen. */
  listeners: BoundListener[];
  /** Graceful stop: no new sessions, a grace period, then a Status to those left. */
  stop(): Promise<void>;
}

/**
 * Runs the whole gateway from plain data, as the `gateway` command does (without its signals:
 * call `stop()` on SIGTERM). `audit` replaces the file config.auditLog names: worker threads pass one that hands their
 * lines to the main thread, so one writer owns (and rotates) the file.
 */
export async function runGateway(config: GatewayConfig, logger: Logger = silentLogger, audit?: AuditSink): Promise<RunningGateway> {
  const kube: KubeConfig = config.kubeconfig ? loadKubeconfig(config.kubeconfig) : loadInCluster();
  const auditLog = audit || !config.auditLog ? undefined : openAuditLog(config.auditLog, auditTroubleLogger(logger));
  const kubeGateway = createKubeGateway({
    kube,
    providerTls:
      config.provider === 'insecure'
        ? false
        : { ca: readFileSync(config.provider.caFile), cert: readFileSync(config.provider.certFile), key: readFileSync(config.provider.keyFile) },
    auth: config.auth,
    allowGetVerb: config.allowGetVerb,
    allowedOrigins: config.allowedOrigins,
    machineCacheTtlMs: config.machineCacheTtlMs,
    watchMachines: config.watchMachines,
    linksPerProvider: config.linksPerProvider,
    upstream: config.upstream,
    reviews: config.reviews,
    limits: config.limits,
    maxBytesPerSecond: config.maxBytesPerSecond,
    audit: audit ?? auditLog,
    logger,
  });
  if (config.provider === 'insecure') logger.warn('provider links are plain TCP without authentication (--provider-insecure): development only');
  const server = await listenGateway(kubeGateway.gateway, {
    host: config.host, port: config.port, tls: config.tls, mode: config.listenMode, logger,
    ...(config.worker && { worker: config.worker }),
  });
  const protocols = config.listenMode === 'split' ? ['websocket', 'SPDY/3.1'] : ['websocket'];
  // A split-mode worker without the front serves its uWS app privately, reached through worker 0's.
  const privately = Boolean(config.worker && !config.worker.front);
  const where = privately ? { privatePort: server.port } : { host: config.host, port: server.port };
  logger.info({ ...where, tls: Boolean(config.tls), auth: config.auth, protocols }, 'gateway listening');
  const relays: RelayListener[] = [];
  if (config.requestHeader) relays.push(await startFrontProxy(config, kubeGateway.relayedIdentityGateway(), logger));
  if (config.clientCertificates) relays.push(await startClientCertificates(config, kubeGateway.relayedIdentityGateway(), logger));
  return {
    server,
    listeners: [privately ? { name: 'private', host: '127.0.0.1', port: server.port } : { name: 'public', host: config.host, port: server.port }, ...relays.map((relay) => relay.bound)],
    async stop() {
      await Promise.all([server.shutdown(config.shutdownGraceMs), ...relays.map((relay) => relay.stop(config.shutdownGraceMs))]);
      await kubeGateway.close();
      auditLog?.close();
    },
  };
}

interface RelayListener {
  bound: BoundListener;
  stop(graceMs: number): Promise<void>;
}

function serverTls(config: GatewayConfig, listener: string): { key: Buffer; cert: Buffer } {
  if (!config.tls) throw new Error(`the ${listener} listener needs the gateway's TLS certificate (--tls-cert, --tls-key)`);
  return { key: readFileSync(config.tls.keyFile), cert: readFileSync(config.tls.certFile) };
}

function stopping(gateway: Gateway, listener: HttpFront, bound: BoundListener): RelayListener {
  return {
    bound,
    async stop(graceMs) {
      listener.stopAccepting();
      await gateway.drain(graceMs);
      await listener.close();
    },
  };
}

async function startFrontProxy(config: GatewayConfig, gateway: Gateway, logger: Logger): Promise<RelayListener> {
  const { host, port, clientCaFile, allowedNames } = config.requestHeader!;
  const listener = await listenFrontProxy(gateway, { host, port, ...serverTls(config, 'front-proxy'), clientCa: readFileSync(clientCaFile), allowedNames, logger });
  logger.info({ host, port: listener.port, allowedNames }, 'front-proxy listener listening');
  return stopping(gateway, listener, { name: 'requestheader', host, port: listener.port });
}

async function startClientCertificates(config: GatewayConfig, gateway: Gateway, logger: Logger): Promise<RelayListener> {
  const { host, port, clientCaFile } = config.clientCertificates!;
  const listener = await listenClientCertificates(gateway, { host, port, ...serverTls(config, 'client-certificate'), clientCa: readFileSync(clientCaFile), logger });
  logger.info({ host, port: listener.port }, 'client-certificate listener listening');
  return stopping(gateway, listener, { name: 'client-cert', host, port: listener.port });
}
