import t from 'tap';
import { loadUws } from '../../lib/gateway/uws.js';

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
  const response = await fetch(`http://127.0.0.1:${port}/`);
  t.equal(await response.text(), 'ok');
  uws.us_listen_socket_close(listenSocket);
});
