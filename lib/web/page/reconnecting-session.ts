/// <reference lib="dom" />
// A console that outlives its connection: when one drops under a live session (see
// ConsoleSocket.dropped) it connects again with the CLI's backoff. A first connection that is
// refused, or a session the machine or the gateway ended with a Status, is not retried. While
// reconnecting, failed attempts are retried until the backoff gives up: the browser does not
// say why a websocket was refused, so a dead gateway and a revoked token look alike.
//
// Like the CLI, a reconnection resumes where the output left off: the page asks the gateway to
// announce each connection's output offset and reconnects with replayFrom, so the terminal keeps
// its screen and gets only what it missed. Without an announced offset (an older gateway) it
// asks for the whole scrollback, and the terminal is reset before the replay redraws it.
//
// Take over opens a second connection with takeover=true that resumes where the first one's
// output stops (it is muted at that moment), and closes the first once the second is in: the
// lock moves straight to this page, and no output is shown twice or lost.
import { Backoff, RECONNECT_BACKOFF } from '../../kube/backoff.js';
import type { RoleEvent } from '../../protocol/role.js';
import { ConsoleSocket } from './console-socket.js';

export type SessionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

export interface ReconnectingSessionEvents {
  output(bytes: Uint8Array): void;
  /** The role the gateway announced (writer, viewer, read-only), or that input was refused. */
  role(event: RoleEvent): void;
  /**
   * Each connection's start, before its first output: the first one, a reconnection that resumes
   * where the output left off, one that replays the whole scrollback (reset the terminal first),
   * or a takeover's, which resumes too.
   */
  connected(kind: 'new' | 'resumed' | 'replayed' | 'takeover'): void;
  /** 'reconnecting' and 'closed' with why the connection ended. */
  state(state: 'reconnecting' | 'closed', reason: string): void;
}

export class ReconnectingSession {
  private socket: ConsoleSocket;
  /** Set from a drop until the next connection opens. */
  private backoff: Backoff | undefined;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  /** Where the next connection resumes: past the last output shown. */
  private resumeFrom: number | undefined;

  constructor(
    private readonly url: string,
    private readonly token: string,
    private readonly events: ReconnectingSessionEvents,
  ) {
    this.socket = this.open(url);
  }

  sendInput(data: string): void {
    this.socket.sendInput(data);
  }

  sendBinary(data: string): void {
    this.socket.sendBinary(data);
  }

  resize(cols: number, rows: number): void {
    this.socket.resize(cols, rows);
  }

  /** Takes the write lock: reconnects with takeover=true, resuming where the output is now. */
  takeover(): void {
    const previous = this.socket;
    if (this.retryTimer !== undefined || previous.position === undefined) return; // nothing to resume from yet
    previous.mute();
    this.socket = this.open(`${this.url}&takeover=true&replayFrom=${previous.position}`, previous);
  }

  close(): void {
    this.stopped = true;
    if (this.retryTimer === undefined) return this.socket.close();
    // Between attempts there is no socket whose close would report it.
    clearTimeout(this.retryTimer);
    this.events.state('closed', 'disconnected');
  }

  /** `replacing`: the connection this one takes over from, closed once this one is in. */
  private open(url: string, replacing?: ConsoleSocket): ConsoleSocket {
    const resuming = url !== this.url;
    const socket: ConsoleSocket = new ConsoleSocket(url, this.token, {
      output: (bytes) => this.events.output(bytes),
      role: (event) => this.events.role(event),
      state: (state, reason) => {
        if (state === 'connected') {
          this.events.connected(replacing ? 'takeover' : this.backoff === undefined ? 'new' : resuming ? 'resumed' : 'replayed');
          this.backoff = undefined;
          replacing?.close();
        } else if (state === 'closed') {
          replacing?.close(); // a takeover that failed: the muted connection is no use either
          this.closed(socket, reason);
        }
      },
    });
    return socket;
  }

  private closed(socket: ConsoleSocket, reason: string): void {
    if (socket !== this.socket) return; // a connection this session already replaced
    if (this.stopped || (!socket.dropped && !this.backoff)) return this.events.state('closed', reason);
    this.resumeFrom = socket.position ?? this.resumeFrom; // a failed attempt delivered nothing
    this.backoff ??= new Backoff(RECONNECT_BACKOFF);
    const delay = this.backoff.next();
    if (delay === undefined) return this.events.state('closed', `${reason}; gave up reconnecting`);
    this.events.state('reconnecting', reason);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.socket = this.open(this.resumeFrom === undefined ? this.url : `${this.url}&replayFrom=${this.resumeFrom}`);
    }, delay);
  }
}
