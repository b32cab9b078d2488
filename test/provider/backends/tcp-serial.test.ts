import t from 'tap';
import { createTcpSerialBackend } from '../../../lib/provider/backends/index.js';
import { parseAddress } from '../../../lib/provider/backends/tcp-serial.js';
import { REQUEST, serialBackendSuite } from './serial-backend-suite.js';
import { SerialPeer, type Endpoint } from './serial-peer.js';

function portOf(endpoint: Endpoint): number {
  if (!('port' in endpoint)) throw new Error('not a TCP endpoint');
  return endpoint.port;
}

serialBackendSuite({
  endpoint() {
    return { host: '127.0.0.1', port: 0 };
  },
  backend(_dir, bound, connectTimeoutMs) {
    return createTcpSerialBackend({ address: `127.0.0.1:${portOf(bound)}`, connectTimeoutMs });
  },
  // A port that was just free again: nothing listens there.
  async refusing() {
    const peer = await SerialPeer.listen({ host: '127.0.0.1', port: 0 });
    await peer.close();
    return peer.endpoint;
  },
});

t.test('a function can say where the console is', async (t) => {
  const peer = await SerialPeer.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => peer.close());
  const seen: string[] = [];
  const backend = createTcpSerialBackend({
    address: (namespace, machine) => {
      seen.push(`${namespace}/${machine}`);
      return { host: '127.0.0.1', port: portOf(peer.endpoint) };
    },
  });
  const stream = await backend.open(REQUEST);
  t.teardown(() => stream.close());
  await peer.accept();
  t.same(seen, ['ns/vm']);
});

t.test('addresses are host:port, IPv6 in brackets', async (t) => {
  t.same(parseAddress('vm.ns.consoles:7000'), { host: 'vm.ns.consoles', port: 7000 });
  t.same(parseAddress('[::1]:2323'), { host: '::1', port: 2323 });
  for (const bad of ['consoles', 'consoles:', 'consoles:0', 'consoles:65536', '::1:7000', 'a:b:7000', 'host:7000x']) {
    t.throws(() => parseAddress(bad), /is not host:port/, bad);
  }
});

t.test('a template that cannot make an address fails when the backend is made', async (t) => {
  t.throws(() => createTcpSerialBackend({ address: '{machine}.{namespace}' }), /is not host:port/);
  t.throws(() => createTcpSerialBackend({ address: '{host}:7000' }), /unknown placeholder \{host\}/);
});
