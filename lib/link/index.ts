// lib/link: the gateway <-> provider link (its frames are proto/console.proto) as a transport
// both ends share: the HTTP/1.1 Upgrade handshake (connectLink for the gateway, acceptLink for
// the provider), LinkConnection for the framed byte stream, StreamMultiplexer for the stream
// table and its rules, and CreditedStream for each stream's credit. What the frames mean is
// below; the gateway's streams are lib/gateway/upstream/link-upstream-stream.ts, the
// provider's lib/provider/link-session.ts.
//
// Link semantics (console.ironcore.dev/v1)
// - Streams. The gateway opens streams with odd ids, increasing, never reused on a link.
//   Stream 0 is the link itself: Ping (answered by Pong, here in LinkConnection), Pong, and
//   Close = the link is going away (a provider shutting down sends 503 "provider shutting
//   down", after closing each of its streams with the same code).
// - Open{namespace, machine, tty, cols, rows, user, window, takeover, read_only, no_replay,
//   stdin, replay_from, announce_role}. `window` is the initial credit for provider -> gateway data on that stream (at least
//   MIN_STREAM_WINDOW). The provider answers Opened{window: credit for gateway -> provider data,
//   writer: whether the session holds the console's write lock} or Close{code, reason,
//   message}: a ConsoleError's code, 400 for a bad Open (names must be DNS-1123, window in
//   range), 409 when the console is exclusive and taken, 500 InternalError for anything else.
//   stdin=false or read_only=true attach a viewer that never takes the write lock.
//   Every byte a console outputs has an offset; Opened.output_offset is the offset of the
//   first byte the session receives, and Open.replay_from asks a reconnecting session's replay
//   to start there (lib/provider/index.ts has the rules).
// - Data, provider -> gateway: [1][bytes] console output, [2][text] notices for the user
//   (read-only refusals, at most one a second; takeover), or with Open.announce_role instead
//   [6][role] (writer | viewer | read-only at attach and on each change, input-refused at most
//   once a second; lib/protocol/role.ts). Gateway -> provider: [0][stdin
//   bytes]; [255, 0] stdin EOF (the backend's end() when the session is alone on its console,
//   i.e. sharing 'none' or 'exclusive'; on a shared console it only gives up the write lock);
//   [4][{"Width":W,"Height":H}] is accepted as a resize, as is a Resize frame (only the
//   writer's resizes reach the console). A sender puts at most MAX_DATA_PAYLOAD, and half the
//   window its peer granted, in one data frame, and waits for credit for a whole frame. Bytes pass through untouched (0x00, 0x1d, 0xff too).
// - Write lock. The first session that may write holds it, or one that opens with takeover
//   (the previous writer is told); when the writer leaves, it passes to the session that may
//   write and has been attached longest (told on [6] when it asked), else to the first to type. A viewer that stays stalled (its queue full) past the provider's stall timeout
//   is closed with Close{504, "Timeout"}, so it cannot stop the console for everyone.
// - Flow control. Each direction of each stream has a credit window; credit counts the whole
//   `data` field, channel byte included. A sender never sends more than its credit; the
//   receiver returns Credit as it consumes (the provider: as the console accepts the bytes),
//   batched (ReceiveWindow). A peer that exceeds its credit gets its stream closed with 400
//   "flow control window exceeded" (the link stays up). A slow stream only stops itself.
//   A link whose socket holds LINK_WRITE_HIGH_WATER unsent bytes sends no data until it
//   drains, then each stream gets its turn; the provider pauses the consoles whose output waits.
// - Close. Either side's Close ends the stream and is never answered. Any other frame for a
//   stream that is not open is answered with Close{400, "stream N is not open"}. A console's
//   end: Close{200, exit_code 0}; a non-zero exit: Close{500, "NonZeroExitCode", exit_code N};
//   a device console that closes: Close{503, "ServiceUnavailable", "console closed"}. Output
//   queued before the end is sent before the Close.
// - A dead link (socket closed, malformed frame, ping timeout) ends all its streams; the
//   provider detaches them from their consoles.
export { connectLink, LinkHandshakeError, type ConnectLinkOptions } from './connect.js';
export { acceptLink, isLinkRequest } from './accept.js';
export { refuseUpgrade } from './upgrade-refusal.js';
export { LinkConnection, LinkClosedError, type LinkOptions } from './connection.js';
export { SendWindow, ReceiveWindow, MAX_WINDOW } from './flow-control.js';
export { CreditedStream, invalidStreamWindow } from './credited-stream.js';
export { StreamMultiplexer, type MultiplexedStream, type StreamMultiplexerOptions } from './stream-multiplexer.js';
export { silentLogger } from './silent-logger.js';
export { closeSockets } from './close-sockets.js';
export { MIN_STREAM_WINDOW, DEFAULT_STREAM_WINDOW, MAX_DATA_PAYLOAD, LINK_WRITE_HIGH_WATER } from './limits.js';
