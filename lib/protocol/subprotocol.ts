// Websocket subprotocol negotiation for the Kubernetes channel protocols, and the bearer-token
// subprotocol browsers use because they cannot set an Authorization header. The token parsing
// follows kube-apiserver's websocket protocol authenticator.
import { isUtf8 } from 'node:buffer';
import type { SpdyChannelProtocol } from './spdy/channel-protocols.js';

/** Channel protocols in the server's order of preference. */
export const CHANNEL_PROTOCOLS = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'base64.channel.k8s.io',
  'channel.k8s.io',
] as const;

export type ChannelProtocol = (typeof CHANNEL_PROTOCOLS)[number];

/**
 * What we offer, best first, when we are the client of a server we do not know (the gateway's
 * websocket upstream): all of them in one handshake, since a server picks one (the kubelet's and
 * IronCore's machinepoollet's wsstream take the first offered that they speak), and each
 * version's semantics follow from the one picked. Binary before base64: same semantics, less work.
 */
export const CLIENT_CHANNEL_OFFER: readonly ChannelProtocol[] = [
  'v5.channel.k8s.io',
  'v4.channel.k8s.io',
  'v4.base64.channel.k8s.io',
  'channel.k8s.io',
  'base64.channel.k8s.io',
];

/** v4 and v5 write the error channel's Status as JSON (with exit codes); the originals, a failure's text. */
export function hasJsonStatus(protocol: ChannelProtocol | SpdyChannelProtocol): boolean {
  return protocol.startsWith('v4.') || protocol.startsWith('v5.');
}

export const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

export function isBase64Protocol(protocol: ChannelProtocol): boolean {
  return protocol.includes('base64');
}

/** Only v5 has the close channel (255) that half-closes stdin. */
export function supportsHalfClose(protocol: ChannelProtocol): boolean {
  return protocol === 'v5.channel.k8s.io';
}

export interface OfferedProtocols {
  /** The chosen channel protocol, undefined when the client offered none we speak. */
  protocol?: ChannelProtocol;
  /** The bearer token carried in a subprotocol, if any. */
  bearerToken?: string;
  /** Why the bearer subprotocol was rejected; the request is then unauthorized. */
  bearerError?: string;
}

/** Parses a Sec-WebSocket-Protocol header value. Never echo the bearer entry back. */
export function parseOfferedProtocols(header: string): OfferedProtocols {
  const offered: string[] = [];
  const result: OfferedProtocols = {};
  let sawBearer = false;
  for (const raw of header.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (!entry.startsWith(BEARER_PROTOCOL_PREFIX)) {
      offered.push(entry);
      continue;
    }
    if (sawBearer) {
      result.bearerError = 'multiple base64.bearer.authorization tokens specified';
      continue;
    }
    sawBearer = true;
    const token = decodeBearerToken(entry.slice(BEARER_PROTOCOL_PREFIX.length));
    if (token instanceof Error) result.bearerError = token.message;
    else if (token !== '') result.bearerToken = token;
  }
  if (result.bearerToken !== undefined && offered.length === 0) {
    delete result.bearerToken;
    result.bearerError = 'missing additional subprotocol';
  }
  if (result.bearerError) delete result.bearerToken;
  result.protocol = CHANNEL_PROTOCOLS.find((p) => offered.includes(p));
  return result;
}

const BASE64URL_RAW = /^[A-Za-z0-9_-]*$/;

/** base64url without padding, holding valid UTF-8 (as kube-apiserver requires). */
export function decodeBearerToken(encoded: string): string | Error {
  if (!BASE64URL_RAW.test(encoded) || encoded.length % 4 === 1) {
    return new Error('invalid base64.bearer.authorization token encoding');
  }
  const bytes = Buffer.from(encoded, 'base64url');
  // Reject non-canonical trailing bits: re-encoding must give the same text.
  if (bytes.toString('base64url') !== encoded) {
    return new Error('invalid base64.bearer.authorization token encoding');
  }
  if (!isUtf8(bytes)) return new Error('invalid base64.bearer.authorization token');
  return bytes.toString('utf8');
}

export function encodeBearerProtocol(token: string): string {
  return BEARER_PROTOCOL_PREFIX + Buffer.from(token, 'utf8').toString('base64url');
}
