// The Kubernetes remotecommand protocols spoken over SPDY, negotiated with the
// X-Stream-Protocol-Version headers (apimachinery httpstream.Handshake). v5 exists only on
// websockets (KEP-4006), so it is never chosen here even when a client offers it first.

/** In the server's order of preference. */
export const SPDY_CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;

export type SpdyChannelProtocol = (typeof SPDY_CHANNEL_PROTOCOLS)[number];

/**
 * The protocol to answer with, from every X-Stream-Protocol-Version value the client sent
 * (each may itself be a comma-separated list, as httpstream accepts); undefined when none is ours.
 */
export function negotiateSpdyProtocol(offered: readonly string[]): SpdyChannelProtocol | undefined {
  const values = new Set(offered.flatMap((value) => value.split(',')).map((value) => value.trim()));
  return SPDY_CHANNEL_PROTOCOLS.find((protocol) => values.has(protocol));
}

/** v3 added the resize stream; v1 and v2 have none. */
export function spdySupportsResize(protocol: SpdyChannelProtocol): boolean {
  return protocol === 'v4.channel.k8s.io' || protocol === 'v3.channel.k8s.io';
}

/** The SYN_STREAM header that names a remotecommand stream (client-go sets "streamType"; SPDY lower-cases it). */
export const SPDY_STREAM_TYPE_HEADER = 'streamtype';

export type SpdyStreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/**
 * The streams a remotecommand client creates, in client-go's order: error always, then stdin,
 * stdout and stderr as asked, except that a TTY has no stderr (the kubelet drops it too), and
 * resize with a TTY where the protocol has it (v3 and later).
 */
export function spdyStreamTypes(protocol: SpdyChannelProtocol, expect: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): SpdyStreamType[] {
  const types: SpdyStreamType[] = ['error'];
  if (expect.stdin) types.push('stdin');
  if (expect.stdout) types.push('stdout');
  if (expect.stderr && !expect.tty) types.push('stderr');
  if (expect.tty && spdySupportsResize(protocol)) types.push('resize');
  return types;
}
