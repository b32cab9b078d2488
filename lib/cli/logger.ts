// The process logger: pino JSON on stderr, with credentials redacted wherever they appear.
import pino, { type Logger } from 'pino';

export const REDACTED_PATHS = [
  'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'password', '*.password', 'key', '*.key', 'clientKey', '*.clientKey', 'bearerToken', '*.bearerToken',
];

export function createLogger(level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' } }, pino.destination(2));
}
