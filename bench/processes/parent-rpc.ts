// The child's half of the bench's IPC: a child announces itself with one `ready` message, then
// answers the parent's calls ({id, method, params} → {id, result} or {id, error}). A child
// never outlives its parent: when the IPC channel closes (the parent exited or was killed),
// it exits too.

export type Handlers = Record<string, (params: never) => unknown>;

interface Call {
  id: number;
  method: string;
  params: unknown;
}

/** The JSON options the parent passed as the first argument. */
export function childOptions<T>(): T {
  const raw = process.argv[2];
  if (!raw) throw new Error('bench child started without its options argument');
  return JSON.parse(raw) as T;
}

export function serveParent(ready: object, handlers: Handlers): void {
  if (!process.send) throw new Error('bench children must be started with an IPC channel');
  const all: Handlers = {
    // Before a memory reading, so that garbage does not count (the parent passes --expose-gc).
    gc: () => (globalThis as { gc?: () => void }).gc?.(),
    /** The JS heap in use, to tell it apart from the rest of the resident memory. */
    heapUsed: () => process.memoryUsage().heapUsed,
    ...handlers,
  };
  process.on('message', (message: Call) => {
    const handler = all[message.method];
    Promise.resolve()
      .then(() => {
        if (!handler) throw new Error(`unknown method ${message.method}`);
        return (handler as (params: unknown) => unknown)(message.params);
      })
      .then(
        (result) => process.send?.({ id: message.id, result: result ?? null }),
        (error: unknown) => process.send?.({ id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) }),
      );
  });
  // Exiting through process.exit runs 'exit' hooks (a relay stops its socat there).
  process.on('disconnect', () => process.exit(0));
  process.once('SIGTERM', () => process.exit(0));
  process.send({ ready });
}
