/**
 * lib/client: the exec client behind `ironcore-console exec`. Resolve where and as whom to
 * connect (kubeconfig + kubectl's flags), then runExec: the websocket (v5/v4 channel protocol),
 * the local terminal in raw mode with an escape key, sizes, idle exit, a log and an asciicast
 * recording, the role on a shared console, and the exit code (the console's own, a failure's
 * kind, or INPUT_REFUSED_EXIT_CODE).
 *
 * @example
 * ```js
 * import { resolveConnection, runExec } from 'ironcore-console/client';
 *
 * const connection = resolveConnection({ namespace: 'default' }); // as kubectl: KUBECONFIG, contexts, flags
 * process.exitCode = await runExec({ connection, machine: 'web-1' });
 * ```
 *
 * @module client
 */
export { resolveConnection, type ConnectionOptions, type ConnectionSettings } from './settings.js';
export { EOF_QUIET_GRACE_MS, runExec, type ExecOptions } from './run-exec.js';
export { INPUT_REFUSED_EXIT_CODE } from './session-role.js';
export type { SessionIo } from './exec-session.js';
export { ExecError, type FailureContext, type FailureKind } from './failures.js';
export { DEFAULT_ESCAPE, describeEscapeKey, isEscapeChunk, parseEscapeKey } from './escape-key.js';
export { parseDuration } from './duration.js';
export { checkNames, execUrl } from './exec-url.js';
export { connectExec } from './connect.js';
export type { ChannelSocket, ChannelHandlers } from './channel-socket.js';
export { AsciicastRecorder, type AsciicastHeader } from './asciicast.js';
export { RawModeGuard } from './raw-mode.js';
