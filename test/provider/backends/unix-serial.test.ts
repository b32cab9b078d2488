import { mkdirSync } from 'node:fs';
import { link, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { NotFoundError } from '../../../lib/provider/backend.js';
import { createUnixSerialBackend } from '../../../lib/provider/backends/index.js';
import { REQUEST, serialBackendSuite } from './serial-backend-suite.js';
import { SerialPeer } from './serial-peer.js';
import { tempDir } from './temp-dir.js';

/** Machine ns/vm's socket path below `dir`, its namespace folder made as a provider would. */
function machineSocket(dir: string): string {
  mkdirSync(join(dir, 'ns'), { recursive: true });
  return join(dir, 'ns', 'vm.sock');
}

serialBackendSuite({
  endpoint(dir) {
    return { path: machineSocket(dir) };
  },
  backend(dir, _bound, connectTimeoutMs) {
    return createUnixSerialBackend({ path: join(dir, '{namespace}', '{machine}.sock'), connectTimeoutMs });
  },
  // A socket file with no listener behind it, as a QEMU that died leaves: a second name for a
  // listening socket outlives the server's own.
  async refusing(dir) {
    const peer = await SerialPeer.listen({ path: join(dir, 'live.sock') });
    await link(join(dir, 'live.sock'), machineSocket(dir));
    await peer.close();
    return { path: machineSocket(dir) };
  },
});

t.test('a machine without a console socket is not found', async (t) => {
  const dir = await tempDir(t);
  const backend = createUnixSerialBackend({ path: join(dir, '{namespace}', '{machine}.sock') });
  await t.rejects(backend.open(REQUEST), new NotFoundError('no console socket for machine ns/vm'));
});

t.test('a function can say where the socket is', async (t) => {
  const dir = await tempDir(t);
  await mkdir(join(dir, 'sockets'));
  const peer = await SerialPeer.listen({ path: join(dir, 'sockets', 'ns_vm') });
  t.teardown(() => peer.close());
  const backend = createUnixSerialBackend({ path: (namespace, machine) => join(dir, 'sockets', `${namespace}_${machine}`) });
  const stream = await backend.open(REQUEST);
  t.teardown(() => stream.close());
  await peer.accept();
  t.pass('connected to the socket the function named');
});
