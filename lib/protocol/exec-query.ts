// The exec query parameters of both endpoints (the gateway's and the provider's per-machine
// one). Those of pod exec that apply (tty, stdin, stdout, stderr) keep their names; ours are
// takeover, readOnly, noReplay, replayFrom, announceOffset and announceRole (camelCase, as Kubernetes query
// parameters are).
// Booleans are what Go's strconv.ParseBool takes (1/t/true, 0/f/false, any case here);
// replayFrom is a console output offset, a non-negative integer; anything else is a 400.
// Unknown parameters are ignored, as kube-apiserver does.
import { parseOffsetText } from './output-offset.js';

export interface ExecQuery {
  tty: boolean;
  stdin: boolean;
  /** As pod exec's, present only when the client passed them (SPDY clients open streams by them). */
  stdout?: boolean;
  stderr?: boolean;
  /** Take the write lock from whoever holds it. */
  takeover: boolean;
  /** Attach as a viewer that never takes the write lock. */
  readOnly: boolean;
  /** Skip the scrollback replay. */
  noReplay: boolean;
  /** Replay the scrollback from this console output offset on (a reconnecting client). */
  replayFrom?: number;
  /** Send the output offset of the first stdout byte in-band first (see OUTPUT_OFFSET). */
  announceOffset: boolean;
  /** Send the session's role in-band, at attach and on each change (see ROLE). */
  announceRole: boolean;
}

const BOOLEAN_PARAMETERS = ['tty', 'stdin', 'stdout', 'stderr', 'takeover', 'readOnly', 'noReplay', 'announceOffset', 'announceRole'] as const;

/** Parses the query string of `url` (a path with a query); returns the parameters or an error message. */
export function parseExecQuery(url: string): ExecQuery | string {
  const params = new URL(url, 'http://exec').searchParams;
  const values: Record<string, boolean> = {};
  for (const name of BOOLEAN_PARAMETERS) {
    const raw = params.get(name);
    if (raw === null) continue;
    const value = parseBoolean(raw);
    if (value === undefined) return `query parameter ${name} must be true, false, 1 or 0, got ${JSON.stringify(raw)}`;
    values[name] = value;
  }
  if (values.takeover && values.readOnly) return 'query parameters takeover and readOnly exclude each other';
  const rawReplayFrom = params.get('replayFrom');
  const replayFrom = parseOffsetText(rawReplayFrom);
  if (rawReplayFrom !== null && replayFrom === undefined) {
    return `query parameter replayFrom must be a console output offset (a non-negative integer), got ${JSON.stringify(rawReplayFrom.slice(0, 40))}`;
  }
  return {
    tty: values.tty ?? false,
    stdin: values.stdin ?? false,
    takeover: values.takeover ?? false,
    readOnly: values.readOnly ?? false,
    noReplay: values.noReplay ?? false,
    announceOffset: values.announceOffset ?? false,
    announceRole: values.announceRole ?? false,
    ...(values.stdout !== undefined && { stdout: values.stdout }),
    ...(values.stderr !== undefined && { stderr: values.stderr }),
    ...(replayFrom !== undefined && { replayFrom }),
  };
}

function parseBoolean(raw: string): boolean | undefined {
  switch (raw.toLowerCase()) {
    case 'true':
    case 't':
    case '1':
      return true;
    case 'false':
    case 'f':
    case '0':
      return false;
    default:
      return undefined;
  }
}

/** The query string for `query` (without the leading '?'). */
export function encodeExecQuery(query: ExecQuery): string {
  const params = new URLSearchParams();
  for (const name of ['tty', 'stdin', 'takeover', 'readOnly', 'noReplay'] as const) params.set(name, String(query[name]));
  for (const name of ['stdout', 'stderr'] as const) if (query[name] !== undefined) params.set(name, String(query[name]));
  if (query.replayFrom !== undefined) params.set('replayFrom', String(query.replayFrom));
  if (query.announceOffset) params.set('announceOffset', 'true');
  if (query.announceRole) params.set('announceRole', 'true');
  return params.toString();
}
