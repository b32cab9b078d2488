// --max-sessions, --max-sessions-per-user and --max-opens-per-second-per-user: past a limit an
// open is a 429 TooManyRequests Status with Retry-After, a closed session gives its slot back,
// and /metrics shows the limits and the refusals.
import t from 'tap';
import type WebSocket from 'ws';
import { ALICE, BOB, connect, gatewayMetrics as metrics, SessionReader, startStack, type Stack } from '../fixtures/stack.js';

type Outcome = { opened: WebSocket } | { code: number; retryAfter?: string; status: { reason?: string; message?: string; details?: { retryAfterSeconds?: number } } };

/** Opens a session, or says how it was refused (with the Retry-After header). */
function attempt(stack: Stack, token: string): Promise<Outcome> {
  const ws = connect(stack, 'default', 'm1', { token });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ opened: ws }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], status: JSON.parse(body) }));
    });
    ws.once('error', reject);
  });
}

async function burst(stack: Stack, token: string, count: number) {
  const outcomes = await Promise.all(Array.from({ length: count }, () => attempt(stack, token)));
  const opened = outcomes.flatMap((o) => ('opened' in o ? [o.opened] : []));
  const refused = outcomes.flatMap((o) => ('opened' in o ? [] : [o]));
  return { opened, refused };
}

async function closeAll(sockets: WebSocket[]): Promise<void> {
  await Promise.all(sockets.map((ws) => new Promise((resolve) => {
    ws.once('close', resolve);
    ws.close();
  })));
}

function metric(text: string, line: string): number {
  const match = new RegExp(`^${line.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return match ? Number(match[1]) : NaN;
}

async function sessionsActive(stack: Stack, want: number): Promise<void> {
  for (let i = 0; i < 100 && metric(await metrics(stack), 'ironcore_console_sessions_active') !== want; i++) await new Promise((r) => setTimeout(r, 20));
}

t.test('session limits: hit under a burst, released when sessions close', async (t) => {
  const stack = await startStack({ gateway: { limits: { maxSessions: 6, maxSessionsPerUser: 4 } } });
  t.teardown(() => stack.close());

  const alice = await burst(stack, ALICE, 20);
  t.equal(alice.opened.length, 4, 'a burst of 20 opens: exactly the per-user limit opened');
  t.equal(alice.refused.length, 16);
  for (const refusal of alice.refused) {
    t.match(refusal, { code: 429, retryAfter: '1', status: { reason: 'TooManyRequests', details: { retryAfterSeconds: 1 }, message: /user "alice" has 4 console sessions open, the most allowed/ } });
  }
  const bob = await burst(stack, BOB, 4);
  t.equal(bob.opened.length, 0, 'bob may not exec at all: the limit comes after authentication, the denial after it');
  t.ok(bob.refused.every((r) => r.code === 403), 'a denied caller takes no slot, so none of bob\'s opens is a 429');

  const more = await burst(stack, ALICE, 1);
  t.equal(more.refused[0]?.code, 429, 'alice\'s slots stay full');

  await closeAll(alice.opened.slice(0, 2));
  await sessionsActive(stack, 2);
  const again = await burst(stack, ALICE, 3);
  t.equal(again.opened.length, 2, 'two closed sessions gave two slots back');
  t.equal(again.refused.length, 1);

  const text = await metrics(stack);
  t.equal(metric(text, 'ironcore_console_limit{limit="sessions"}'), 6);
  t.equal(metric(text, 'ironcore_console_limit{limit="sessions_per_user"}'), 4);
  t.equal(metric(text, 'ironcore_console_limit_refusals_total{limit="sessions_per_user"}'), 18);
  t.equal(metric(text, 'ironcore_console_sessions_total{outcome="429"}'), 18);
  await closeAll([...alice.opened.slice(2), ...again.opened]);
  await sessionsActive(stack, 0);
  t.equal(metric(await metrics(stack), 'ironcore_console_sessions_active'), 0, 'every slot came back');
});

t.test('the global limit holds across users', async (t) => {
  const stack = await startStack({ gateway: { limits: { maxSessions: 3 } } });
  t.teardown(() => stack.close());
  const { opened, refused } = await burst(stack, ALICE, 5);
  t.equal(opened.length, 3);
  t.match(refused[0], { code: 429, retryAfter: '1', status: { message: 'the console gateway serves at most 3 sessions; try again later' } });
  t.equal(metric(await metrics(stack), 'ironcore_console_limit_refusals_total{limit="sessions"}'), 2);
  await closeAll(opened);
});

t.test('opens per second per user: a token bucket on an injected clock', async (t) => {
  let now = 0;
  const stack = await startStack({ gateway: { limits: { maxOpensPerSecondPerUser: 2, now: () => now } } });
  t.teardown(() => stack.close());
  const first = await burst(stack, ALICE, 3);
  t.equal(first.opened.length, 2, 'a burst of the rate opens');
  t.match(first.refused[0], { code: 429, retryAfter: '1', status: { message: /user "alice" opens consoles faster than 2 per second/ } });
  now += 499;
  t.equal((await burst(stack, ALICE, 1)).opened.length, 0, 'not yet a whole open earned');
  now += 1;
  const later = await burst(stack, ALICE, 2);
  t.equal(later.opened.length, 1, 'half a second later: one more');
  t.equal(metric(await metrics(stack), 'ironcore_console_limit_refusals_total{limit="opens_per_second_per_user"}'), 3);
  await closeAll([...first.opened, ...later.opened]);
  const reader = new SessionReader(connect(stack, 'default', 'm1', { token: ALICE }));
  await t.rejects(reader.opened(), 'the bucket is not refilled by closing sessions');
  await reader.closed;
});
