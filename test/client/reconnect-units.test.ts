// When the client reconnects, and how long it waits: the drop reasons and the backoff.
import t from 'tap';
import { Backoff } from '../../lib/kube/backoff.js';
import { dropReason } from '../../lib/client/reconnect.js';
import type { Status } from '../../lib/protocol/index.js';

const failure = (code: number, message: string): Status => ({ metadata: {}, status: 'Failure', code, message });

t.test('drops reconnect; ends, exit codes and other Statuses do not', async (t) => {
  t.equal(dropReason({ kind: 'lost', reason: 'socket hang up' }), 'socket hang up');
  t.match(dropReason({ kind: 'hangup' }), /without a status/);
  t.equal(dropReason({ kind: 'status', status: failure(503, 'the console gateway is shutting down; reconnect to continue') }), 'the console gateway is shutting down; reconnect to continue');
  t.equal(dropReason({ kind: 'status', status: { metadata: {}, status: 'Success' } }), undefined);
  t.equal(dropReason({ kind: 'status', status: failure(500, 'command terminated with non-zero exit code') }), undefined);
  t.equal(dropReason({ kind: 'status', status: failure(403, 'forbidden') }), undefined);
  for (const kind of ['escape', 'idle', 'closed'] as const) t.equal(dropReason({ kind }), undefined, kind);
  t.equal(dropReason({ kind: 'signal', signal: 'SIGTERM' }), undefined);
});

t.test('backoff doubles from 250 ms to 5 s with jitter, and gives up at the deadline', async (t) => {
  const backoff = new Backoff({ firstDelayMs: 250, maxDelayMs: 5000, giveUpAfterMs: 60_000 });
  const fulls = [250, 500, 1000, 2000, 4000, 5000, 5000];
  for (const full of fulls) {
    const delay = backoff.next()!;
    t.ok(delay >= full / 2 && delay <= full, `${delay} ms within [${full / 2}, ${full}]`);
  }
  t.equal(new Backoff({ firstDelayMs: 250, maxDelayMs: 5000, giveUpAfterMs: 0 }).next(), undefined, 'past the deadline: give up');
});
