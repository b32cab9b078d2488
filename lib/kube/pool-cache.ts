// All MachinePools, kept current by list+watch (as client-go's reflector does), so resolving a
// machine costs one GET at most: pools are few, change rarely, and every session needs one.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Status } from '../protocol/index.js';
import { WATCH_BACKOFF, backoffDelay, type BackoffPolicy } from './backoff.js';
import type { KubeClient } from './client.js';
import { KubeApiError } from './errors.js';
import { MACHINE_POOLS, resourcePath } from './resources.js';
import type { KubeList, MachinePool } from './types.js';
import type { WatchEvent, WatchHandle } from './watch.js';

/** The part of a pino logger the cache uses. */
export interface WarnLogger {
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

export interface MachinePoolCacheOptions {
  /** Default WATCH_BACKOFF. */
  backoff?: BackoffPolicy;
  /** A watch that sends nothing (not even a bookmark) for this long is reconnected. */
  watchIdleTimeoutMs?: number;
  /** The watch's timeoutSeconds (default: the client's, 5 to 10 minutes). */
  watchTimeoutSeconds?: number;
  listTimeoutMs?: number;
  log?: WarnLogger;
}

export class MachinePoolCache {
  /** Resolves true once the first LIST is in, false if the cache was closed before that. */
  readonly ready: Promise<boolean>;
  private markReady!: (synced: boolean) => void;
  private readonly pools = new Map<string, MachinePool>();
  private resourceVersion = '';
  private hasSynced = false;
  /** Whether the current attempt saw the API work; a failure after progress retries at once. */
  private progressed = false;
  private readonly stopped = new AbortController();
  private watchHandle: WatchHandle | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly options: MachinePoolCacheOptions = {},
  ) {
    this.ready = new Promise((resolve) => (this.markReady = resolve));
  }

  start(): this {
    this.running ??= this.run();
    return this;
  }

  get synced(): boolean {
    return this.hasSynced;
  }

  get(name: string): MachinePool | undefined {
    return this.pools.get(name);
  }

  /** Stops watching; resolves when no request or timer of the cache is left. */
  async close(): Promise<void> {
    this.stopped.abort();
    this.watchHandle?.abort();
    this.markReady(false);
    await this.running;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let needList = true;
    while (!this.stopped.signal.aborted) {
      if (attempt > 0 && !(await this.pause(attempt))) return;
      this.progressed = false;
      try {
        if (needList) await this.list();
        needList = false;
        await this.watch();
        // The server ends every watch (timeoutSeconds): routine, resume where it left off.
        this.options.log?.debug({ resourceVersion: this.resourceVersion }, 'machine pool watch ended; resuming');
      } catch (err) {
        if (this.stopped.signal.aborted) return;
        // 410: our resourceVersion is older than the API keeps; only a new LIST helps.
        const gone = err instanceof KubeApiError && err.code === 410;
        needList ||= gone;
        const details = { resourceVersion: this.resourceVersion, code: (err as KubeApiError).code, error: (err as Error).message };
        // A watch that broke after it had worked (a dropped connection, an API restart) is
        // routine too; only failing to list or to start watching is worth a warning.
        if (gone || this.progressed) this.options.log?.debug(details, 'machine pool watch ended; relisting or resuming');
        else this.options.log?.warn(details, 'machine pool list or watch failed; retrying');
      }
      attempt = this.progressed ? 0 : attempt + 1;
    }
  }

  private async pause(attempt: number): Promise<boolean> {
    try {
      await sleep(backoffDelay(attempt, this.options.backoff ?? WATCH_BACKOFF), undefined, { signal: this.stopped.signal });
      return true;
    } catch {
      return false;
    }
  }

  private async list(): Promise<void> {
    const list = await this.client.get<KubeList<MachinePool>>(resourcePath(MACHINE_POOLS), {
      signal: this.stopped.signal,
      timeoutMs: this.options.listTimeoutMs,
    });
    this.pools.clear();
    for (const pool of list.items) this.pools.set(pool.metadata.name, pool);
    this.resourceVersion = list.metadata.resourceVersion;
    this.hasSynced = true;
    this.markReady(true);
  }

  private async watch(): Promise<void> {
    if (this.stopped.signal.aborted) return;
    const options = { resourceVersion: this.resourceVersion, timeoutMs: this.options.watchIdleTimeoutMs, timeoutSeconds: this.options.watchTimeoutSeconds };
    this.watchHandle = this.client.watch<MachinePool | Status>(resourcePath(MACHINE_POOLS), options, (event) =>
      this.apply(event),
    );
    try {
      await this.watchHandle.done;
    } finally {
      this.watchHandle = undefined;
    }
  }

  private apply(event: WatchEvent<MachinePool | Status>): void {
    if (event.type === 'ERROR') throw KubeApiError.fromStatus(event.object as Status, 500);
    const pool = event.object as MachinePool;
    if (event.type === 'ADDED' || event.type === 'MODIFIED') this.pools.set(pool.metadata.name, pool);
    else if (event.type === 'DELETED') this.pools.delete(pool.metadata.name);
    this.resourceVersion = pool.metadata.resourceVersion ?? this.resourceVersion;
    this.progressed = true;
  }
}
