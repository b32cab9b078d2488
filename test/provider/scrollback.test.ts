import fc from 'fast-check';
import t from 'tap';
import { replayStart } from '../../lib/provider/shared-console.js';
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

t.test('offsets: every byte appended counts; snapshot(from) is what is kept from that offset on', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 64 }), fc.array(fc.uint8Array({ maxLength: 100 }), { maxLength: 30 }), fc.nat(3000), (capacity, chunks, from) => {
      const scrollback = new Scrollback(capacity);
      for (const chunk of chunks) scrollback.append(chunk);
      const all = Buffer.concat(chunks);
      const start = Math.max(0, all.length - capacity);
      if (scrollback.endOffset !== all.length || scrollback.startOffset !== start) return false;
      const expected = all.subarray(Math.min(Math.max(from, start), all.length));
      return scrollback.snapshot(from).equals(expected);
    }),
  );
});

t.test('replayStart: replayFrom clamped to what is kept; beyond the output so far (a reopened console), all of it', async (t) => {
  const kept = { startOffset: 20, endOffset: 36 };
  t.equal(replayStart(kept, { replay: true }), 20, 'the whole scrollback');
  t.equal(replayStart(kept, { replay: false }), 36, 'noReplay: from the next live byte');
  t.equal(replayStart(kept, { replay: true, replayFrom: 25 }), 25);
  t.equal(replayStart(kept, { replay: false, replayFrom: 25 }), 25, 'replayFrom overrides noReplay');
  t.equal(replayStart(kept, { replay: true, replayFrom: 3 }), 20, 'older than the scrollback: all of it');
  t.equal(replayStart(kept, { replay: true, replayFrom: 36 }), 36, 'at the end: nothing');
  t.equal(replayStart(kept, { replay: false, replayFrom: 37 }), 20, 'beyond the end: the console restarted');
});
