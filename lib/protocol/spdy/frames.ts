// SPDY/3.1 frames as values: the frame types, flags and status codes of the spec
// (draft-mbelshe-httpbis-spdy-00 and the SPDY/3.1 addendum), and the error a peer's bad input
// becomes. Only version 3 exists on the wire; Kubernetes names it "SPDY/3.1" in the upgrade.

export const SPDY_VERSION = 3;

/** Every frame starts with an 8-byte header: control bit + version + type, or stream id; flags + 24-bit length. */
export const SPDY_FRAME_HEADER_BYTES = 8;
/** The largest length the 24-bit field can carry. */
export const SPDY_MAX_FRAME_LENGTH = 0xffffff;
export const SPDY_MAX_STREAM_ID = 0x7fffffff;
/** Both the per-stream and (3.1) the session window start at 64 KiB. */
export const SPDY_INITIAL_WINDOW = 65536;

export const SpdyFrameType = {
  SYN_STREAM: 1,
  SYN_REPLY: 2,
  RST_STREAM: 3,
  SETTINGS: 4,
  PING: 6,
  GOAWAY: 7,
  HEADERS: 8,
  WINDOW_UPDATE: 9,
} as const;

/** FIN on DATA, SYN_STREAM, SYN_REPLY and HEADERS; UNIDIRECTIONAL on SYN_STREAM; CLEAR on SETTINGS. */
export const SPDY_FLAG_FIN = 0x01;
export const SPDY_FLAG_UNIDIRECTIONAL = 0x02;
export const SPDY_FLAG_SETTINGS_CLEAR = 0x01;

export const SpdyRstStatus = {
  PROTOCOL_ERROR: 1,
  INVALID_STREAM: 2,
  REFUSED_STREAM: 3,
  UNSUPPORTED_VERSION: 4,
  CANCEL: 5,
  INTERNAL_ERROR: 6,
  FLOW_CONTROL_ERROR: 7,
  STREAM_IN_USE: 8,
  STREAM_ALREADY_CLOSED: 9,
  INVALID_CREDENTIALS: 10,
  FRAME_TOO_LARGE: 11,
} as const;

export const SpdyGoAwayStatus = {
  OK: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
} as const;

/** A header block: lower-case names, each with one or more values (NUL-joined on the wire). */
export type SpdyHeaders = Map<string, string[]>;

export interface SpdySetting {
  id: number;
  flags: number;
  value: number;
}

export type SpdyFrame =
  | { type: 'data'; streamId: number; fin: boolean; data: Buffer }
  | {
      type: 'syn_stream';
      streamId: number;
      associatedStreamId: number;
      priority: number;
      slot: number;
      fin: boolean;
      unidirectional: boolean;
      headers: SpdyHeaders;
      /** The block decompressed but broke a header rule: a stream error for this stream. */
      headerError?: SpdyProtocolError;
    }
  | { type: 'syn_reply'; streamId: number; fin: boolean; headers: SpdyHeaders; headerError?: SpdyProtocolError }
  | { type: 'headers'; streamId: number; fin: boolean; headers: SpdyHeaders; headerError?: SpdyProtocolError }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; clear: boolean; settings: SpdySetting[] }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number };

/**
 * A peer broke the framing. With `streamId` it is a stream error (answer RST_STREAM with
 * `rstStatus`, the connection lives); without, a session error (GOAWAY with `goAwayStatus`,
 * then the connection closes).
 */
export class SpdyProtocolError extends Error {
  override name = 'SpdyProtocolError';
  constructor(
    message: string,
    readonly goAwayStatus: number = SpdyGoAwayStatus.PROTOCOL_ERROR,
    readonly streamId?: number,
    readonly rstStatus: number = SpdyRstStatus.PROTOCOL_ERROR,
  ) {
    super(message);
  }

  static forStream(streamId: number, message: string, rstStatus: number = SpdyRstStatus.PROTOCOL_ERROR): SpdyProtocolError {
    return new SpdyProtocolError(message, SpdyGoAwayStatus.PROTOCOL_ERROR, streamId, rstStatus);
  }
}
