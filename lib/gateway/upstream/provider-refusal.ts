// A provider's answer other than 101 to the websocket upgrade, as the Status the user gets.
// Most refusals are between the gateway and the provider, not about the user: IronCore's
// machinepoollet answers a handshake offering none of its protocols with a bare 403, and its
// own authorization of the gateway (machinepools/proxy) with 403 "Forbidden". Passed on as
// they are, they would read like an RBAC denial of the user; they are a 502 naming the answer.
// Only a Kubernetes Status about the console itself keeps its code, as a link Close does: the
// machine has no console (404), it is exclusive and taken (409), the provider is shutting down
// (503, so clients reconnect elsewhere).
import { StatusError, parseStatus } from '../../protocol/index.js';

const CONSOLE_ANSWERS = new Set([404, 409, 503]);

/** How much of a refusal's body is quoted. */
const QUOTED_CHARS = 300;

/** `reasonPhrase` and `body` as the provider sent them (the body cut at MAX_REFUSAL_BODY_BYTES). */
export function providerRefusal(provider: string, code: number, reasonPhrase: string, body: string): StatusError {
  const status = parseStatus(body);
  if (status && status.code === code && CONSOLE_ANSWERS.has(code) && status.message) {
    return new StatusError(code, status.message, status.reason);
  }
  const said = (status?.message ?? body).trim().slice(0, QUOTED_CHARS);
  const answer = `HTTP ${code} ${reasonPhrase}`.trimEnd();
  return new StatusError(502, `provider ${provider} refused the console upgrade: ${answer}${said ? `: ${said}` : ' with an empty body'}`, 'InternalError');
}
