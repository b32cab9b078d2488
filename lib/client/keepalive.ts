// Websocket pings, so a connection that died silently (a NAT or proxy dropped it, the laptop
// slept) is noticed: with no pong for two intervals, the connection is taken for dead.
import type WebSocket from 'ws';

export const KEEPALIVE_INTERVAL_MS = 30_000;
const MISSED_PONGS_TOLERATED = 2;

/** Calls `dead` once when pongs stop coming; returns a function that stops the pings. */
export function startKeepalive(ws: WebSocket, intervalMs: number, dead: (silentMs: number) => void): () => void {
  let unanswered = 0;
  const answered = (): void => {
    unanswered = 0;
  };
  ws.on('pong', answered);
  const timer = setInterval(() => {
    // While we hold the socket's input (our output is backed up), pongs wait unread.
    if (ws.isPaused) return;
    if (unanswered >= MISSED_PONGS_TOLERATED) {
      stop();
      dead(unanswered * intervalMs);
      return;
    }
    unanswered++;
    ws.ping();
  }, intervalMs);
  function stop(): void {
    clearInterval(timer);
    ws.removeListener('pong', answered);
  }
  return stop;
}
