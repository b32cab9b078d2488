// The provider's end of one link: a console session per valid Open, on the link's stream
// multiplexer (which routes frames, keeps the id rules and ends the streams of a lost link).
// The rules are in lib/link/index.ts; for reconnects, Open's replay_from and Opened's
// output_offset follow SharedConsole's replayStart (shared-console.ts): the replay starts at
// replay_from, clamped to the scrollback kept (one beyond the console's output so far means the
// console was reopened since: all of the scrollback), and output_offset is the offset of the
// first byte the stream gets. replay_from, when present, overrides no_replay.
import type { Logger } from 'pino';
import { StreamMultiplexer, invalidStreamWindow, type LinkConnection } from '../link/index.js';
import type { OpenMessage } from '../protocol/index.js';
import type { ConsoleRegistry } from './console-registry.js';
import { LinkSession, type LinkSessionSettings } from './link-session.js';
import { invalidMachineRef } from './machine-ref.js';
import type { SessionOutcome } from './session.js';

export class LinkHandler {
  private readonly streams: StreamMultiplexer<LinkSession>;
  private readonly logger: Logger;

  constructor(
    private readonly link: LinkConnection,
    private readonly registry: ConsoleRegistry,
    private readonly settings: LinkSessionSettings,
    /** Called once when the link is gone. */
    onGone: () => void,
  ) {
    this.logger = settings.logger;
    this.streams = new StreamMultiplexer<LinkSession>(link, {
      accept: (id, open, register) => this.open(id, open, register),
      onGone: (error, streams) => {
        this.logger.info({ err: error, streams }, 'link closed');
        onGone();
      },
    });
  }

  /** Closes every stream and then the link with `outcome` (provider shutdown). */
  shutdown(outcome: SessionOutcome): void {
    for (const stream of this.streams.streams()) stream.abort(outcome);
    this.link.close(outcome);
  }

  private open(id: number, open: OpenMessage, register: (stream: LinkSession) => void): string | undefined {
    const namespace = open.namespace ?? '';
    const machine = open.machine ?? '';
    const invalid = invalidMachineRef(namespace, machine) ?? invalidOpen(open);
    if (invalid) return invalid;

    const user = open.user?.username ? { username: open.user.username, uid: open.user.uid || undefined, groups: open.user.groups ?? [] } : undefined;
    // The provider's side of the gateway's audit trail: the same auditID on both lines.
    const who = { stream: id, ...(open.auditId && { auditID: open.auditId }), namespace, machine, user: user?.username };
    const stream = new LinkSession(id, this.link, open.window!, this.settings, (closed) => {
      this.streams.forget(closed.id);
      const end = closed.closedWith;
      this.logger.info({ ...who, ...(end ? { code: end.code, reason: end.reason } : { endedBy: 'gateway or lost link' }) }, 'console stream closed');
    });
    register(stream);
    this.logger.info({ ...who, takeover: open.takeover ?? false, readOnly: open.readOnly ?? false }, 'console stream opened');
    const cancel = this.registry.attach(
      { namespace, machine, tty: open.tty ?? false, cols: open.cols || undefined, rows: open.rows || undefined, user },
      {
        takeover: open.takeover ?? false,
        readOnly: open.readOnly ?? false,
        stdin: open.stdin ?? false,
        replay: !open.noReplay,
        announceRole: open.announceRole ?? false,
        // Absent decodes as null (the prototype's default); 64-bit fields decode as numbers (lib/protocol/schema.ts).
        ...(open.replayFrom != null && { replayFrom: Number(open.replayFrom) }),
      },
      stream,
    );
    stream.waitForConsole(cancel);
    return undefined;
  }
}

function invalidOpen(open: OpenMessage): string | undefined {
  const invalidWindow = invalidStreamWindow('open.window', open.window ?? 0);
  if (invalidWindow) return invalidWindow;
  if ((open.cols ?? 0) > 65535 || (open.rows ?? 0) > 65535) return `open.cols and open.rows must be at most 65535`;
  if (open.takeover && open.readOnly) return 'open.takeover and open.read_only exclude each other';
  return undefined;
}
