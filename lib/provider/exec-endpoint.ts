// IEP-02's per-machine endpoint, `GET|POST /apis/compute.ironcore.dev/namespaces/{ns}/
// machines/{name}/exec`, as a websocket with the Kubernetes channel protocols or as SPDY/3.1
// remotecommand (what kubectl sends when ironcore-apiserver passes its upgrade through). The console is
// attached before the upgrade, so that a machine without a console (404), an exclusive console
// already in use (409) or a bad request (400) is answered as plain HTTP with a Status body.
// The 101 carries `X-Console-Output-Offset`: the console output offset of the first byte of
// output the session gets (see SharedConsole's replayStart for the replayFrom query parameter);
// a client that cannot read it asks announceOffset=true and gets it in-band (OUTPUT_OFFSET).
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { refuseUpgrade } from '../link/index.js';
import {
  CHANNEL_PROTOCOLS,
  MAX_CLIENT_MESSAGE_BYTES,
  OUTPUT_OFFSET_HEADER,
  PROVIDER_EXEC_PATTERN,
  failureStatus,
  parseExecQuery,
  parseOfferedProtocols,
  type ChannelProtocol,
  type ExecQuery,
  type Status,
} from '../protocol/index.js';
import type { UserInfo } from './backend.js';
import type { ConsoleRegistry } from './console-registry.js';
import { EndpointSession, type EndpointSessionSettings } from './exec-session.js';
import { WebsocketPort } from './websocket-port.js';
import { acceptSpdyChannelPort, checkSpdyUpgrade } from '../spdy/index.js';
import { invalidMachineRef } from './machine-ref.js';

export interface ExecEndpointSettings {
  /** Bytes buffered on a session's websocket above which its console is paused. */
  highWaterBytes: number;
}

/** The channel protocol for a request: the best one offered, or the original one when none is offered. */
function negotiate(req: IncomingMessage): { protocol: ChannelProtocol } | { error: string } {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return { protocol: 'channel.k8s.io' };
  const offered = parseOfferedProtocols(header);
  if (offered.protocol) return { protocol: offered.protocol };
  return { error: `${offered.bearerError ?? 'none of the offered subprotocols is supported'}; supported: ${CHANNEL_PROTOCOLS.join(', ')}` };
}

export class ExecEndpoint {
  private readonly wss: WebSocketServer;
  /** Extra header lines for each upgrade in progress; the 'headers' event adds them. */
  private readonly upgradeHeaders = new WeakMap<IncomingMessage, string[]>();

  constructor(
    private readonly registry: ConsoleRegistry,
    private readonly settings: ExecEndpointSettings,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: MAX_CLIENT_MESSAGE_BYTES,
      // Never echoes the bearer-token entry: only the negotiated channel protocol.
      handleProtocols: (_offered, req) => {
        const negotiated = negotiate(req);
        return 'protocol' in negotiated ? negotiated.protocol : false;
      },
    });
    this.wss.on('headers', (headers, req) => headers.push(...(this.upgradeHeaders.get(req) ?? [])));
  }

  /** Whether `path` is this endpoint. */
  matches(path: string): boolean {
    return PROVIDER_EXEC_PATTERN.test(path);
  }

  /** Serves the upgrade for `user`, the caller the server authenticated (if it could tell). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, path: string, user: UserInfo | undefined): void {
    if (req.method !== 'GET' && req.method !== 'POST') {
      return refuseUpgrade(socket, failureStatus(405, `the exec endpoint accepts GET and POST, not ${req.method}`));
    }
    const [, rawNamespace, rawMachine] = PROVIDER_EXEC_PATTERN.exec(path)!;
    const namespace = safeDecode(rawNamespace!);
    const machine = safeDecode(rawMachine!);
    const invalid = invalidMachineRef(namespace, machine);
    if (invalid) return refuseUpgrade(socket, failureStatus(400, invalid));
    const query = parseExecQuery(req.url ?? '');
    if (typeof query === 'string') return refuseUpgrade(socket, failureStatus(400, query));
    const upgrade = /^spdy\//i.test(String(req.headers.upgrade)) ? this.spdyUpgrade(req, socket, head, query) : this.websocketUpgrade(req, socket, head);
    if (typeof upgrade !== 'function') return refuseUpgrade(socket, upgrade);

    const session = new EndpointSession(`exec ${namespace}/${machine}`, {
      announceOffset: query.announceOffset,
      upgrade,
      refuse: (status) => refuseUpgrade(socket, status),
    });
    socket.once('close', () => session.socketClosed());
    const cancel = this.registry.attach(
      { namespace, machine, tty: query.tty, ...(user && { user }) },
      {
        takeover: query.takeover,
        readOnly: query.readOnly,
        stdin: query.stdin,
        replay: !query.noReplay,
        announceRole: query.announceRole,
        ...(query.replayFrom !== undefined && { replayFrom: query.replayFrom }),
      },
      session,
    );
    session.waitForConsole(cancel);
  }

  /** How a websocket request is upgraded once its console is attached, or a 400 Status. */
  private websocketUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): EndpointSessionSettings['upgrade'] | Status {
    const negotiated = negotiate(req);
    if ('error' in negotiated) return failureStatus(400, negotiated.error);
    return (outputOffset, onPort) => {
      // ws upgrades only GET; a POST upgrade is the same handshake otherwise.
      req.method = 'GET';
      this.upgradeHeaders.set(req, [`${OUTPUT_OFFSET_HEADER}: ${outputOffset}`]);
      this.wss.handleUpgrade(req, socket, head, (ws) => onPort(new WebsocketPort(ws, negotiated.protocol, this.settings.highWaterBytes)));
    };
  }

  /** How a SPDY/3.1 request (kubectl through ironcore-apiserver's upgrade-aware proxy) is upgraded, or a 400 Status. */
  private spdyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, query: ExecQuery): EndpointSessionSettings['upgrade'] | Status {
    const negotiated = checkSpdyUpgrade(req.headers);
    if (!('protocol' in negotiated)) return negotiated;
    const expect = { stdin: query.stdin, stdout: query.stdout ?? true, stderr: (query.stderr ?? false) && !query.tty, tty: query.tty };
    return (_outputOffset, onPort) => {
      acceptSpdyChannelPort(socket, head, negotiated.protocol, expect, { highWaterBytes: this.settings.highWaterBytes }).then(onPort, () => socket.destroy());
    };
  }
}

/** A path segment as the client meant it; a malformed escape is kept as is and fails validation. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
