// lib/protocol/spdy: SPDY/3.1 as a pure codec (no sockets), for Kubernetes remotecommand over
// SPDY: frame values and errors, the header-block zlib contexts, the encoders and the
// incremental decoder. lib/spdy puts a connection on a socket around it.
export * from './frames.js';
export { SPDY_HEADER_DICTIONARY } from './dictionary.js';
export * from './header-block.js';
export * from './encoder.js';
export * from './decoder.js';
export * from './channel-protocols.js';
