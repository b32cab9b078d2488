// The HTTP side of remotecommand over SPDY, as apimachinery's httpstream does it: which
// requests are SPDY upgrades, the protocol negotiation over X-Stream-Protocol-Version, and the
// 101 that switches. Refusals are Status objects, answerable as HTTP before the switch.
import type { IncomingHttpHeaders } from 'node:http';
import {
  SPDY_CHANNEL_PROTOCOLS,
  failureStatus,
  negotiateSpdyProtocol,
  type SpdyChannelProtocol,
  type Status,
} from '../protocol/index.js';

export { SPDY_CHANNEL_PROTOCOLS, negotiateSpdyProtocol, type SpdyChannelProtocol };

export const SPDY_UPGRADE = 'SPDY/3.1';
export const STREAM_PROTOCOL_HEADER = 'X-Stream-Protocol-Version';

/** Whether the request asks for a SPDY/3.1 upgrade (Connection names upgrade, Upgrade names SPDY/3.1). */
export function isSpdyUpgrade(headers: IncomingHttpHeaders): boolean {
  const connection = (headers.connection ?? '').toLowerCase();
  const upgrade = (headers.upgrade ?? '').toLowerCase();
  return connection.includes('upgrade') && upgrade.includes(SPDY_UPGRADE.toLowerCase());
}

/** Every X-Stream-Protocol-Version value, comma-split (node joins repeated headers with ", "). */
function offeredProtocols(headers: IncomingHttpHeaders): string[] {
  const raw = headers[STREAM_PROTOCOL_HEADER.toLowerCase()];
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return values.flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
}

/** The protocol to switch to, or the 400 Status to answer with (never echoing other headers: they carry credentials). */
export function checkSpdyUpgrade(headers: IncomingHttpHeaders): { protocol: SpdyChannelProtocol } | Status {
  if (!isSpdyUpgrade(headers)) {
    return failureStatus(400, `unable to upgrade: missing upgrade headers in request: expected Connection: Upgrade and Upgrade: ${SPDY_UPGRADE}`);
  }
  const offered = offeredProtocols(headers);
  if (offered.length === 0) return failureStatus(400, `unable to upgrade: ${STREAM_PROTOCOL_HEADER} is required`);
  const protocol = negotiateSpdyProtocol(offered);
  if (!protocol) {
    return failureStatus(
      400,
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${SPDY_CHANNEL_PROTOCOLS.join(' ')}]`,
    );
  }
  return { protocol };
}

/** The 101 response head that switches the connection to SPDY with `protocol`. */
export function spdySwitchingProtocolsHead(protocol: SpdyChannelProtocol): string {
  return `HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${SPDY_UPGRADE}\r\n${STREAM_PROTOCOL_HEADER}: ${protocol}\r\n\r\n`;
}
