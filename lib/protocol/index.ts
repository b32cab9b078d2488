// lib/protocol: both wire contracts as pure codecs, no sockets.
//  - the Kubernetes channel protocols users speak (channel bytes, base64 variants, resize,
//    Status on the error channel, subprotocol negotiation, the bearer-token subprotocol);
//  - the gateway <-> provider link frames (varint length-prefixed protobuf, zero-copy data path);
//  - SPDY/3.1 framing for remotecommand over SPDY (spdy/);
//  - object-name validation and the URLs of both contracts.
export * from './channel.js';
export type { ChannelPort } from './channel-port.js';
export * from './resize.js';
export * from './status.js';
export * from './close-status.js';
export * from './client-message.js';
export * from './subprotocol.js';
export * from './bearer-header.js';
export * from './names.js';
export * from './paths.js';
export * from './exec-query.js';
export * from './output-offset.js';
export * from './role.js';
export * from './schema.js';
export { encodeData, encodeDataHeader, encodeFrame } from './frame-encoder.js';
export { FrameDecoder, FrameError, decodeFrameBody, DEFAULT_MAX_FRAME_SIZE, type FrameDecoderOptions } from './frame-decoder.js';
export * from './spdy/index.js';
