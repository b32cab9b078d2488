// The link schema, generated from proto/console.proto by `make` (never edited by hand).
import './long-numbers.js';
import { ironcore } from './generated/console.js';

export const schema = ironcore.console.v1;

export type OpenMessage = ironcore.console.v1.Open.$Properties;
export type OpenedMessage = ironcore.console.v1.Opened.$Properties;
export type ResizeMessage = ironcore.console.v1.Resize.$Properties;
export type CloseMessage = ironcore.console.v1.Close.$Properties;
export type CreditMessage = ironcore.console.v1.Credit.$Properties;
export type PingMessage = ironcore.console.v1.Ping.$Properties;
export type PongMessage = ironcore.console.v1.Pong.$Properties;
export type UserInfoMessage = ironcore.console.v1.UserInfo.$Properties;

/** One link frame: the stream it belongs to and exactly one message. */
export type Frame =
  | { stream: number; kind: 'data'; data: Buffer }
  | { stream: number; kind: 'open'; open: OpenMessage }
  | { stream: number; kind: 'opened'; opened: OpenedMessage }
  | { stream: number; kind: 'resize'; resize: ResizeMessage }
  | { stream: number; kind: 'close'; close: CloseMessage }
  | { stream: number; kind: 'credit'; credit: CreditMessage }
  | { stream: number; kind: 'ping'; ping: PingMessage }
  | { stream: number; kind: 'pong'; pong: PongMessage };

export type FrameKind = Frame['kind'];

export const FRAME_KINDS: readonly FrameKind[] = [
  'open', 'opened', 'data', 'resize', 'close', 'credit', 'ping', 'pong',
];
