// Opens the exec websocket: v5 then v4 channel protocol, the bearer token in the Authorization
// header, TLS as the kubeconfig says. A refused upgrade is read as the Kubernetes Status it is.
import WebSocket from 'ws';
import { MAX_REFUSAL_BODY_BYTES, OUTPUT_OFFSET_HEADER, parseOffsetText, type ChannelProtocol } from '../protocol/index.js';
import { ChannelSocket } from './channel-socket.js';
import { connectError, refusalError, ExecError, type FailureContext } from './failures.js';
import type { ConnectionSettings } from './settings.js';

/** Only binary protocols: a terminal sends bytes, and base64 would only cost. */
const OFFERED_PROTOCOLS: ChannelProtocol[] = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

const HANDSHAKE_TIMEOUT_MS = 30_000;

/**
 * Opens the exec websocket at `url` (v5, else v4 channel protocol) with the connection's
 * credentials; rejects with an ExecError whose message names `context`'s machine and gateway.
 */
export function connectExec(settings: ConnectionSettings, url: URL, context: FailureContext): Promise<ChannelSocket> {
  const headers: Record<string, string> = {};
  const token = currentToken(settings);
  if (token) headers.authorization = `Bearer ${token}`;
  const ws = new WebSocket(url, OFFERED_PROTOCOLS, {
    headers,
    ca: settings.ca,
    cert: settings.clientCert,
    key: settings.clientKey,
    rejectUnauthorized: !settings.insecureSkipTLSVerify,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
    perMessageDeflate: false,
    followRedirects: false,
  });
  return new Promise((resolve, reject) => {
    let outputOffset: number | undefined;
    // A server that does not send the header (or sends nonsense) gives no offset here.
    ws.once('upgrade', (response) => (outputOffset = parseOffsetText(response.headers[OUTPUT_OFFSET_HEADER.toLowerCase()])));
    ws.once('open', () => {
      ws.removeListener('error', failed);
      // Subscribed synchronously in 'open', before ws can emit the first message.
      resolve(new ChannelSocket(ws, ws.protocol as ChannelProtocol, outputOffset));
    });
    ws.once('unexpected-response', (_request, response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (body.length < MAX_REFUSAL_BODY_BYTES) body += chunk;
      });
      response.on('end', () => {
        reject(refusalError(response.statusCode ?? 0, body, context));
        ws.terminate();
      });
      response.on('error', failed);
    });
    // After a refusal this also sees terminate()'s error, when the promise is settled already.
    function failed(error: Error): void {
      reject(connectError(error, context));
    }
    ws.on('error', failed);
  });
}

/** The token, from a flag, the kubeconfig or an exec plugin (which may run again here). */
function currentToken(settings: ConnectionSettings): string | undefined {
  try {
    return settings.token?.();
  } catch (error) {
    throw new ExecError('auth', `cannot get a token: ${(error as Error).message}`, { cause: error });
  }
}
