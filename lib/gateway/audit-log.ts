// Where audit lines are written: stdout ('-', as kube-apiserver's --audit-log-path takes it) or
// a file rotated by size, keeping a bounded number of backups (PATH.1 newest ... PATH.N). Writes
// are synchronous appends: an event is on disk, whole, before the session goes on, and rotation
// never races a pending write. A failing write (a full disk) never fails a session: it is
// reported once when writes start failing and once when they work again, as kube-apiserver's
// log backend reports and carries on.
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { Logger } from 'pino';
import type { AuditSink } from './audit.js';

export interface AuditLogOptions {
  /** A file, or '-' for stdout. */
  path: string;
  /** Rotate before a line would take the file past this size (default 100 MiB). */
  maxBytes?: number;
  /** Rotated files kept (default 10). */
  maxBackups?: number;
}

/** What openAuditLog takes for the options left out. */
export const AUDIT_LOG_DEFAULTS = { maxBytes: 100 * 1024 * 1024, maxBackups: 10 };

export interface AuditLog extends AuditSink {
  close(): void;
}

export function openAuditLog(options: AuditLogOptions, onTrouble: (error: Error | undefined) => void = () => {}): AuditLog {
  if (options.path === '-') {
    // A closed stdout (EPIPE) must not take the process down: it is trouble, reported once.
    let reported = false;
    const reportOnce = (error: Error) => {
      if (!reported) onTrouble(error);
      reported = true;
    };
    process.stdout.on('error', reportOnce);
    return { write: (line) => void process.stdout.write(line), close: () => void process.stdout.off('error', reportOnce) };
  }
  const maxBytes = options.maxBytes ?? AUDIT_LOG_DEFAULTS.maxBytes;
  const maxBackups = options.maxBackups ?? AUDIT_LOG_DEFAULTS.maxBackups;
  const path = options.path;
  let fd = openSync(path, 'a', 0o600);
  let size = fstatSync(fd).size;

  const rotate = (): void => {
    closeSync(fd);
    try {
      rmSync(`${path}.${maxBackups}`, { force: true });
      for (let n = maxBackups - 1; n >= 1; n--) if (existsSync(`${path}.${n}`)) renameSync(`${path}.${n}`, `${path}.${n + 1}`);
      if (maxBackups > 0) renameSync(path, `${path}.1`);
      else rmSync(path, { force: true });
    } finally {
      // Whatever failed above, keep appending somewhere.
      fd = openSync(path, 'a', 0o600);
      size = fstatSync(fd).size;
    }
  };

  let failing = false;
  return {
    write(line) {
      const bytes = Buffer.from(line);
      try {
        if (size > 0 && size + bytes.length > maxBytes) rotate();
        writeSync(fd, bytes);
        size += bytes.length;
        if (failing) onTrouble(undefined);
        failing = false;
      } catch (error) {
        if (!failing) onTrouble(error as Error);
        failing = true;
      }
    },
    close() {
      closeSync(fd);
    },
  };
}

/** The gateway's report of audit write trouble: an error when events start being lost, a line when they stop. */
export function auditTroubleLogger(logger: Logger): (error: Error | undefined) => void {
  return (error) => {
    if (error) logger.error({ err: error }, 'audit log write failed; audit events are being lost');
    else logger.info('audit log writes work again');
  };
}
