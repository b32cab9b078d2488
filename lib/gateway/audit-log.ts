// Where audit lines are written: stdout ('-', as kube-apiserver's --audit-log-path takes it) or
// a file rotated by size, keeping a bounded number of backups (PATH.1 newest ... PATH.N). Writes
// are synchronous appends: an event is on disk, whole, before the session goes on, and rotation
// never races a pending write.
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { AuditSink } from './audit.js';

export interface AuditLogOptions {
  /** A file, or '-' for stdout. */
  path: string;
  /** Rotate before a line would take the file past this size (default 100 MiB). */
  maxBytes?: number;
  /** Rotated files kept (default 10). */
  maxBackups?: number;
}

export interface AuditLog extends AuditSink {
  close(): void;
}

export function openAuditLog(options: AuditLogOptions): AuditLog {
  if (options.path === '-') return { write: (line) => void process.stdout.write(line), close: () => {} };
  const maxBytes = options.maxBytes ?? 100 * 1024 * 1024;
  const maxBackups = options.maxBackups ?? 10;
  const path = options.path;
  let fd = openSync(path, 'a', 0o600);
  let size = fstatSync(fd).size;

  const rotate = (): void => {
    closeSync(fd);
    rmSync(`${path}.${maxBackups}`, { force: true });
    for (let n = maxBackups - 1; n >= 1; n--) if (existsSync(`${path}.${n}`)) renameSync(`${path}.${n}`, `${path}.${n + 1}`);
    if (maxBackups > 0) renameSync(path, `${path}.1`);
    else rmSync(path, { force: true });
    fd = openSync(path, 'a', 0o600);
    size = 0;
  };

  return {
    write(line) {
      const bytes = Buffer.from(line);
      if (size > 0 && size + bytes.length > maxBytes) rotate();
      writeSync(fd, bytes);
      size += bytes.length;
    },
    close() {
      closeSync(fd);
    },
  };
}
