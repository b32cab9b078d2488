import t from 'tap';
import { LineSplitter } from '../../lib/kube/line-splitter.js';

t.test('lines cut across chunks and several per chunk come out whole', async (t) => {
  const lines = new LineSplitter();
  t.same(lines.push('{"a":'), []);
  t.same(lines.push('1}\n{"b":2}\n{"c"'), ['{"a":1}', '{"b":2}']);
  t.same(lines.push(':3}\n\n'), ['{"c":3}']);
  t.equal(lines.end(), undefined);
});

t.test('the last line counts even without a final newline', async (t) => {
  const lines = new LineSplitter();
  t.same(lines.push('{"a":1}\n{"b"'), ['{"a":1}']);
  t.same(lines.push(':2}'), []);
  t.equal(lines.end(), '{"b":2}');
});
