// Sizes both ends of a link agree on.

/** The smallest window an Open or Opened may grant: room for a channel byte and some payload. */
export const MIN_STREAM_WINDOW = 1024;

/** The window each side grants when not configured otherwise. */
export const DEFAULT_STREAM_WINDOW = 256 * 1024;

/** The largest payload a sender puts in one data frame, well under the decoder's 1 MiB limit. */
export const MAX_DATA_PAYLOAD = 64 * 1024;
