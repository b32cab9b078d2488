// Everything the exec endpoint needs from an upgrade request, read synchronously: uWS's
// HttpRequest is valid only until the handler returns, and the rest of the upgrade is async.
// Names are validated here, before anything builds a URL from them.
import type { UWS } from './uws.js';
import {
  type ChannelProtocol,
  StatusError,
  invalidLabel,
  invalidSubdomain,
  parseOfferedProtocols,
} from '../protocol/index.js';

export interface Credentials {
  /** From `Authorization: Bearer` or the bearer subprotocol. */
  token?: string;
  /** Why the bearer subprotocol was refused; the request is then unauthorized. */
  tokenError?: string;
}

export interface ExecRequest {
  method: 'GET' | 'POST';
  namespace: string;
  machine: string;
  protocol: ChannelProtocol;
  tty: boolean;
  stdin: boolean;
  takeover: boolean;
  readOnly: boolean;
  noReplay: boolean;
  /** Replay the scrollback from this console output offset (a reconnecting client). */
  replayFrom?: number;
  origin: string;
  host: string;
  credentials: Credentials;
  secWebSocketKey: string;
  secWebSocketExtensions: string;
}

const BOOLEAN_PARAMS = ['tty', 'stdin', 'stdout', 'stderr', 'takeover', 'readOnly', 'noReplay'] as const;

/** Reads and validates an exec upgrade request; throws a StatusError (400/401) when it is bad. */
export function readExecRequest(req: UWS.HttpRequest): ExecRequest {
  const method = req.getMethod().toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw new StatusError(405, `method ${method} is not allowed; use GET or POST`);
  const namespace = req.getParameter(0);
  const machine = req.getParameter(1);
  const badNamespace = invalidLabel(namespace);
  if (badNamespace) throw new StatusError(400, `invalid namespace ${JSON.stringify(namespace.slice(0, 80))}: ${badNamespace}`);
  const badName = invalidSubdomain(machine);
  if (badName) throw new StatusError(400, `invalid machine name ${JSON.stringify(machine.slice(0, 80))}: ${badName}`);

  if (req.getHeader('upgrade').toLowerCase() !== 'websocket') {
    throw new StatusError(400, 'exec requires a websocket upgrade (Upgrade: websocket) with a channel.k8s.io subprotocol');
  }
  const offered = parseOfferedProtocols(req.getHeader('sec-websocket-protocol'));
  if (!offered.protocol) {
    throw new StatusError(400, 'no supported subprotocol offered; use v5.channel.k8s.io, v4.channel.k8s.io, v4.base64.channel.k8s.io, base64.channel.k8s.io or channel.k8s.io');
  }

  const query = new URLSearchParams(req.getQuery() ?? '');
  const flags = readBooleans(query);
  const replayFrom = readOffset(query, 'replayFrom');
  const credentials: Credentials = {};
  const authorization = req.getHeader('authorization');
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) credentials.token = bearer[1];
  else if (offered.bearerToken) credentials.token = offered.bearerToken;
  if (offered.bearerError) credentials.tokenError = offered.bearerError;

  return {
    method,
    namespace,
    machine,
    protocol: offered.protocol,
    tty: flags.tty ?? false,
    stdin: flags.stdin ?? false,
    takeover: flags.takeover ?? false,
    readOnly: flags.readOnly ?? false,
    noReplay: flags.noReplay ?? false,
    ...(replayFrom !== undefined && { replayFrom }),
    origin: req.getHeader('origin'),
    host: req.getHeader('host'),
    credentials,
    secWebSocketKey: req.getHeader('sec-websocket-key'),
    secWebSocketExtensions: req.getHeader('sec-websocket-extensions'),
  };
}

function readOffset(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new StatusError(400, `invalid value for query parameter ${name}: ${JSON.stringify(value.slice(0, 40))} (want a byte offset)`);
  return Number(value);
}

function readBooleans(query: URLSearchParams): Partial<Record<(typeof BOOLEAN_PARAMS)[number], boolean>> {
  const flags: Partial<Record<(typeof BOOLEAN_PARAMS)[number], boolean>> = {};
  for (const name of BOOLEAN_PARAMS) {
    const values = query.getAll(name);
    if (values.length === 0) continue;
    const value = values[values.length - 1]!;
    // Go's strconv.ParseBool, which pod exec's query decoding uses.
    if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) flags[name] = true;
    else if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) flags[name] = false;
    else throw new StatusError(400, `invalid value for query parameter ${name}: ${JSON.stringify(value.slice(0, 40))} (want true or false)`);
  }
  return flags;
}
