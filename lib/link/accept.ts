// The provider's side of the link handshake, for a node:http(s) server's 'upgrade' event.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { LINK_PATH, LINK_UPGRADE, failureStatus } from '../protocol/index.js';
import { LinkConnection, type LinkOptions } from './connection.js';
import { refuseUpgrade } from './upgrade-refusal.js';

/** Whether an upgrade request is addressed to the link endpoint (by path alone). */
export function isLinkRequest(req: IncomingMessage): boolean {
  return requestPath(req) === LINK_PATH;
}

/**
 * Validates a link upgrade request and answers it: 101 and a LinkConnection (the bytes in
 * `head` are decoded first), or an HTTP error with a Status body, the socket ended, and undefined.
 */
export function acceptLink(req: IncomingMessage, socket: Duplex, head: Buffer, options?: LinkOptions): LinkConnection | undefined {
  const refusal = linkRequestError(req);
  if (refusal) {
    refuseUpgrade(socket, refusal);
    return undefined;
  }
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${LINK_UPGRADE}\r\n\r\n`);
  return new LinkConnection(socket as Socket, options, head);
}

function linkRequestError(req: IncomingMessage) {
  if (requestPath(req) !== LINK_PATH) return failureStatus(404, `${requestPath(req)} is not the link endpoint ${LINK_PATH}`);
  if (req.method !== 'GET') return failureStatus(405, `the link endpoint accepts GET, not ${req.method}`);
  if (req.headers.upgrade?.toLowerCase() !== LINK_UPGRADE) {
    return failureStatus(400, `the link endpoint needs "Upgrade: ${LINK_UPGRADE}", got ${JSON.stringify(req.headers.upgrade ?? '')}`);
  }
  return undefined;
}

function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}
