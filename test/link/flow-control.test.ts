import fc from 'fast-check';
import t from 'tap';
import { MAX_WINDOW, ReceiveWindow, SendWindow } from '../../lib/link/index.js';

t.test('SendWindow spends and regains credit', async (t) => {
  const window = new SendWindow(100);
  window.take(60);
  t.equal(window.available, 40);
  t.throws(() => window.take(41), RangeError, 'overdrawing is a bug in the caller');
  t.equal(window.grant(10), undefined);
  t.equal(window.available, 50);
});

t.test('SendWindow reports a grant past 2^31-1 as an error and keeps its credit', async (t) => {
  const window = new SendWindow(MAX_WINDOW - 10);
  t.equal(window.grant(10), undefined);
  t.match(window.grant(1), { message: /flow control window overflow/ });
  t.equal(window.available, MAX_WINDOW);
});

t.test('ReceiveWindow flags a peer that sends more than it was granted', async (t) => {
  const window = new ReceiveWindow(100);
  t.ok(window.receive(100));
  t.notOk(window.receive(1));
});

t.test('ReceiveWindow returns credit in batches of half the window', async (t) => {
  const window = new ReceiveWindow(1000);
  window.receive(1000);
  const grants = Array.from({ length: 10 }, () => window.release(100));
  t.same(grants, [0, 0, 0, 0, 500, 0, 0, 0, 0, 500]);
  t.ok(window.receive(1000), 'the returned credit can be used');
  t.notOk(window.receive(1));
});

t.test('a sender that follows the credit it gets is never flagged, and never starves', async () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 10_000 }), fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 200 }), (size, messages) => {
      const send = new SendWindow(size);
      const receive = new ReceiveWindow(size);
      for (let wanted of messages) {
        while (wanted > 0) {
          const chunk = Math.min(wanted, send.available);
          if (chunk === 0) return false; // no credit and nothing in flight: a deadlock
          send.take(chunk);
          if (!receive.receive(chunk)) return false;
          const grant = receive.release(chunk); // the consumer takes everything at once
          if (grant > 0 && send.grant(grant)) return false;
          wanted -= chunk;
        }
      }
      return true;
    }),
  );
});
