import t from 'tap';
import { Backoff, LINK_BACKOFF, RECONNECT_BACKOFF, WATCH_BACKOFF, backoffDelay } from '../../lib/kube/backoff.js';

t.test('delays double from the initial one up to the cap, half of each is jitter', async (t) => {
  const options = { firstDelayMs: 100, maxDelayMs: 1000 };
  const low = () => 0;
  const high = () => 1;
  t.equal(backoffDelay(1, options, low), 50);
  t.equal(backoffDelay(1, options, high), 100);
  t.equal(backoffDelay(3, options, high), 400);
  t.equal(backoffDelay(10, options, low), 500);
  t.equal(backoffDelay(10, options, high), 1000);
  t.equal(backoffDelay(60, options, high), 1000, 'no overflow for long outages');
});

t.test('a Backoff runs the delays of one run of failures, starts over after reset, and gives up when its policy says', async (t) => {
  const backoff = new Backoff({ firstDelayMs: 100, maxDelayMs: 1000 });
  const delays = Array.from({ length: 6 }, () => backoff.next()!);
  [100, 200, 400, 800, 1000, 1000].forEach((full, i) => t.ok(delays[i]! >= full / 2 && delays[i]! <= full, `${delays[i]} ms within [${full / 2}, ${full}]`));
  backoff.reset();
  t.ok(backoff.next()! <= 100, 'after reset: the first delay again');
  t.equal(new Backoff({ ...RECONNECT_BACKOFF, giveUpAfterMs: 0 }).next(), undefined, 'past the deadline: give up');
  t.ok(new Backoff(LINK_BACKOFF).next()! <= LINK_BACKOFF.firstDelayMs && new Backoff(WATCH_BACKOFF).next()! <= WATCH_BACKOFF.firstDelayMs);
});
