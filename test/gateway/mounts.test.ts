// The gateway's pieces on an embedder's uWS app: each mount under the prefix it is given, and a
// prefix that is not a plain path refused at mount time rather than routing somewhere odd.
import t from 'tap';
import { allowAllAuthorizer, anonymousAuthenticator, createGateway, createUpstream, loadUws, type UWS } from '../../lib/gateway/index.js';

function gatewayForTest() {
  const upstream = createUpstream({ tls: false });
  t.teardown(() => upstream.close());
  return createGateway({
    lookup: { resolve: async () => ({ address: '127.0.0.1', port: 1 }) },
    authenticator: anonymousAuthenticator,
    authorizer: allowAllAuthorizer,
    upstream,
  });
}

async function listen(app: UWS.TemplatedApp): Promise<number> {
  const uws = loadUws();
  const socket = await new Promise<UWS.us_listen_socket>((resolve, reject) => app.listen('127.0.0.1', 0, (s) => (s ? resolve(s) : reject(new Error('listen')))));
  t.teardown(() => uws.us_listen_socket_close(socket));
  return uws.us_socket_local_port(socket);
}

t.test('ops and exec under a prefix (a trailing slash is dropped), beside the app\'s own routes', async (t) => {
  const gateway = gatewayForTest();
  const app = loadUws().App();
  app.get('/healthz', (res) => void res.end('the app\'s own'));
  gateway.mountOps(app, { prefix: '/gw/' });
  gateway.mountExec(app, { prefix: '/gw' });
  const port = await listen(app);
  t.equal(await (await fetch(`http://127.0.0.1:${port}/gw/healthz`)).text(), 'ok');
  t.equal(await (await fetch(`http://127.0.0.1:${port}/healthz`)).text(), "the app's own", 'the embedder keeps its route');
  const exec = await fetch(`http://127.0.0.1:${port}/gw/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/m1/exec`);
  t.equal(exec.status, 400, 'the exec route answers a plain request with its 400 Status');
  t.match(await exec.json(), { kind: 'Status', code: 400, message: /requires an upgrade/ });
});

t.test('a prefix that is not a plain path is refused', async (t) => {
  const gateway = gatewayForTest();
  const app = loadUws().App();
  for (const prefix of ['consoles', '/a/:b', '/a/*']) {
    t.throws(() => gateway.mountExec(app, { prefix }), { name: 'TypeError', message: /must be a path that starts with \// }, prefix);
  }
});
