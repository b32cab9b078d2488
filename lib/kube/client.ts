// A small Kubernetes REST client: JSON GET/POST and watches over one keep-alive agent, every
// call bounded in time, every failure a KubeApiError.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { KubeConfig } from './config.js';
import { KubeApiError, timeoutError, unreachableError } from './errors.js';
import { readJson } from './response.js';
import { startWatch, type WatchEvent, type WatchHandle } from './watch.js';

/** Limits and defaults of a KubeClient. */
export interface KubeClientOptions {
  /** Upper bound of concurrent connections to the API server. */
  maxSockets?: number;
  /** Default deadline of get and post. */
  timeoutMs?: number;
  /** Default time a watch may stay silent before it is given up. */
  watchIdleTimeoutMs?: number;
  userAgent?: string;
  /** Where routine events go (a pooled connection the server had closed, retried). */
  log?: { debug(details: object, message: string): void };
}

/** Per call: a deadline and a way to give up. */
export interface RequestOptions {
  timeoutMs?: number;
  /** Aborting rejects the call with the signal's reason. */
  signal?: AbortSignal;
}

/** Where a watch starts and how long it may last. */
export interface WatchOptions {
  /** Start after this version, as returned by a LIST; events are then replayed from it. */
  resourceVersion?: string;
  /** Idle timeout: how long no byte (event or bookmark) may arrive. */
  timeoutMs?: number;
  /**
   * How long the server keeps the watch before ending it cleanly (the caller then resumes from
   * its resourceVersion). Default as client-go's reflector: 5 to 10 minutes, spread at random so
   * many watchers do not all come back at once.
   */
  timeoutSeconds?: number;
}

/** client-go's reflector: minWatchTimeout, and a timeout between it and twice it. */
const MIN_WATCH_TIMEOUT_SECONDS = 300;

/**
 * A small REST client of the Kubernetes API: get, post and watch, over pooled keep-alive
 * connections, failures as KubeApiError (the API's Status).
 *
 * @example
 * ```js
 * const client = new KubeClient(loadKubeconfig());
 * const machine = await client.get('/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/web-1');
 * client.close();
 * ```
 */
export class KubeClient {
  readonly server: URL;
  private readonly agent: HttpAgent;
  private readonly transport: typeof httpRequest;
  private readonly timeoutMs: number;
  private readonly watchIdleTimeoutMs: number;
  private readonly userAgent: string;
  private readonly log: KubeClientOptions['log'];

  constructor(
    private readonly config: KubeConfig,
    options: KubeClientOptions = {},
  ) {
    this.log = options.log;
    this.server = new URL(config.server);
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.watchIdleTimeoutMs = options.watchIdleTimeoutMs ?? 120_000;
    this.userAgent = options.userAgent ?? 'ironcore-console';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 64 };
    if (this.server.protocol === 'https:') {
      this.transport = httpsRequest;
      this.agent = new HttpsAgent({
        ...agentOptions,
        ca: config.ca,
        cert: config.clientCert,
        key: config.clientKey,
        rejectUnauthorized: !config.insecureSkipTLSVerify,
      });
    } else if (this.server.protocol === 'http:') {
      this.transport = httpRequest;
      this.agent = new HttpAgent(agentOptions);
    } else {
      throw new Error(`kubernetes API server ${config.server}: only https:// and http:// are supported`);
    }
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.call<T>('GET', path, undefined, options);
  }

  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    // A string, not a Buffer: node:http then sends the head and the body as one write.
    return this.call<T>('POST', path, JSON.stringify(body), options);
  }

  /** Watches `path` (a collection); bookmarks are requested and passed to `onEvent` too. */
  watch<T>(path: string, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    const timeoutSeconds = options.timeoutSeconds ?? Math.floor(MIN_WATCH_TIMEOUT_SECONDS * (1 + Math.random()));
    const query: Record<string, string> = { watch: '1', allowWatchBookmarks: 'true', timeoutSeconds: String(timeoutSeconds) };
    if (options.resourceVersion) query.resourceVersion = options.resourceVersion;
    const watchPath = withQuery(path, query);
    const headers = this.headers();
    return startWatch(
      (signal) => this.send('GET', watchPath, headers, undefined, signal),
      `GET ${path} (watch)`,
      options.timeoutMs ?? this.watchIdleTimeoutMs,
      onEvent,
    );
  }

  /** Closes idle connections and ends the ones in use. */
  close(): void {
    this.agent.destroy();
  }

  private async call<T>(method: string, path: string, body: string | undefined, options: RequestOptions): Promise<T> {
    const what = `${method} ${path}`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const headers = this.headers(body);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(timeoutError(what, timeoutMs)), timeoutMs);
    const onCallerAbort = (): void => controller.abort(options.signal?.reason);
    if (options.signal?.aborted) onCallerAbort();
    else options.signal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const res = await this.send(method, path, headers, body, controller.signal);
      return await readJson<T>(res, what);
    } catch (err) {
      if (controller.signal.aborted) throw controller.signal.reason;
      throw err instanceof KubeApiError ? err : unreachableError(err, what);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onCallerAbort);
    }
  }

  private headers(body?: string): OutgoingHttpHeaders {
    const headers: OutgoingHttpHeaders = { accept: 'application/json', 'user-agent': this.userAgent };
    const token = this.config.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    if (body) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(body);
    }
    return headers;
  }

  private send(
    method: string,
    path: string,
    headers: OutgoingHttpHeaders,
    body: string | undefined,
    signal: AbortSignal,
    retried = false,
  ): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = this.transport({
        protocol: this.server.protocol,
        // URL keeps the brackets of an IPv6 host; the socket wants the bare address.
        hostname: this.server.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: this.server.port,
        path: this.server.pathname.replace(/\/$/, '') + path,
        method,
        headers,
        agent: this.agent,
      });
      // Aborting destroys the request and with it the response being read. Not http.request's
      // own `signal` option: its end-of-stream tracking cost more than the request's headers.
      const onAbort = (): void => void req.destroy(signal.reason as Error);
      if (signal.aborted) onAbort();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        req.once('close', () => signal.removeEventListener('abort', onAbort));
      }
      req.once('response', resolve);
      req.once('error', (error: NodeJS.ErrnoException) => {
        // The server closed a kept-alive connection just as we reused it (Node's documented race):
        // the request goes again on a fresh one, once, as Go's transport does for client-go. Ours
        // are reads and reviews, safe to repeat.
        if (!retried && req.reusedSocket && error.code === 'ECONNRESET' && !signal.aborted) {
          this.log?.debug({ method, path: path.split('?')[0] }, 'kubernetes API closed a pooled connection; retrying on a new one');
          resolve(this.send(method, path, headers, body, signal, true));
        } else reject(error);
      });
      req.end(body);
    });
  }
}

function withQuery(path: string, query: Record<string, string>): string {
  return `${path}${path.includes('?') ? '&' : '?'}${new URLSearchParams(query)}`;
}
