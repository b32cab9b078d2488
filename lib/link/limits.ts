// Sizes both ends of a link agree on.

/** The smallest window an Open or Opened may grant: room for a channel byte and some payload. */
export const MIN_STREAM_WINDOW = 1024;

/**
 * The window each side grants when not configured otherwise. One stream's rate is at most a
 * window per credit round trip across three busy processes; the bench measured 4 KiB console
 * output 1.3-1.6x faster with 1 MiB than with 256 KiB. A client that stops reading holds at
 * most this (plus the gateway's watermark) in the gateway.
 */
export const DEFAULT_STREAM_WINDOW = 1024 * 1024;

/**
 * Bytes a link's socket may hold unsent before its streams stop sending data (their output
 * then waits for the socket to drain, and the provider pauses the consoles behind it): a slow
 * link holds this, not a window per stream. One window, so that a single stream is stopped by
 * its credit first, never by this.
 */
export const LINK_WRITE_HIGH_WATER = DEFAULT_STREAM_WINDOW;

/** The largest payload a sender puts in one data frame, well under the decoder's 1 MiB limit. */
export const MAX_DATA_PAYLOAD = 64 * 1024;
