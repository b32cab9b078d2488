// The default upstream: a few long-lived links per provider, each carrying many sessions.
// Links are opened on demand up to `linksPerProvider`, then sessions go to the least-loaded
// one. A provider that cannot be reached is not hammered: after a failed connect, opens fail
// fast with the same error until a backoff (LINK_BACKOFF) has passed.
import type { Logger } from 'pino';
import type { ConnectionOptions } from 'node:tls';
import { connectLink, LinkHandshakeError, StreamMultiplexer, type LinkConnection } from '../../link/index.js';
import { Backoff, LINK_BACKOFF } from '../../kube/index.js';
import { StatusError, type OpenMessage } from '../../protocol/index.js';
import { LinkUpstreamStream, type LinkUpstreamLimits } from './link-upstream-stream.js';
import type { ProviderTarget, Upstream, UpstreamStream } from './upstream.js';

export interface LinkPoolOptions extends LinkUpstreamLimits {
  /** TLS to the providers (CA, the gateway's client certificate), or false for plain TCP (dev). */
  tls: ConnectionOptions | false;
  linksPerProvider: number;
  connectTimeoutMs: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  logger: Logger;
}

type PooledLink = StreamMultiplexer<LinkUpstreamStream>;


class ProviderLinks {
  readonly links: PooledLink[] = [];
  private connecting: Promise<PooledLink> | undefined;
  private readonly backoff = new Backoff(LINK_BACKOFF);
  private retryAt = 0;
  private lastError: StatusError | undefined;

  constructor(
    private readonly key: string,
    private readonly target: ProviderTarget,
    private readonly options: LinkPoolOptions,
  ) {}

  async pick(): Promise<PooledLink> {
    const usable = this.links.filter((l) => l.canOpen);
    if (usable.length >= this.options.linksPerProvider || (usable.length > 0 && this.connecting)) {
      return usable.reduce((a, b) => (b.size < a.size ? b : a));
    }
    // Spread over more links only while the existing ones are busy.
    const idle = usable.find((l) => l.size === 0);
    if (idle) return idle;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<PooledLink> {
    if (Date.now() < this.retryAt && this.lastError) throw this.lastError;
    let connection: LinkConnection;
    try {
      connection = await connectLink({
        host: this.target.address,
        port: this.target.port,
        tls: this.options.tls,
        timeoutMs: this.options.connectTimeoutMs,
        pingIntervalMs: this.options.pingIntervalMs,
        pingTimeoutMs: this.options.pingTimeoutMs,
        logger: this.options.logger,
        // Output goes on to the client in the same turn (GatewaySession), so reads can be lent.
        reuseReadBuffer: true,
      });
    } catch (error) {
      this.retryAt = Date.now() + this.backoff.next()!;
      this.lastError = connectError(this.key, error);
      throw this.lastError;
    }
    this.backoff.reset();
    this.lastError = undefined;
    const link: PooledLink = new StreamMultiplexer(connection, { onGone: () => this.links.splice(this.links.indexOf(link), 1) });
    this.links.push(link);
    return link;
  }
}

function connectError(key: string, error: unknown): StatusError {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof LinkHandshakeError && error.statusCode) {
    return new StatusError(502, `provider ${key} refused the link: ${message}`, 'InternalError', { cause: error });
  }
  if (/timed? ?out/i.test(message)) return new StatusError(504, `provider ${key} did not answer in time: ${message}`, 'Timeout', { cause: error });
  return new StatusError(503, `provider ${key} is unreachable: ${message}`, 'ServiceUnavailable', { cause: error });
}

export class LinkPool implements Upstream {
  private readonly providers = new Map<string, ProviderLinks>();

  constructor(private readonly options: LinkPoolOptions) {}

  async open(target: ProviderTarget, request: OpenMessage, timeoutMs: number): Promise<UpstreamStream> {
    const key = `${target.address}:${target.port}`;
    let provider = this.providers.get(key);
    if (!provider) {
      provider = new ProviderLinks(key, target, this.options);
      this.providers.set(key, provider);
    }
    const link = await provider.pick();
    // A link lost while this open waited for it.
    if (!link.canOpen) throw new StatusError(503, `connection to provider ${key} lost`, 'ServiceUnavailable');
    const stream = link.open((id) => new LinkUpstreamStream(link.link, id, this.options, key, (s) => link.forget(s.id)));
    const opened = stream.whenOpened();
    link.link.send({ stream: stream.id, kind: 'open', open: { ...request, window: this.options.window } });

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        stream.close();
        reject(new StatusError(504, `provider ${key} did not open the console within ${timeoutMs} ms`, 'Timeout'));
      }, timeoutMs);
    });
    try {
      await Promise.race([opened, timeout]);
    } catch (close) {
      if (close instanceof StatusError) throw close;
      const { code, reason, message } = close as { code?: number; reason?: string; message?: string };
      throw new StatusError(code && code >= 400 ? code : 502, message || `provider ${key} refused the session`, reason || undefined);
    } finally {
      clearTimeout(timer);
    }
    return stream;
  }

  connections(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const [key, provider] of this.providers) counts.set(key, provider.links.length);
    return counts;
  }

  close(): void {
    for (const provider of this.providers.values()) for (const link of provider.links) link.link.close();
    this.providers.clear();
  }
}
