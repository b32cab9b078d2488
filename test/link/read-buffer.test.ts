// A gateway-side link that reads into one reused buffer (connectLink's reuseReadBuffer): every
// data frame is whole when delivered and stays whole until the task's microtasks have run, over
// TCP and TLS, for frames of every size; reads that arrive before onFrame are kept.
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { Frame } from '../../lib/protocol/index.js';
import { linkPair } from './fixtures/link-pair.js';

const FRAMES = 1500;
const MAX_PAYLOAD = 70 * 1024;

/** Payloads of random sizes (1 B to 70 KiB, so frames span reads of both TCP and TLS), random bytes. */
function payloads(): Buffer[] {
  const sizes = randomBytes(FRAMES * 4);
  return Array.from({ length: FRAMES }, (_, i) => randomBytes(1 + (sizes.readUInt32LE(i * 4) % MAX_PAYLOAD)));
}

const digest = (buffers: Buffer[]) => buffers.reduce((hash, b) => hash.update(b), createHash('sha256')).digest('hex');

for (const tls of [false, true]) {
  t.test(`reused reads over ${tls ? 'TLS' : 'TCP'}: every frame whole, until the microtasks ran`, async (t) => {
    const { client, server } = await linkPair(t, { tls, client: { reuseReadBuffer: true } });
    const sent = payloads();
    const received: Buffer[] = [];
    let changed = 0;
    const done = new Promise<void>((resolve) => {
      client.onFrame((frame: Frame) => {
        if (frame.kind !== 'data') return;
        const copy = Buffer.from(frame.data);
        received.push(copy);
        // The loan lasts until this task's microtasks have run: the session's batch leaves in one.
        queueMicrotask(() => {
          if (!frame.data.equals(copy)) changed++;
          if (received.length === FRAMES) resolve();
        });
      });
    });
    for (const payload of sent) server.sendData(1, payload);
    await done;
    t.equal(changed, 0, 'no frame changed before the microtasks ran');
    t.equal(digest(received), digest(sent), `all ${FRAMES} frames arrived whole and in order`);
  });
}

t.test('reads that arrive before onFrame are kept, whole', async (t) => {
  const { client, server } = await linkPair(t, { tls: true, client: { reuseReadBuffer: true } });
  const sent = payloads().slice(0, 40);
  for (const payload of sent) server.sendData(1, payload);
  await sleep(200); // the client reads them all before anyone listens
  const received: Buffer[] = [];
  await new Promise<void>((resolve) => {
    client.onClose(() => resolve()); // a broken frame breaks the link
    client.onFrame((frame) => {
      if (frame.kind === 'data') received.push(Buffer.from(frame.data));
      if (received.length === sent.length) resolve();
    });
  });
  t.equal(digest(received), digest(sent), 'every early frame arrived whole and in order');
});
