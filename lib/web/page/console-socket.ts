/// <reference lib="dom" />
// One console session over the gateway's exec websocket, speaking v5.channel.k8s.io as any
// Kubernetes client does: binary messages [channel][payload]. A browser cannot set an
// Authorization header, so the token travels as the bearer subprotocol (never in the URL).
import { parseOffsetText } from '../../protocol/output-offset.js';
import { parseRoleEvent, type RoleEvent } from '../../protocol/role.js';
import type { Status } from '../../protocol/status.js';

// The channel bytes and bearer prefix of wire contract 1 (lib/protocol has them too, but
// its module imports node:buffer, which a browser bundle cannot).
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const RESIZE = 4;
const OUTPUT_OFFSET = 5;
const ROLE = 6;
const BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';
const CHANNEL_PROTOCOL = 'v5.channel.k8s.io';

export type ConnectionState = 'connecting' | 'connected' | 'closed';

export interface ConsoleSocketEvents {
  output(bytes: Uint8Array): void;
  /** The session's role on a shared console (at attach and on each change), or refused input. */
  role(event: RoleEvent): void;
  /** After the constructor: 'connected', then 'closed' with why; `reason` is empty otherwise. */
  state(state: ConnectionState, reason: string): void;
}

export class ConsoleSocket {
  private readonly socket: WebSocket;
  private readonly encoder = new TextEncoder();
  /** The Status message from the error channel, which explains the close that follows. */
  private statusMessage = '';
  /** The Status's code (undefined for a Success, which has none, and before any Status). */
  private statusCode: number | undefined;
  private opened = false;
  private closedByUser = false;
  /** The console output offset of the first stdout byte, when the gateway announced it. */
  private outputOffset: number | undefined;
  private stdoutBytes = 0;
  /** Output is dropped from here on: another socket took over this one's session (see ReconnectingSession.takeover). */
  private muted = false;

  constructor(url: string, token: string, private readonly events: ConsoleSocketEvents) {
    this.socket = new WebSocket(url, [CHANNEL_PROTOCOL, BEARER_PROTOCOL_PREFIX + base64url(this.encoder.encode(token))]);
    this.socket.binaryType = 'arraybuffer';
    this.socket.onopen = () => {
      this.opened = true;
      events.state('connected', '');
    };
    this.socket.onmessage = (event) => this.receive(new Uint8Array(event.data as ArrayBuffer));
    this.socket.onclose = (event) => events.state('closed', this.closeReason(event));
  }

  /** Keyboard input, as xterm reports it (a string, sent as UTF-8). */
  sendInput(data: string): void {
    this.send(STDIN, this.encoder.encode(data));
  }

  /** Input xterm reports as binary (some mouse modes): each char is one byte. */
  sendBinary(data: string): void {
    this.send(STDIN, Uint8Array.from(data, (char) => char.charCodeAt(0) & 0xff));
  }

  resize(cols: number, rows: number): void {
    this.send(RESIZE, this.encoder.encode(JSON.stringify({ Width: cols, Height: rows })));
  }

  /**
   * After 'closed': whether the connection dropped under a live session (it had opened, and
   * closed without a Status or with the gateway's 503, as it shuts down or loses its provider
   * link), so that connecting again continues the session.
   */
  get dropped(): boolean {
    return this.opened && !this.closedByUser && (this.statusMessage === '' || this.statusCode === 503);
  }

  /** The console output offset just past what this socket delivered, when the gateway said where it began. */
  get position(): number | undefined {
    return this.outputOffset === undefined ? undefined : this.outputOffset + this.stdoutBytes;
  }

  close(): void {
    this.closedByUser = true;
    this.socket.close(1000);
  }

  /** Delivers nothing more: `position` stays where it is now. */
  mute(): void {
    this.muted = true;
  }

  private send(channel: number, payload: Uint8Array): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    const message = new Uint8Array(1 + payload.length);
    message[0] = channel;
    message.set(payload, 1);
    this.socket.send(message);
  }

  private receive(message: Uint8Array): void {
    if (this.muted) return;
    const payload = message.subarray(1);
    switch (message[0]) {
      case STDOUT:
        this.stdoutBytes += payload.length;
        this.events.output(payload);
        break;
      case STDERR:
        this.events.output(payload);
        break;
      case OUTPUT_OFFSET: {
        const text = new TextDecoder().decode(payload);
        this.outputOffset = parseOffsetText(text) ?? this.outputOffset;
        break;
      }
      case ROLE: {
        const event = parseRoleEvent(new TextDecoder().decode(payload));
        if (event) this.events.role(event);
        break;
      }
      case ERROR: {
        const json = new TextDecoder().decode(payload);
        this.statusMessage = describeStatus(json);
        this.statusCode = statusCode(json);
        break;
      }
    }
  }

  private closeReason(event: CloseEvent): string {
    if (this.closedByUser) return 'disconnected';
    if (this.statusMessage) return this.statusMessage;
    // A refused upgrade reaches a page only as a failed connection: browsers hide its HTTP status.
    if (!this.opened) return 'connection refused by the gateway (check the token, namespace and machine)';
    if (event.code === 1000 || event.code === 1005) return 'the session ended';
    return `the connection was lost (websocket close code ${event.code}${event.reason ? `: ${event.reason}` : ''})`;
  }
}

function describeStatus(json: string): string {
  try {
    const status = JSON.parse(json) as Status;
    if (status.status === 'Success') return 'the session ended';
    return status.message || status.reason || 'the session failed';
  } catch {
    return `the gateway sent an unreadable status: ${json.slice(0, 200)}`;
  }
}

function statusCode(json: string): number | undefined {
  try {
    return (JSON.parse(json) as Status).code;
  } catch {
    return undefined;
  }
}

/** base64url without padding, as the bearer subprotocol requires. */
function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
