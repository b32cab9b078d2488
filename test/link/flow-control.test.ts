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

t.test('ReceiveWindow returns credit in batches of a quarter window, never holding back more than half', async (t) => {
  const window = new ReceiveWindow(1000);
  window.receive(1000);
  const grants = Array.from({ length: 10 }, () => window.release(100));
  t.same(grants, [0, 0, 300, 0, 0, 300, 0, 0, 300, 0]);
  t.ok(window.receive(900), 'the returned credit can be used');
  t.notOk(window.receive(1));
  const greedy = new ReceiveWindow(1000, 1000);
  greedy.receive(1000);
  t.same(Array.from({ length: 5 }, () => greedy.release(100)), [0, 0, 0, 0, 500], 'a larger batch is cut to half the window');
});

t.test('a sender that waits for credit for whole frames of up to half the window is never flagged, and never starves', async () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 10_000 }),
      fc.integer({ min: 1, max: 10_000 }),
      fc.array(fc.integer({ min: 1, max: 5000 }), { maxLength: 200 }),
      (size, batch, messages) => {
        const send = new SendWindow(size);
        const receive = new ReceiveWindow(size, batch);
        for (let wanted of messages) {
          while (wanted > 0) {
            // As the provider sends: up to half the window of payload, plus the channel byte.
            const frame = Math.min(wanted, Math.floor(size / 2) + 1);
            if (send.available < frame) return false; // waiting for credit that never comes: a deadlock
            send.take(frame);
            if (!receive.receive(frame)) return false;
            const grant = receive.release(frame); // the consumer takes everything at once
            if (grant > 0 && send.grant(grant)) return false;
            wanted -= frame;
          }
        }
        return true;
      },
    ),
  );
});
