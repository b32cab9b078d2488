// lib/spdy: SPDY/3.1 on sockets for Kubernetes remotecommand. SpdyConnection is the framed,
// multiplexed connection (either role); remotecommand.ts the HTTP upgrade and negotiation;
// accept/connect give a session as a SpdyChannelPort of binary channel messages, the form the
// websocket side uses, so one session path serves both transports.
export { SpdyConnection, type SpdyConnectionOptions } from './connection.js';
export { SpdyStream } from './stream.js';
export {
  SPDY_CHANNEL_PROTOCOLS,
  SPDY_UPGRADE,
  STREAM_PROTOCOL_HEADER,
  checkSpdyUpgrade,
  isSpdyUpgrade,
  negotiateSpdyProtocol,
  spdySwitchingProtocolsHead,
  type SpdyChannelProtocol,
} from './remotecommand.js';
export type { SpdyChannelPort } from './channel-port.js';
export { acceptSpdyChannelPort, type SpdyAcceptOptions } from './accept.js';
export { connectSpdyChannelPort, type SpdyConnectOptions } from './connect.js';
