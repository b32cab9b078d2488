// Exit codes and the error type for command-line misuse, shared by every command.

/** Exit codes, so scripts can tell failures apart. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  unreachable: 5,
} as const;

/** The command line was wrong: print the message and exit with EXIT.usage. */
export class UsageError extends Error {
  override name = 'UsageError';
}
