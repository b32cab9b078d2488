// Everything the exec endpoint needs from an upgrade request, read synchronously: uWS's
// HttpRequest is valid only until the handler returns, and the rest of the upgrade is async.
// Names are validated here, before anything builds a URL from them.
import type { UWS } from './uws.js';
import {
  type ChannelProtocol,
  StatusError,
  invalidLabel,
  invalidSubdomain,
  parseExecQuery,
  parseOfferedProtocols,
  type ExecQuery,
} from '../protocol/index.js';

export interface Credentials {
  /** From `Authorization: Bearer` or the bearer subprotocol. */
  token?: string;
  /** Why the bearer subprotocol was refused; the request is then unauthorized. */
  tokenError?: string;
  /**
   * The aggregated-API request headers (X-Remote-User, X-Remote-Group, X-Remote-Extra-*).
   * Read always, trusted only by the front-proxy listener's authenticator.
   */
  remote?: { user: string; groups: string[]; extra: Record<string, string[]> };
}

const EXTRA_PREFIX = 'x-remote-extra-';

export interface ExecRequest extends ExecQuery {
  method: 'GET' | 'POST';
  namespace: string;
  machine: string;
  protocol: ChannelProtocol;
  origin: string;
  host: string;
  credentials: Credentials;
  secWebSocketKey: string;
  secWebSocketExtensions: string;
}


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
  // uWS checks only the key's length; RFC 6455 wants 16 bytes in base64 and version 13.
  if (!/^[A-Za-z0-9+/]{22}==$/.test(req.getHeader('sec-websocket-key'))) throw new StatusError(400, 'invalid Sec-WebSocket-Key');
  if (req.getHeader('sec-websocket-version') !== '13') throw new StatusError(400, 'unsupported Sec-WebSocket-Version; use 13');
  const offered = parseOfferedProtocols(req.getHeader('sec-websocket-protocol'));
  if (!offered.protocol) {
    throw new StatusError(400, 'no supported subprotocol offered; use v5.channel.k8s.io, v4.channel.k8s.io, v4.base64.channel.k8s.io, base64.channel.k8s.io or channel.k8s.io');
  }

  const query = parseExecQuery(`?${req.getQuery() ?? ''}`);
  if (typeof query === 'string') throw new StatusError(400, query);
  const credentials: Credentials = {};
  const authorization = req.getHeader('authorization');
  const bearer = /^bearer\s+(\S+)\s*$/i.exec(authorization);
  if (bearer) credentials.token = bearer[1];
  else if (offered.bearerToken) credentials.token = offered.bearerToken;
  if (offered.bearerError) credentials.tokenError = offered.bearerError;
  const remote = readRemoteIdentity(req);
  if (remote) credentials.remote = remote;

  return {
    method,
    namespace,
    machine,
    protocol: offered.protocol,
    ...query,
    origin: req.getHeader('origin'),
    host: req.getHeader('host'),
    credentials,
    secWebSocketKey: req.getHeader('sec-websocket-key'),
    secWebSocketExtensions: req.getHeader('sec-websocket-extensions'),
  };
}

/** The request-header identity, as kube-apiserver's front proxy sends it (names lower-cased). */
function readRemoteIdentity(req: UWS.HttpRequest): Credentials['remote'] {
  let user = '';
  const groups: string[] = [];
  const extra: Record<string, string[]> = {};
  req.forEach((name, value) => {
    if (name === 'x-remote-user' && !user) user = value;
    else if (name === 'x-remote-group') groups.push(value);
    else if (name.startsWith(EXTRA_PREFIX)) {
      // Extra keys are percent-encoded in the header name (KEP 1245).
      const key = safeDecode(name.slice(EXTRA_PREFIX.length));
      (extra[key] ??= []).push(value);
    }
  });
  return user ? { user, groups, extra } : undefined;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
