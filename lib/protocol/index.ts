// lib/protocol: both wire contracts as pure codecs, no sockets.
//  - the Kubernetes channel protocols users speak (channel bytes, base64 variants, resize,
//    Status on the error channel, subprotocol negotiation, the bearer-token subprotocol);
//  - the gateway <-> provider link frames (varint length-prefixed protobuf, zero-copy data path);
//  - object-name validation and the URLs of both contracts.
export * from './channel.js';
export * from './resize.js';
export * from './status.js';
export * from './subprotocol.js';
export * from './names.js';
export * from './paths.js';
export * from './exec-query.js';
export * from './output-offset.js';
export * from './role.js';
export * from './schema.js';
export { encodeData, encodeDataHeader, encodeFrame } from './frame-encoder.js';
export { FrameDecoder, FrameError, decodeFrameBody, DEFAULT_MAX_FRAME_SIZE, type FrameDecoderOptions } from './frame-decoder.js';
