// A gateway embedded in an existing uWebSockets.js app: the app keeps its own routes and its
// own 404, and mounts ironcore-console's exec endpoint, operational routes and console page
// under /consoles. Who may open which console is this app's decision (its own authenticator
// and authorizer); where a machine's console lives too (every machine is on one provider).
//
//   PROVIDER=127.0.0.1:12319 TLS_CA=ca.crt TLS_CERT=gateway.crt TLS_KEY=gateway.key \
//     node embedded-gateway.mjs
//
// It prints `gateway listening on PORT` (PORT=0, the default, lets the OS pick). A websocket to
//   ws://127.0.0.1:PORT/consoles/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/echo-1/exec?stdin=true&tty=true
// with `Authorization: Bearer alice-token` opens a console; http://127.0.0.1:PORT/consoles/console/
// is the browser page. (A real app would listen with uws.SSLApp.)
import { readFileSync } from 'node:fs';
import { createGateway, createUpstream, loadUws } from 'ironcore-console/gateway';
import { StatusError } from 'ironcore-console/protocol';

/** This app's users: a token each. */
const USERS = new Map([
  ['alice-token', { username: 'alice', groups: ['operators'] }],
  ['bob-token', { username: 'bob', groups: ['guests'] }],
]);

const authenticator = {
  async authenticate({ token }) {
    const user = token && USERS.get(token);
    if (!user) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
    return user;
  },
};

/** Operators may open any console in `default`; nobody else may open any. */
const authorizer = {
  async authorize(user, { namespace, machine }) {
    if (!user.groups.includes('operators') || namespace !== 'default') {
      throw new StatusError(403, `${user.username} may not open the console of ${namespace}/${machine}`, 'Forbidden');
    }
  },
};

const [providerHost, providerPort] = process.env.PROVIDER.split(':');
const lookup = {
  async resolve() {
    return { address: providerHost, port: Number(providerPort) };
  },
};

const upstream = createUpstream({
  tls: {
    ca: readFileSync(process.env.TLS_CA),
    cert: readFileSync(process.env.TLS_CERT),
    key: readFileSync(process.env.TLS_KEY),
    servername: providerHost,
  },
});
const gateway = createGateway({ lookup, authenticator, authorizer, upstream });

const uws = loadUws();
const app = uws.App();
app.get('/', (res) => res.end('an existing app\n'));
gateway.mountExec(app, { prefix: '/consoles' });
gateway.mountOps(app, { prefix: '/consoles' });
gateway.mountPage(app, { prefix: '/consoles' });
// The app's own answer for everything else.
app.any('/*', (res) => res.writeStatus('404 Not Found').end('not here\n'));

let listenSocket;
app.listen(process.env.HOST ?? '127.0.0.1', Number(process.env.PORT ?? 0), (socket) => {
  if (!socket) throw new Error('cannot listen');
  listenSocket = socket;
  console.log(`gateway listening on ${uws.us_socket_local_port(socket)}`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, async () => {
    uws.us_listen_socket_close(listenSocket);
    await gateway.drain(1000); // sessions still open get a 503 Status
    upstream.close();
    process.exit(0);
  });
}
