// The session's role on a shared console, as the gateway announces it (ROLE), in the words a
// person acts on: the attach banner says it, each change is one line, and refused input is
// remembered, because a script whose input was not delivered exits with INPUT_REFUSED_EXIT_CODE.
import type { ConsoleRole, RoleEvent } from '../protocol/index.js';

/** The exit code of a session some of whose input was dropped (a viewer's, or a read-only one's). */
export const INPUT_REFUSED_EXIT_CODE = 6;

export class SessionRole {
  role: ConsoleRole | undefined;
  inputRefused = false;
  /** After our stdin EOF the lock leaves us by our own doing: not news. */
  private inputEnded = false;

  /**
   * `notice` prints one line; `escapeKey` names the key that leaves, when the session has a
   * terminal (how a viewer gets to type: leave, then connect again with --takeover).
   */
  constructor(
    private readonly notice: (text: string) => void,
    private readonly escapeKey: string | undefined,
  ) {}

  /** How the banner names the role: "as the writer", "as a viewer: ...", "read-only". */
  describe(role: ConsoleRole | undefined): string {
    switch (role) {
      case 'writer':
        return ' as the writer';
      case 'viewer':
        return ` as a viewer: ${this.howToWrite()}`;
      case 'read-only':
        return ' read-only';
      default:
        return '';
    }
  }

  /** A ROLE event: changes and refusals become one notice each (the provider says them at most once a second). */
  event(event: RoleEvent): void {
    if (event === 'input-refused') {
      this.inputRefused = true;
      this.notice(
        this.role === 'read-only'
          ? 'input not sent: this session is read-only'
          : `input not sent: another session holds the write lock (${this.howToWrite()})`,
      );
      return;
    }
    const previous = this.role;
    this.role = event;
    if (previous === undefined || previous === event || this.inputEnded) return;
    if (event === 'writer') this.notice('the write lock is yours now: you are the writer');
    else if (event === 'viewer') this.notice(`another session took the write lock: you are a viewer now (${this.howToWrite()})`);
  }

  /** Our stdin ended (and with it our claim to the lock). */
  endInput(): void {
    this.inputEnded = true;
  }

  private howToWrite(): string {
    return this.escapeKey ? `${this.escapeKey} then --takeover to write` : 'run again with --takeover to write';
  }
}
