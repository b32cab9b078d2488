import fc from 'fast-check';
import t from 'tap';
import { Scrollback } from '../../lib/provider/scrollback.js';

t.test('the scrollback keeps exactly the latest capacity bytes, whatever the chunk sizes', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 64 }), fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 30 }), (capacity, chunks) => {
      const scrollback = new Scrollback(capacity);
      let all = Buffer.alloc(0);
      for (const chunk of chunks) {
        scrollback.append(chunk);
        all = Buffer.concat([all, chunk]);
        const expected = all.subarray(Math.max(0, all.length - capacity));
        if (scrollback.size !== expected.length) return false;
        if (expected.length > 0 && !scrollback.snapshot().equals(expected)) return false;
      }
      return true;
    }),
  );
});

t.test('a snapshot is a copy', async (t) => {
  const scrollback = new Scrollback(8);
  scrollback.append(Buffer.from('abcdef'));
  const snapshot = scrollback.snapshot();
  scrollback.append(Buffer.from('ghij'));
  t.equal(snapshot.toString(), 'abcdef');
  t.equal(scrollback.snapshot().toString(), 'cdefghij');
});
