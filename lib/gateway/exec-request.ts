// Everything the exec endpoint needs from an upgrade request, read synchronously (uWS's
// HttpRequest is valid only until the handler returns, and the rest of the upgrade is async).
// One reader for both ways in: uWS's websocket upgrades and the upgrades node:http parses (SPDY,
// and the websockets the fronts serve in process).
// Names are validated here, before anything builds a URL from them.
import type { IncomingMessage } from 'node:http';
import type { UWS } from './uws.js';
import {
  StatusError,
  bearerTokenOf,
  invalidLabel,
  invalidSubdomain,
  parseExecQuery,
  parseOfferedProtocols,
  type ChannelProtocol,
  type ExecQuery,
} from '../protocol/index.js';

export interface Credentials {
  /** From `Authorization: Bearer` or the bearer subprotocol. */
  token?: string;
  /** Why the bearer subprotocol was refused; the request is then unauthorized. */
  tokenError?: string;
  /**
   * The aggregated-API request headers (X-Remote-User, X-Remote-Group, X-Remote-Extra-*).
   * Read always, trusted only by the relayed-identity gateway's authenticator.
   */
  remote?: { user: string; groups: string[]; extra: Record<string, string[]> };
}

export interface ExecRequest extends ExecQuery {
  method: 'GET' | 'POST';
  namespace: string;
  machine: string;
  /** The negotiated channel protocol (websocket subprotocol or X-Stream-Protocol-Version). */
  protocol: string;
  /**
   * The Origin of a request a web page could have made, '' otherwise: a page cannot set
   * Authorization on a websocket, so a request with a bearer header is a program's, whose own
   * Origin (Python's websocket-client sends one) says nothing about a page.
   */
  browserOrigin: string;
  host: string;
  userAgent: string;
  /** kubectl's own request headers (KEP-859), for the session log. */
  kubectlCommand: string;
  kubectlSession: string;
  credentials: Credentials;
}

/** A websocket upgrade: the exec request plus what uWS needs to answer the handshake. */
export interface WebsocketExecRequest extends ExecRequest {
  protocol: ChannelProtocol;
  secWebSocketKey: string;
  secWebSocketExtensions: string;
}

/** What the request reader needs of either server's request object. */
interface RequestHead {
  method: string;
  namespace: string;
  machine: string;
  /** The query string without '?'. */
  query: string;
  /** A header's value ('' when absent); names are lower-case. */
  header(name: string): string;
  /** Every header line, names lower-case, repeated names once per line. */
  forEachHeader(visit: (name: string, value: string) => void): void;
}

const EXTRA_PREFIX = 'x-remote-extra-';

/** Reads and validates a uWS websocket upgrade request; throws a StatusError (400/401/405). */
export function readWebsocketExecRequest(req: UWS.HttpRequest): WebsocketExecRequest {
  return readWebsocketHead({
    method: req.getMethod(),
    namespace: req.getParameter(0),
    machine: req.getParameter(1),
    query: req.getQuery() ?? '',
    header: (name) => req.getHeader(name),
    forEachHeader: (visit) => req.forEach(visit),
  });
}

/**
 * Reads and validates a websocket upgrade request node:http parsed (the fronts serve them in
 * process), with the path's namespace and machine already taken apart.
 */
export function readHttpWebsocketExecRequest(req: IncomingMessage, namespace: string, machine: string): WebsocketExecRequest {
  return readWebsocketHead(httpHead(req, namespace, machine));
}

function readWebsocketHead(head: RequestHead): WebsocketExecRequest {
  const common = readCommon(head);
  if (head.header('upgrade').toLowerCase() !== 'websocket') {
    throw new StatusError(400, 'exec requires an upgrade: a websocket (Upgrade: websocket) with a channel.k8s.io subprotocol, or SPDY/3.1');
  }
  // uWS checks only the key's length; RFC 6455 wants 16 bytes in base64 and version 13.
  if (!/^[A-Za-z0-9+/]{22}==$/.test(head.header('sec-websocket-key'))) throw new StatusError(400, 'invalid Sec-WebSocket-Key');
  if (head.header('sec-websocket-version') !== '13') throw new StatusError(400, 'unsupported Sec-WebSocket-Version; use 13');
  const offered = parseOfferedProtocols(head.header('sec-websocket-protocol'));
  if (!offered.protocol) {
    throw new StatusError(400, 'no supported subprotocol offered; use v5.channel.k8s.io, v4.channel.k8s.io, v4.base64.channel.k8s.io, base64.channel.k8s.io or channel.k8s.io');
  }
  if (!common.credentials.token && offered.bearerToken) common.credentials.token = offered.bearerToken;
  if (offered.bearerError) common.credentials.tokenError = offered.bearerError;
  return {
    ...common,
    protocol: offered.protocol,
    secWebSocketKey: head.header('sec-websocket-key'),
    secWebSocketExtensions: head.header('sec-websocket-extensions'),
  };
}

/**
 * Reads and validates an exec request node:http parsed (the SPDY upgrades), with the path's
 * namespace and machine already taken apart and `protocol` already negotiated.
 */
export function readHttpExecRequest<P extends string>(req: IncomingMessage, namespace: string, machine: string, protocol: P): ExecRequest & { protocol: P } {
  return { ...readCommon(httpHead(req, namespace, machine)), protocol };
}

function httpHead(req: IncomingMessage, namespace: string, machine: string): RequestHead {
  const url = req.url ?? '';
  const queryStart = url.indexOf('?');
  return {
    method: req.method ?? '',
    namespace,
    machine,
    query: queryStart < 0 ? '' : url.slice(queryStart + 1),
    header: (name) => {
      const value = req.headers[name];
      return Array.isArray(value) ? value.join(', ') : (value ?? '');
    },
    forEachHeader: (visit) => {
      for (let i = 0; i < req.rawHeaders.length; i += 2) visit(req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!);
    },
  };
}

function readCommon(head: RequestHead): Omit<ExecRequest, 'protocol'> {
  const method = head.method.toUpperCase();
  if (method !== 'GET' && method !== 'POST') throw new StatusError(405, `method ${method} is not allowed; use GET or POST`);
  const badNamespace = invalidLabel(head.namespace);
  if (badNamespace) throw new StatusError(400, `invalid namespace ${JSON.stringify(head.namespace.slice(0, 80))}: ${badNamespace}`);
  const badName = invalidSubdomain(head.machine);
  if (badName) throw new StatusError(400, `invalid machine name ${JSON.stringify(head.machine.slice(0, 80))}: ${badName}`);
  const query = parseExecQuery(`?${head.query}`);
  if (typeof query === 'string') throw new StatusError(400, query);

  const credentials: Credentials = {};
  const token = bearerTokenOf(head.header('authorization'));
  if (token) credentials.token = token;
  const remote = readRemoteIdentity(head);
  if (remote) credentials.remote = remote;
  return {
    method,
    namespace: head.namespace,
    machine: head.machine,
    ...query,
    browserOrigin: token ? '' : head.header('origin'),
    host: head.header('host'),
    userAgent: head.header('user-agent'),
    kubectlCommand: head.header('kubectl-command'),
    kubectlSession: head.header('kubectl-session'),
    credentials,
  };
}

/** The request-header identity, as kube-apiserver's front proxy sends it (names lower-cased). */
function readRemoteIdentity(head: RequestHead): Credentials['remote'] {
  let user = '';
  const groups: string[] = [];
  const extra: Record<string, string[]> = {};
  head.forEachHeader((name, value) => {
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
