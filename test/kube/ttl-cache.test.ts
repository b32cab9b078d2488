import t from 'tap';
import { TtlCache } from '../../lib/kube/ttl-cache.js';

t.test('entries expire after their ttl; a ttl of 0 stores nothing', async (t) => {
  const cache = new TtlCache<string, number>();
  cache.set('short', 1, 20);
  cache.set('long', 2, 10_000);
  cache.set('never', 3, 0);
  t.equal(cache.get('short'), 1);
  t.equal(cache.get('never'), undefined);
  await new Promise((resolve) => setTimeout(resolve, 30));
  t.equal(cache.get('short'), undefined);
  t.equal(cache.get('long'), 2);
  cache.delete('long');
  t.equal(cache.get('long'), undefined);
});

t.test('at its bound the oldest entry makes room', async (t) => {
  const cache = new TtlCache<string, number>(2);
  cache.set('a', 1, 10_000);
  cache.set('b', 2, 10_000);
  cache.set('a', 3, 10_000); // a is now the newest
  cache.set('c', 4, 10_000);
  t.equal(cache.get('b'), undefined);
  t.equal(cache.get('a'), 3);
  t.equal(cache.get('c'), 4);
});
