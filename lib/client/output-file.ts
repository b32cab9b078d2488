// A file the session's output goes to. Writes are synchronous: console output is slow next to
// a local disk, and nothing is left in a buffer when the process exits in a hurry.
import { closeSync, openSync, writeSync } from 'node:fs';
import { ExecError } from './failures.js';

export class OutputFile {
  private fd: number | undefined;

  /** `flags` as fs.open takes them: 'a' appends, 'w' truncates. */
  constructor(path: string, flags: 'a' | 'w', what: string) {
    try {
      this.fd = openSync(path, flags, 0o600);
    } catch (error) {
      throw new ExecError('failure', `cannot open ${what} ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  write(data: Uint8Array | string): void {
    if (this.fd === undefined) return;
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written);
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
