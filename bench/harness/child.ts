// The parent's half of the bench's IPC: starts a process from bench/processes with its options
// as JSON, waits for its `ready` message and calls its methods. Every child started here is
// killed when the bench exits, however it exits, so no process outlives a run.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();

// SIGTERM, not SIGKILL: a child that supervises a non-Node process (socat) stops it on its way out.
process.once('exit', () => {
  for (const child of live) child.kill('SIGTERM');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => process.exit(130));
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 3000;

export class BenchChild<Ready = unknown> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private exited: Error | undefined;

  private constructor(
    readonly name: string,
    private readonly process: ChildProcess,
    readonly ready: Ready,
  ) {
    process.on('message', (message: { id: number; result?: unknown; error?: string }) => {
      const call = this.pending.get(message.id);
      if (!call) return;
      this.pending.delete(message.id);
      if (message.error !== undefined) call.reject(new Error(`${name}: ${message.error}`));
      else call.resolve(message.result);
    });
    process.once('exit', (code, signal) => {
      this.exited = new Error(`${name} exited (${signal ?? `code ${code}`})`);
      for (const call of this.pending.values()) call.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Starts bench/processes/`script`.js; resolves once it said it is ready. */
  static start<Ready>(script: string, options: object, label = script): Promise<BenchChild<Ready>> {
    const path = fileURLToPath(new URL(`../processes/${script}.js`, import.meta.url));
    // BENCH_CPU_PROF=DIR: every child writes a V8 CPU profile to DIR/<label>/ when it stops.
    const profileDir = process.env.BENCH_CPU_PROF;
    const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${label.replace(/\W+/g, '-')}`] : [];
    const child = fork(path, [JSON.stringify(options)], {
      execArgv: ['--expose-gc', ...profiling],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(child);
    child.once('exit', () => live.delete(child));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${label} did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${label} exited before it was ready (${signal ?? `code ${code}`})`));
      });
      child.once('message', (message: { ready?: Ready }) => {
        clearTimeout(timer);
        if (message.ready === undefined) {
          child.kill('SIGKILL');
          reject(new Error(`${label} sent ${JSON.stringify(message)} before ready`));
        } else {
          resolve(new BenchChild(label, child, message.ready));
        }
      });
    });
  }

  get pid(): number {
    return this.process.pid!;
  }

  call<T>(method: string, params?: object): Promise<T> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.process.send({ id, method, params: params ?? {} });
    });
  }

  /** SIGTERM, then SIGKILL if it is still there after a grace period. */
  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), STOP_GRACE_MS);
    await gone;
    clearTimeout(timer);
  }
}

/** Waits for every start; when any failed, stops those that did start and throws the first failure. */
export async function startAll<T extends { stop(): Promise<void> }>(starting: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(starting);
  const started = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (!failure) return started;
  await Promise.all(started.map((item) => item.stop()));
  throw failure.reason;
}
