// StreamEvents holds output that arrives before the session subscribes: output is a view into
// the link's read buffer, which the next read overwrites, so what it holds must be its own.
import t from 'tap';
import { StreamEvents } from '../../lib/gateway/upstream/stream-events.js';

t.test('output queued before the subscription keeps its bytes after the read buffer is reused', async (t) => {
  const readBuffer = Buffer.from('\x01early output');
  const events = new StreamEvents();
  events.data(readBuffer.subarray(0, 6));
  readBuffer.fill(0); // the next link read lands here
  const got: string[] = [];
  events.onData((message) => got.push(message.toString('latin1')));
  t.same(got, ['\x01early']);
});
