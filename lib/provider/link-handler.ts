// The provider's end of one link: opens a stream per valid Open, routes every other frame to
// its stream, answers frames for streams that are not open, and detaches all streams from
// their consoles when the link dies. The rules are in lib/link/index.ts; for reconnects, Open's
// replay_from and Opened's output_offset follow SharedConsole's replayStart (shared-console.ts):
// the replay starts at replay_from, clamped to the scrollback kept (one beyond the console's
// output so far means the console was reopened since: all of the scrollback), and output_offset
// is the offset of the first byte the stream gets. replay_from, when present, overrides no_replay.
import type { Logger } from 'pino';
import { MAX_WINDOW, MIN_STREAM_WINDOW, type LinkConnection } from '../link/index.js';
import type { Frame, OpenMessage } from '../protocol/index.js';
import type { ConsoleRegistry } from './console-registry.js';
import { LinkSession, type LinkSessionSettings } from './link-session.js';
import { invalidMachineRef } from './machine-ref.js';
import { badRequest, type SessionOutcome } from './session.js';

export class LinkHandler {
  private readonly streams = new Map<number, LinkSession>();
  private lastStreamId = 0;
  private readonly logger: Logger;

  constructor(
    private readonly link: LinkConnection,
    private readonly registry: ConsoleRegistry,
    private readonly settings: LinkSessionSettings,
    /** Called once when the link is gone. */
    onGone: () => void,
  ) {
    this.logger = settings.logger;
    link.onFrame((frame) => this.receive(frame));
    link.onClose((error) => {
      this.logger.info({ err: error, streams: this.streams.size }, 'link closed');
      for (const stream of [...this.streams.values()]) stream.linkGone();
      onGone();
    });
  }

  /** Closes every stream and then the link with `outcome` (provider shutdown). */
  shutdown(outcome: SessionOutcome): void {
    for (const stream of [...this.streams.values()]) stream.abort(outcome);
    this.link.close(outcome);
  }

  private receive(frame: Frame): void {
    if (frame.kind === 'open') return this.open(frame.stream, frame.open);
    const stream = this.streams.get(frame.stream);
    if (stream) return stream.handle(frame);
    if (frame.kind !== 'close') this.refuse(frame.stream, `stream ${frame.stream} is not open`);
  }

  private open(id: number, open: OpenMessage): void {
    if (id % 2 === 0 || id <= this.lastStreamId) {
      return this.refuse(id, `stream ${id} cannot be opened: the gateway opens odd stream ids, increasing, never reused (last was ${this.lastStreamId})`);
    }
    this.lastStreamId = id;
    const namespace = open.namespace ?? '';
    const machine = open.machine ?? '';
    const invalid = invalidMachineRef(namespace, machine) ?? invalidOpen(open);
    if (invalid) return this.refuse(id, invalid);

    const user = open.user?.username ? { username: open.user.username, uid: open.user.uid || undefined, groups: open.user.groups ?? [] } : undefined;
    // The provider's side of the gateway's audit trail: the same auditID on both lines.
    const who = { stream: id, ...(open.auditId && { auditID: open.auditId }), namespace, machine, user: user?.username };
    const stream = new LinkSession(id, this.link, open.window!, this.settings, (closed) => {
      this.streams.delete(closed.id);
      const end = closed.closedWith;
      this.logger.info({ ...who, ...(end ? { code: end.code, reason: end.reason } : { endedBy: 'gateway or lost link' }) }, 'console stream closed');
    });
    this.streams.set(id, stream);
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
  }

  private refuse(id: number, message: string): void {
    this.link.send({ stream: id, kind: 'close', close: badRequest(message) });
  }
}

function invalidOpen(open: OpenMessage): string | undefined {
  const window = open.window ?? 0;
  if (window < MIN_STREAM_WINDOW || window > MAX_WINDOW) {
    return `open.window must be from ${MIN_STREAM_WINDOW} to ${MAX_WINDOW} bytes, got ${window}`;
  }
  if ((open.cols ?? 0) > 65535 || (open.rows ?? 0) > 65535) return `open.cols and open.rows must be at most 65535`;
  if (open.takeover && open.readOnly) return 'open.takeover and open.read_only exclude each other';
  return undefined;
}
