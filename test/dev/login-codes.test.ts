// The dev stack's one-time login codes over real HTTP: a code works once, then never again;
// anything else gets a Status.
import t from 'tap';
import { DEV_LOGIN_ROUTE, DevLoginCodes } from '../../lib/dev/login-codes.js';
import { loadUws } from '../../lib/gateway/uws.js';

t.test('a code is good for one login; used, unknown or oversized codes are refused with a Status', async (t) => {
  const uws = loadUws();
  const codes = new DevLoginCodes('the-token');
  const app = uws.App();
  codes.mount(app);
  const socket = await new Promise<unknown>((resolve) => app.listen('127.0.0.1', 0, resolve));
  t.teardown(() => uws.us_listen_socket_close(socket as never));
  const url = `http://127.0.0.1:${uws.us_socket_local_port(socket as never)}${DEV_LOGIN_ROUTE}`;
  const post = async (body: string) => {
    const response = await fetch(url, { method: 'POST', body });
    return { code: response.status, cache: response.headers.get('cache-control'), body: (await response.json()) as { token?: string; message?: string } };
  };

  const code = codes.issue();
  t.match(code, /^[\w-]{22}$/, '128 random bits');
  t.same(await post(code), { code: 200, cache: 'no-store', body: { token: 'the-token' } });
  t.match(await post(code), { code: 403, cache: 'no-store', body: { message: /unknown, used or expired/ } }, 'spent');
  t.match(await post('guess'), { code: 403 });
  t.match(await post('x'.repeat(1000)), { code: 400, body: { message: 'a login code is a short text' } });
  t.not(codes.issue(), codes.issue(), 'every code is new');
});
