// The upstreams with their defaults, for createKubeGateway and for embedders who bring their
// own lookup and authorization but carry sessions as this gateway does.
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from 'pino';
import { DEFAULT_STREAM_WINDOW, silentLogger } from '../link/index.js';
import { LinkPool } from './upstream/link-pool.js';
import { SpdyUpstream } from './upstream/spdy-upstream.js';
import type { Upstream } from './upstream/upstream.js';
import { WebsocketUpstream } from './upstream/websocket-upstream.js';

/**
 * 'link' (default): pooled multiplexed links; 'websocket': one websocket per session (v5, else
 * v4 and older: what IronCore's machinepoollet speaks); 'spdy': one SPDY/3.1 connection per
 * session, POST, as ironcore-apiserver reaches the machinepoollet.
 */
export type UpstreamMode = 'link' | 'websocket' | 'spdy';

export interface UpstreamOptions {
  /** TLS to providers (their CA and the gateway's client certificate), or false for plain TCP (dev only). */
  tls: ConnectionOptions | false;
  /** Default 'link'. */
  mode?: UpstreamMode;
  /** Links opened to each provider ('link' mode); default 2. */
  linksPerProvider?: number;
  /** Each session's receive window toward its provider (default 1 MiB): the output a provider may send ahead of the client. */
  streamWindowBytes?: number;
  /** Link failures ('link' mode); default silent. */
  logger?: Logger;
}

/** Links opened to each provider when UpstreamOptions.linksPerProvider is left out. */
export const DEFAULT_LINKS_PER_PROVIDER = 2;

/** The client input held while a provider grants no credit. */
const STDIN_HOLD_BYTES = 1 << 20;

/**
 * How the gateway reaches providers.
 *
 * @example
 * ```js
 * const upstream = createUpstream({ tls: { ca, cert, key } });
 * const gateway = createGateway({ lookup, authenticator, authorizer, upstream });
 * ```
 */
export function createUpstream(options: UpstreamOptions): Upstream {
  const limits = { window: options.streamWindowBytes ?? DEFAULT_STREAM_WINDOW, stdinHoldBytes: STDIN_HOLD_BYTES };
  switch (options.mode ?? 'link') {
    case 'websocket':
      return new WebsocketUpstream({ tls: options.tls, ...limits });
    case 'spdy':
      return new SpdyUpstream({ tls: options.tls, ...limits });
    case 'link':
      return new LinkPool({
        tls: options.tls,
        linksPerProvider: options.linksPerProvider ?? DEFAULT_LINKS_PER_PROVIDER,
        connectTimeoutMs: 5000,
        pingIntervalMs: 10_000,
        pingTimeoutMs: 30_000,
        logger: options.logger ?? silentLogger,
        ...limits,
      });
  }
}
