// The Kubernetes channel protocols on a websocket. Binary protocols carry every message as
// [channel byte][payload]; the base64 protocols carry text: the channel as an ASCII digit,
// then the payload in standard base64. Internally a message is always the binary form, so the
// gateway forwards binary-protocol messages as they are and converts only base64 ones.
import { type ChannelProtocol, hasJsonStatus, isBase64Protocol, supportsHalfClose } from './subprotocol.js';
import { parseOffsetText } from './output-offset.js';
import { parseRoleEvent, type RoleEvent } from './role.js';
import type { Status } from './status.js';
import type { SpdyChannelProtocol } from './spdy/channel-protocols.js';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const ERROR = 3;
export const RESIZE = 4;
/** v5 only: [255, channel] half-closes `channel` (stdin EOF). */
export const CLOSE = 255;
/**
 * Ours, sent only to a client that asked with `announceOffset=true`: before any output, the
 * console output offset of the session's first stdout byte as decimal ASCII. A reconnecting
 * client passes its offset as `replayFrom` and gets no byte twice. (The 101's header would say
 * it too, but a browser cannot read it and uWS 20.30 mishandles headers on an async upgrade.)
 */
export const OUTPUT_OFFSET = 5;
/**
 * Ours, sent only to a client that asked with `announceRole=true`: the session's role on a
 * shared console (writer, viewer, read-only) at attach and on each change, and input-refused
 * when its input was dropped (see role.ts). The provider sends it; the gateway forwards it.
 */
export const ROLE = 6;

/** A peer broke the channel protocol: the session ends with 400 and this message. */
export class ChannelProtocolError extends Error {
  override name = 'ChannelProtocolError';
  readonly code = 400;
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes a base64-protocol text message into the binary form [channel][payload]. */
export function decodeBase64Message(text: string): Buffer | ChannelProtocolError {
  if (text.length === 0) return new ChannelProtocolError('empty message');
  const channel = text.charCodeAt(0) - 0x30;
  if (channel < 0 || channel > 9) return new ChannelProtocolError(`invalid channel character ${JSON.stringify(text[0])}`);
  const encoded = text.slice(1);
  if (!STRICT_BASE64.test(encoded)) return new ChannelProtocolError(`channel ${channel}: payload is not valid base64`);
  const out = Buffer.allocUnsafe(1 + Math.floor((encoded.length * 3) / 4));
  out[0] = channel;
  const written = out.write(encoded, 1, 'base64');
  return out.subarray(0, 1 + written);
}

/** Encodes the binary form [channel][payload] as a base64-protocol text message. */
export function encodeBase64Message(message: Uint8Array): string {
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.length);
  return String.fromCharCode(0x30 + bytes[0]!) + bytes.toString('base64', 1);
}

/**
 * Checks a message a client sent (already in binary form) against what the protocol lets a
 * client send: stdin, resize (v4 and later), and close (v5). Returns an error or undefined.
 */
export function checkClientMessage(protocol: ChannelProtocol, message: Uint8Array): ChannelProtocolError | undefined {
  if (message.length === 0) return new ChannelProtocolError('empty message: every message starts with a channel byte');
  const channel = message[0]!;
  switch (channel) {
    case STDIN:
      return undefined;
    case RESIZE:
      if (protocol === 'channel.k8s.io' || protocol === 'base64.channel.k8s.io') break;
      return undefined;
    case CLOSE:
      if (!supportsHalfClose(protocol)) break;
      if (message.length !== 2) return new ChannelProtocolError('close message must be [255, channel]');
      if (message[1] !== STDIN) return new ChannelProtocolError(`close of channel ${message[1]} is not supported; only stdin (0) can be closed`);
      return undefined;
  }
  return new ChannelProtocolError(`channel ${channel} is not writable by the client over ${protocol}`);
}

/**
 * A client's websocket message in binary form, checked against what its protocol lets a client
 * send: base64 protocols take text only; on a binary protocol `data` comes back as it is (copy
 * it when it does not stay valid).
 */
export function readClientFrame(protocol: ChannelProtocol, data: Buffer, isBinary: boolean): Buffer | ChannelProtocolError {
  let message = data;
  if (isBase64Protocol(protocol)) {
    if (isBinary) return new ChannelProtocolError('binary message on a base64 protocol');
    const decoded = decodeBase64Message(data.toString('latin1'));
    if (decoded instanceof ChannelProtocolError) return decoded;
    message = decoded;
  }
  return checkClientMessage(protocol, message) ?? message;
}

/** The bytes or text to write on the error channel for `status`, in the form the protocol uses. */
export function errorChannelPayload(protocol: ChannelProtocol | SpdyChannelProtocol, status: Status): Buffer | undefined {
  // v4 and v5 (websocket or SPDY) write the Status as JSON, as the kubelet marshals
  // status.Status(): no type meta, but the code when there is one (a client tells a 503
  // "reconnect" from a final failure by it); the original protocols wrote only a failure's
  // message (v2 and v3 too: only v4 changed the error stream).
  if (hasJsonStatus(protocol)) {
    const { kind: _kind, apiVersion: _apiVersion, ...channelStatus } = status;
    return Buffer.from(JSON.stringify(channelStatus));
  }
  return status.status === 'Success' ? undefined : Buffer.from(status.message ?? '');
}

/** The websocket message ([3][payload]) that carries `status` on the error channel, if the protocol writes one. */
export function errorChannelMessage(protocol: ChannelProtocol, status: Status): Buffer | undefined {
  const payload = errorChannelPayload(protocol, status);
  return payload && channelMessage(ERROR, payload);
}

/**
 * The Status a server wrote on the error channel, read the way errorChannelPayload writes it:
 * v4 and v5 a Status as JSON, the original protocols a failure's message as text (and nothing
 * on success, so there a clean close without it is the success).
 */
export function parseErrorChannel(protocol: ChannelProtocol | SpdyChannelProtocol, payload: Uint8Array): Status | ChannelProtocolError {
  const text = Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8');
  if (!hasJsonStatus(protocol)) return { metadata: {}, status: 'Failure', message: text };
  try {
    const value = JSON.parse(text) as Partial<Status> | null;
    if (typeof value === 'object' && value && (value.status === 'Success' || value.status === 'Failure')) return value as Status;
  } catch {
    // not JSON: the error below
  }
  return new ChannelProtocolError(`the error channel over ${protocol} carries no Status: ${JSON.stringify(text.slice(0, 200))}`);
}

/** Builds the binary form [channel][payload] (copies: for control messages, not console data). */
export function channelMessage(channel: number, payload: Uint8Array | string = ''): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const out = Buffer.allocUnsafe(1 + body.length);
  out[0] = channel;
  out.set(body, 1);
  return out;
}

/** The output-offset announcement: [OUTPUT_OFFSET][decimal offset]. */
export function outputOffsetMessage(offset: number): Buffer {
  return channelMessage(OUTPUT_OFFSET, String(offset));
}

/** The offset an OUTPUT_OFFSET message's payload says, or undefined when it is not one. */
export function parseOutputOffset(payload: Uint8Array): number | undefined {
  return parseOffsetText(Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('latin1'));
}

/** The event a ROLE message's payload says, or undefined when it is not one. */
export function parseRoleMessage(payload: Uint8Array): RoleEvent | undefined {
  return parseRoleEvent(Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('latin1'));
}
