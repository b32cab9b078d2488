// Bulk console output to a SPDY client arrives whole: the link lends its reads (they live in
// one reused buffer), and node's socket keeps what it is given until written, so the SPDY side
// must send copies. Random bytes, checked by sha256, fast enough that the socket buffers.
import { createHash, randomBytes } from 'node:crypto';
import t from 'tap';
import { connectSpdyChannelPort } from '../../lib/spdy/index.js';
import { bulkBackend } from '../fixtures/bulk-backend.js';
import { ALICE, execPath, startStack, type Stack } from '../fixtures/stack.js';

const BULK = randomBytes(16 * 1024 * 1024);

let stack: Stack;
t.before(async () => {
  stack = await startStack({ backend: bulkBackend(BULK) });
});
t.teardown(() => stack.close());

t.test('a SPDY client receives every byte of a bulk output', async (t) => {
  const port = await connectSpdyChannelPort({
    url: `https://127.0.0.1:${stack.gateway.port}${execPath('default', 'm1', 'stdout=true')}`,
    method: 'POST',
    tls: { ca: stack.ca.cert },
    headers: { Authorization: `Bearer ${ALICE}` },
    stdin: false,
    stdout: true,
    stderr: false,
    tty: false,
  });
  const hash = createHash('sha256');
  let received = 0;
  port.onMessage((message) => {
    if (message[0] !== 1) return;
    hash.update(message.subarray(1));
    received += message.length - 1;
  });
  await new Promise<void>((resolve) => port.onClose(() => resolve()));
  t.equal(received, BULK.length, 'every byte arrived');
  t.equal(hash.digest('hex'), createHash('sha256').update(BULK).digest('hex'), 'sha256 matches');
});
