// node-pty is a native addon. It is loaded when a PTY backend is created, not when this folder
// is imported, so providers that only use serial backends run where it is not built.
import { createRequire } from 'node:module';
import type { IPty } from 'node-pty';

/**
 * node-pty's Unix terminal: its typings (IPty) omit destroy(), ptsName and the 'close' event,
 * which the class has; destroy() closes the pty (the kernel then hangs up the session), ptsName
 * is the slave's path (/dev/pts/N) and 'close' says the pty fd is gone.
 */
export interface UnixPty extends IPty {
  destroy(): void;
  readonly ptsName: string;
  on(event: 'close', listener: () => void): void;
}

type NodePty = typeof import('node-pty');

let loaded: NodePty | undefined;

export function loadNodePty(): NodePty {
  try {
    loaded ??= createRequire(import.meta.url)('node-pty') as NodePty;
  } catch (error) {
    throw new Error(`the PTY console backend needs node-pty's native module, which did not load: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return loaded;
}
