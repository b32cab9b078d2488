// The third upstream mode: one SPDY/3.1 remotecommand connection per session to the provider's
// per-machine endpoint, as ironcore-apiserver reaches IronCore's machinepoollet (POST, the
// gateway's client certificate, X-Stream-Protocol-Version v4..v1). SPDY half-closes streams, so
// a client's stdin EOF reaches the console on every version (what the per-session upstreams
// share is PerSessionStream). The provider's 101 carries no output offset here, so a
// reconnecting client's replayFrom is still honoured but sessions report offset 0.
import type { ConnectionOptions } from 'node:tls';
import { encodeExecQuery, providerExecPath, StatusError, type OpenMessage } from '../../protocol/index.js';
import { connectSpdyChannelPort, type SpdyChannelPort } from '../../spdy/index.js';
import { providerRefusal } from './provider-refusal.js';
import { PerSessionStream, type PerSessionLimits } from './per-session-stream.js';
import type { ProviderTarget, Upstream, UpstreamStream } from './upstream.js';

export interface SpdyUpstreamOptions extends PerSessionLimits {
  tls: ConnectionOptions | false;
}

export class SpdyUpstream implements Upstream {
  /** Open sessions' ports, by the provider they reach. */
  private readonly ports = new Map<SpdyChannelPort, string>();

  constructor(private readonly options: SpdyUpstreamOptions) {}

  async open(target: ProviderTarget, request: OpenMessage, timeoutMs: number): Promise<UpstreamStream> {
    const key = `${target.address}:${target.port}`;
    const tty = Boolean(request.tty);
    const stdin = Boolean(request.stdin);
    const query = encodeExecQuery({
      tty,
      stdin,
      stdout: true,
      stderr: !tty,
      takeover: Boolean(request.takeover),
      readOnly: Boolean(request.readOnly),
      noReplay: Boolean(request.noReplay),
      announceOffset: false,
      // SPDY has no stream for our in-band role channel: the provider's text notices stand in.
      announceRole: false,
      ...(typeof request.replayFrom === 'number' && { replayFrom: request.replayFrom }),
    });
    const scheme = this.options.tls ? 'https' : 'http';
    const host = target.address.includes(':') ? `[${target.address}]` : target.address;
    let port: SpdyChannelPort;
    try {
      port = await connectSpdyChannelPort({
        url: `${scheme}://${host}:${target.port}${providerExecPath(request.namespace!, request.machine!)}?${query}`,
        ...(this.options.tls && { tls: this.options.tls }),
        stdin,
        stdout: true,
        stderr: !tty,
        tty,
        timeoutMs,
        refusal: (code, reasonPhrase, body) => providerRefusal(key, code, reasonPhrase, body),
      });
    } catch (error) {
      if (error instanceof StatusError) throw error;
      throw new StatusError(503, `provider ${key} is unreachable: ${(error as Error).message}`);
    }
    this.ports.set(port, key);
    // The port is the transport as it is: it frames and buffers, and its close is always orderly.
    const stream = new PerSessionStream(port, port.protocol, stdin && !request.readOnly, 0, this.options);
    port.onMessage((message) => stream.received(message));
    port.onClose((error) => {
      this.ports.delete(port);
      stream.providerClosed(!error, error?.message);
    });
    return stream;
  }

  connections(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const key of this.ports.values()) counts.set(key, (counts.get(key) ?? 0) + 1);
    return counts;
  }

  close(): void {
    for (const port of this.ports.keys()) port.close();
  }
}
