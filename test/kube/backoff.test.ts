import t from 'tap';
import { backoffDelay } from '../../lib/kube/backoff.js';

t.test('delays double from the initial one up to the cap, half of each is jitter', async (t) => {
  const options = { initialMs: 100, maxMs: 1000 };
  const low = () => 0;
  const high = () => 1;
  t.equal(backoffDelay(1, options, low), 50);
  t.equal(backoffDelay(1, options, high), 100);
  t.equal(backoffDelay(3, options, high), 400);
  t.equal(backoffDelay(10, options, low), 500);
  t.equal(backoffDelay(10, options, high), 1000);
  t.equal(backoffDelay(60, options, high), 1000, 'no overflow for long outages');
});
