import t from 'tap';
import { invalidLabel, invalidSubdomain } from '../../lib/protocol/index.js';

t.test('namespaces are DNS-1123 labels', async (t) => {
  for (const ok of ['default', 'a', 'kube-system', 'x1', 'a'.repeat(63)]) t.equal(invalidLabel(ok), undefined, ok);
  for (const bad of ['', 'Default', '-a', 'a-', 'a.b', '..', '%2F', 'a/b', 'a_b', 'a'.repeat(64), 'ä']) {
    t.type(invalidLabel(bad), 'string', JSON.stringify(bad));
  }
});

t.test('machine names are DNS-1123 subdomains', async (t) => {
  for (const ok of ['m1', 'web-0', 'a.b.c', 'a'.repeat(253)]) t.equal(invalidSubdomain(ok), undefined, ok.slice(0, 20));
  for (const bad of ['', '..', '.a', 'a.', 'a..b', 'A', 'a%2Fb', 'a/b', 'a'.repeat(300), 'a b']) {
    t.type(invalidSubdomain(bad), 'string', JSON.stringify(bad).slice(0, 30));
  }
  t.match(invalidSubdomain('a'.repeat(300)), /no more than 253/);
});
