// Which console a session attaches to. 'shared': one backend stream per (namespace, machine),
// opened by the first session and closed when the last one leaves; sessions that arrive while
// it is still opening wait for the same open. 'exclusive': the same, but a second session is
// refused with 409 as IronCore's libvirt provider does. 'none': every session opens its own
// backend stream (a PTY process per session).
import type { Logger } from 'pino';
import { ConflictError, type ConsoleBackend, type OpenRequest } from './backend.js';
import { SharedConsole } from './shared-console.js';
import { outcomeOfError, type ConsoleSession, type AttachOptions, type SessionOutcome } from './session.js';

/** 'shared': one writer, viewers and scrollback; 'exclusive': one session per console (409 for a second); 'none': every session its own console. */
export type SharingMode = 'shared' | 'exclusive' | 'none';

export interface ConsoleRegistryOptions {
  backend: ConsoleBackend;
  sharing: SharingMode;
  scrollbackBytes: number;
  stallTimeoutMs: number;
  /** Shared consoles stay open this long after their last session (see SharedConsoleOptions). */
  lingerMs: number;
  logger: Logger;
}

interface Waiter {
  session: ConsoleSession;
  options: AttachOptions;
}

/** A console being opened (the waiters attach once it is) or open. */
type Entry = { state: 'opening'; waiters: Waiter[] } | { state: 'open'; console: SharedConsole };

export class ConsoleRegistry {
  private readonly entries = new Map<string, Entry>();
  private nextPrivateKey = 0;

  constructor(private readonly options: ConsoleRegistryOptions) {}

  /**
   * Attaches `session` to the console of `request`'s machine, opening it when needed. The
   * session learns the result through attached() or ended(), possibly before this returns.
   * Returns `cancel`, which gives up an attach still waiting for the console to open.
   */
  attach(request: OpenRequest, options: AttachOptions, session: ConsoleSession): () => void {
    const key = this.options.sharing === 'none' ? `#${this.nextPrivateKey++}` : `${request.namespace}/${request.machine}`;
    const entry = this.entries.get(key);
    if (entry && this.options.sharing === 'exclusive') {
      session.ended(outcomeOfError(new ConflictError(`machine ${request.machine} already has an open console session`)));
      return () => {};
    }
    const waiter = { session, options };
    if (entry?.state === 'open') {
      entry.console.join(session, options);
      return () => {};
    }
    if (entry?.state === 'opening') {
      entry.waiters.push(waiter);
    } else {
      const opening: Entry = { state: 'opening', waiters: [waiter] };
      this.entries.set(key, opening);
      this.open(key, request, opening);
    }
    return () => this.cancel(key, waiter);
  }

  /** Ends every session, waiting or attached, with `outcome` and closes every console. */
  shutdown(outcome: SessionOutcome): void {
    for (const [key, entry] of [...this.entries]) {
      if (entry.state === 'open') {
        entry.console.shutdown(outcome);
        continue;
      }
      const waiters = entry.waiters.splice(0);
      this.entries.delete(key);
      for (const waiter of waiters) waiter.session.ended(outcome);
    }
  }

  private open(key: string, request: OpenRequest, opening: Entry & { state: 'opening' }): void {
    const logger = this.options.logger.child({ namespace: request.namespace, machine: request.machine });
    this.options.backend.open(request).then(
      (stream) => {
        if (this.entries.get(key) !== opening || opening.waiters.length === 0) {
          stream.close(); // every waiter gave up, or the registry shut down, while it opened
          if (this.entries.get(key) === opening) this.entries.delete(key);
          return;
        }
        const shared = new SharedConsole(stream, {
          scrollbackBytes: this.options.sharing === 'none' ? 0 : this.options.scrollbackBytes,
          stallTimeoutMs: this.options.stallTimeoutMs,
          halfCloseInput: this.options.sharing !== 'shared',
          // Only a shared device is worth keeping: a private console has no one to come back.
          lingerMs: this.options.sharing === 'shared' ? this.options.lingerMs : 0,
          logger,
          onGone: () => {
            const current = this.entries.get(key);
            if (current?.state === 'open' && current.console === shared) this.entries.delete(key);
            logger.debug('console closed');
          },
        });
        const entry: Entry = { state: 'open', console: shared };
        this.entries.set(key, entry);
        logger.debug('console opened');
        for (const waiter of opening.waiters.splice(0)) {
          if (this.entries.get(key) !== entry) waiter.session.ended(outcomeOfError(new Error('console ended while attaching')));
          else shared.join(waiter.session, waiter.options);
        }
      },
      (error: unknown) => {
        if (this.entries.get(key) === opening) this.entries.delete(key);
        logger.info({ err: error }, 'console could not be opened');
        for (const waiter of opening.waiters.splice(0)) waiter.session.ended(outcomeOfError(error));
      },
    );
  }

  private cancel(key: string, waiter: Waiter): void {
    const entry = this.entries.get(key);
    if (entry?.state !== 'opening') return;
    const index = entry.waiters.indexOf(waiter);
    if (index >= 0) entry.waiters.splice(index, 1);
  }
}
