// The serial backends against a real machine: a Linux guest under QEMU whose ttyS0 runs a
// shell, its serial port on a unix socket and on a TCP port as QEMU's -serial exposes them.
// Slow (a TCG boot takes seconds); skips when QEMU, a kernel or a static busybox is missing.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { ConsoleBackend, OpenRequest } from '../../../lib/provider/backend.js';
import { createTcpSerialBackend, createUnixSerialBackend } from '../../../lib/provider/backends/index.js';
import { bootGuest, buildInitramfs, findGuestTools, GUEST_PROMPT, type GuestSerial, type GuestTools } from '../../fixtures/qemu-guest.js';
import { ConsoleReader } from './console-reader.js';
import { tempDir } from './temp-dir.js';

const REQUEST: OpenRequest = { namespace: 'ns', machine: 'vm', tty: true };
const BOOT_TIMEOUT_MS = 60_000;

/** Boots a guest, opens its console through `backendFor`, runs a command in its shell, stops it. */
async function session(t: Test, tools: GuestTools, serial: GuestSerial, backendFor: (serial: GuestSerial) => ConsoleBackend) {
  const dir = await tempDir(t);
  const guest = await bootGuest({ initrd: await buildInitramfs(dir, tools.busybox), serial, tools });
  t.teardown(() => guest.kill());
  const stream = await backendFor(guest.serial).open(REQUEST);
  t.teardown(() => stream.close());
  const console = new ConsoleReader(stream);
  // With wait=off the guest spoke to nobody before we connected, so its first prompt is gone:
  // press Enter until one comes, as a user attaching to a running machine does.
  const enter = setInterval(() => stream.write(Buffer.from('\r')), 500);
  try {
    await console.waitFor(new RegExp(GUEST_PROMPT.replace(/[$#]/g, '\\$&')), BOOT_TIMEOUT_MS);
  } finally {
    clearInterval(enter);
  }
  t.pass('the guest shell prompted');
  stream.write(Buffer.from('echo hello-from-$((6*7))\r'));
  await console.waitFor(/hello-from-42/, 10_000);
  t.pass('the guest ran a command typed on its console');
  await guest.kill();
  t.match(await console.ended, { message: /closed/ }, 'the machine going away ends the console');
}

const tools = await findGuestTools();
if (typeof tools === 'string') {
  t.plan(0, `no QEMU guest to test against: ${tools}`);
} else {
  t.test('serial console over a unix socket (-serial unix:)', async (t) => {
    const dir = await tempDir(t);
    await mkdir(join(dir, 'ns'));
    await session(t, tools, { unix: join(dir, 'ns', 'vm.sock') }, () =>
      createUnixSerialBackend({ path: join(dir, '{namespace}', '{machine}.sock') }),
    );
  });

  t.test('serial console over TCP (-serial tcp:)', async (t) => {
    await session(t, tools, { tcp: 0 }, (serial) => createTcpSerialBackend({ address: `127.0.0.1:${'tcp' in serial ? serial.tcp : 0}` }));
  });
}
