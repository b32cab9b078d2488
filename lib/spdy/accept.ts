// The server side of a remotecommand SPDY session, as the kubelet runs it: after the 101 the
// client creates its streams, each named by its streamtype header; every stream gets a
// SYN_REPLY (unknown types too, as apimachinery replies before the kubelet looks), and the
// session starts once each stream the protocol and options call for has come, or fails when
// they do not come in time.
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import {
  SPDY_STREAM_TYPE_HEADER,
  StatusError,
  spdyStreamTypes,
  type SpdyChannelProtocol,
  type SpdyStreamType,
} from '../protocol/index.js';
import { silentLogger } from '../link/silent-logger.js';
import { SpdyChannelPortImpl, type SpdyChannelPort, type SpdyPortStreams } from './channel-port.js';
import { SpdyConnection } from './connection.js';
import { spdySwitchingProtocolsHead } from './remotecommand.js';

export interface SpdyAcceptOptions {
  /** How long the client has to create its streams (default 30 s, the kubelet's streamCreationTimeout). */
  streamTimeoutMs?: number;
  /** The port's send() returns false past this many buffered bytes (default 64 KiB). */
  highWaterBytes?: number;
  /** Close a connection on which nothing moves for this long (default: never; consoles idle for hours). */
  idleTimeoutMs?: number;
  logger?: Logger;
}

const DEFAULT_STREAM_TIMEOUT_MS = 30_000;

/**
 * Writes the 101 on `socket` (the request head already read; checkSpdyUpgrade chose
 * `protocol`) and resolves with the port once the client's streams are there. Rejects with a
 * StatusError when they do not come (the connection is then closed; nothing can be answered
 * as HTTP any more).
 */
export function acceptSpdyChannelPort(
  socket: Duplex,
  head: Buffer,
  protocol: SpdyChannelProtocol,
  expect: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean },
  options: SpdyAcceptOptions = {},
): Promise<SpdyChannelPort> {
  const logger = options.logger ?? silentLogger;
  if (socket.destroyed) return Promise.reject(new StatusError(400, 'connection closed before the upgrade'));
  socket.write(spdySwitchingProtocolsHead(protocol));
  const connection = new SpdyConnection(socket, { role: 'server', highWaterBytes: options.highWaterBytes, idleTimeoutMs: options.idleTimeoutMs, logger }, head);
  const wanted = new Set<SpdyStreamType>(spdyStreamTypes(protocol, expect));
  const streams: SpdyPortStreams = {};
  return new Promise((resolve, reject) => {
    let settled = false;
    const timer = setTimeout(() => {
      giveUp(new StatusError(504, 'timed out waiting for client to create streams'));
      connection.close();
    }, options.streamTimeoutMs ?? DEFAULT_STREAM_TIMEOUT_MS);
    const giveUp = (error: StatusError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    connection.onClose((error) => giveUp(new StatusError(400, `connection closed before the client created its streams${error ? `: ${error.message}` : ''}`)));
    connection.onStream((stream) => {
      stream.reply();
      const type = stream.header(SPDY_STREAM_TYPE_HEADER) as SpdyStreamType | undefined;
      if (settled || !type || !wanted.has(type) || streams[type]) {
        logger.debug({ stream: stream.id, type }, 'SPDY stream not part of the session: ignored');
        stream.onData(() => {});
        return;
      }
      streams[type] = stream;
      if (Object.keys(streams).length < wanted.size) return;
      settled = true;
      clearTimeout(timer);
      resolve(new SpdyChannelPortImpl(protocol, 'server', connection, streams));
    });
  });
}
