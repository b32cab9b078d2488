// The process logger: pino JSON on stderr (or appended to a file), with credentials redacted
// wherever they appear.
import pino, { type DestinationStream, type Logger } from 'pino';

export const REDACTED_PATHS = [
  'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'password', '*.password', 'key', '*.key', 'clientKey', '*.clientKey', 'bearerToken', '*.bearerToken',
];

export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination: DestinationStream = pino.destination(2)): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } }, destination);
}

/** Appends to `file` (made with its folder when missing). */
export function fileDestination(file: string): DestinationStream {
  return pino.destination({ dest: file, append: true, mkdir: true, sync: true });
}
