/**
 * lib/provider: the library a machine pool provider embeds to give its machines a console
 * (IEP-02). It serves the gateway's multiplexed link (lib/link) and the per-machine websocket
 * endpoint, on a server of its own (createProviderServer) or on the embedder's node:http(s)
 * server (createProviderHandler); sessions on the same machine share its console (one writer,
 * read-only viewers, scrollback replay). The built-in backends in ./backends open the consoles.
 *
 * The per-machine endpoint's query parameters: tty, stdin (as pod exec; absent = false, and a
 * session without stdin is a viewer), takeover (take the write lock), readOnly (never take it),
 * noReplay (skip the scrollback), replayFrom (replay from this console output offset: a client
 * reconnecting passes the offset after the last byte it showed); booleans are true/false/1/0,
 * replayFrom a non-negative integer, anything else is a 400. The 101 answer's
 * X-Console-Output-Offset header (and, on the link, Opened.output_offset) is the offset of the
 * session's first output byte; with announceOffset=true it also comes in-band, first, on
 * channel 5 (OUTPUT_OFFSET), for clients that cannot read headers. announceRole=true: the
 * session's role and refused input come on channel 6 (ROLE) instead of text notices. Every console counts its
 * output from 0 when it opens; a replayFrom beyond its output so far means it was reopened
 * since, and gets the whole scrollback.
 *
 * @example
 * ```js
 * import { createServer } from 'node:https';
 * import { createProviderHandler, createUnixSerialBackend } from 'ironcore-console/provider';
 *
 * const provider = createProviderHandler({ backend: createUnixSerialBackend({ path: '/run/consoles/{namespace}/{machine}.sock' }) });
 * const server = createServer({ key, cert, ca, requestCert: true }, (req, res) => provider.handleRequest(req, res));
 * server.on('upgrade', (req, socket, head) => provider.handleUpgrade(req, socket, head));
 * server.listen(12319);
 * ```
 *
 * @module provider
 */
export * from './backend.js';
export * from './backends/index.js';
export {
  createProviderHandler,
  createProviderServer,
  type ClientCertificatePolicy,
  type MachinePoolAuthorization,
  type ProviderHandler,
  type ProviderHandlerOptions,
  type ProviderServer,
  type ProviderServerOptions,
  type ProviderTlsOptions,
} from './server.js';
export type { SharingMode } from './console-registry.js';
export {
  loadProviderConfig,
  parseProviderConfig,
  PROVIDER_CONFIG_EXAMPLE,
  ProviderConfigError,
  type ProviderAuthorizationConfig,
  type ProviderConfig,
  type ProviderTlsFiles,
  type BackendConfig,
} from './config.js';
export { runProvider, type RunningProvider } from './run.js';
