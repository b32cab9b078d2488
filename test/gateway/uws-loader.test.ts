import t from 'tap';
import { loadUws } from '../../lib/gateway/uws.js';

t.test('a missing build fails with what to do and what this machine is', async (t) => {
  t.throws(() => loadUws('no-such-uws-build'), {
    message: new RegExp(
      `^uWebSockets.js: no build loads on Node ${process.version.replace(/\./g, '\\.')} \\(${process.platform}-${process.arch}, ` +
        `ABI ${process.versions.modules}, glibc \\d+\\.\\d+\\): .*Install a uWebSockets.js build made for this Node version and C library`,
    ),
  });
});

t.test('the native uWebSockets.js build loads and serves', async (t) => {
  const uws = loadUws();
  t.equal(loadUws(), uws, 'loaded once');
  const app = uws.App().get('/*', (res) => {
    res.end('ok');
  });
  const listenSocket = await new Promise<NonNullable<Parameters<Parameters<typeof app.listen>[2]>[0]>>((resolve, reject) =>
    app.listen('127.0.0.1', 0, (socket) => (socket ? resolve(socket) : reject(new Error('listen failed')))),
  );
  const port = uws.us_socket_local_port(listenSocket);
  const response = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } }).catch(() => undefined);
  t.equal(await response?.text(), 'ok');
  uws.us_listen_socket_close(listenSocket);
});
