// The logger used when the caller gives none: links log only failures, and a library should
// not print unless asked to.
import { pino, type Logger } from 'pino';

export const silentLogger: Logger = pino({ level: 'silent' });
