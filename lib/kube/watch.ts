// One Kubernetes watch: a long GET whose body is newline-delimited JSON events, parsed as
// they arrive, ended by the caller, the server, or an idle timeout.
import type { IncomingMessage } from 'node:http';
import { errorFromResponse, invalidJsonError, KubeApiError, timeoutError, unreachableError } from './errors.js';
import { LineSplitter } from './line-splitter.js';
import { readBody } from './response.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** For ERROR events `object` is a Status (e.g. code 410 when the resourceVersion expired). */
export interface WatchEvent<T = unknown> {
  type: WatchEventType;
  object: T;
}

export interface WatchHandle {
  /**
   * Settles when the watch is over: resolves when the server ended the stream or `abort()` was
   * called; rejects with a KubeApiError when it could not start or broke (or with what
   * `onEvent` threw). Always handle it.
   */
  done: Promise<void>;
  abort(): void;
}

const ABORTED_BY_CALLER = Symbol('aborted by caller');

export function startWatch<T>(
  open: (signal: AbortSignal) => Promise<IncomingMessage>,
  what: string,
  idleTimeoutMs: number,
  onEvent: (event: WatchEvent<T>) => void,
): WatchHandle {
  const controller = new AbortController();
  let idleTimer: NodeJS.Timeout | undefined;
  const touch = (): void => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => controller.abort(timeoutError(what, idleTimeoutMs)), idleTimeoutMs);
  };
  // What onEvent threw; leaving the loop below then closes the response.
  let consumerError: { error: unknown } | undefined;
  const deliver = (line: string): void => {
    const event = parseEvent<T>(line, what);
    try {
      onEvent(event);
    } catch (error) {
      consumerError = { error };
      throw error;
    }
  };

  const done = (async () => {
    touch();
    try {
      const res = await open(controller.signal);
      const code = res.statusCode ?? 0;
      if (code !== 200) throw errorFromResponse(code, await readBody(res), what);
      res.setEncoding('utf8');
      const lines = new LineSplitter();
      for await (const chunk of res as AsyncIterable<string>) {
        touch();
        for (const line of lines.push(chunk)) deliver(line);
      }
      const rest = lines.end();
      if (rest) deliver(rest);
    } catch (err) {
      if (consumerError) throw consumerError.error;
      if (controller.signal.aborted) {
        if (controller.signal.reason === ABORTED_BY_CALLER) return;
        throw controller.signal.reason;
      }
      throw err instanceof KubeApiError ? err : unreachableError(err, what);
    } finally {
      clearTimeout(idleTimer);
    }
  })();
  return { done, abort: () => controller.abort(ABORTED_BY_CALLER) };
}

function parseEvent<T>(line: string, what: string): WatchEvent<T> {
  let event: Partial<WatchEvent<T>>;
  try {
    event = JSON.parse(line) as Partial<WatchEvent<T>>;
  } catch {
    throw invalidJsonError(what);
  }
  if (typeof event?.type !== 'string' || typeof event.object !== 'object' || event.object === null) {
    throw new KubeApiError(502, 'InternalError', `kubernetes API sent a watch event without type or object (${what})`);
  }
  return event as WatchEvent<T>;
}
