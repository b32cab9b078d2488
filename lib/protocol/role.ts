// What a session may do on a shared console, said in-band on the ROLE channel (ours, see
// channel.ts) to a client that asked with `announceRole=true`: its role when it attaches and
// each time it changes, and that input it sent was dropped. Clients word these for their user;
// plain Kubernetes clients never ask, and get the provider's text notices on stderr instead.
// Pure text, no Buffer: the browser page imports this module.

/**
 * writer: holds the write lock. viewer: may write, but another session holds the lock (it
 * comes to this one when that session leaves, or with takeover). read-only: opened so.
 */
export type ConsoleRole = 'writer' | 'viewer' | 'read-only';

/** A ROLE message: a role, or `input-refused` (this session's input was dropped). */
export type RoleEvent = ConsoleRole | 'input-refused';

const EVENTS: readonly RoleEvent[] = ['writer', 'viewer', 'read-only', 'input-refused'];

/** The event a ROLE message's text says, or undefined for anything else. */
export function parseRoleEvent(text: string): RoleEvent | undefined {
  return EVENTS.find((event) => event === text);
}
