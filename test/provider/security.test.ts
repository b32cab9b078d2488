// Who may connect: client certificates are required and verified against the configured CA;
// a missing or untrusted one fails the TLS handshake, a trusted one whose CN is not allowed
// gets 403 with a Status.
import t, { type Test } from 'tap';
import { LinkHandshakeError, connectLink } from '../../lib/link/index.js';
import { issueClientCert, makeCA } from '../fixtures/certs.js';
import { ExecClient } from './fixtures/exec-client.js';
import { quietLogger, startProvider, type Harness } from './fixtures/provider.js';
import { createProviderServer } from '../../lib/provider/index.js';

function connectWith(provider: Harness, tls: Parameters<typeof connectLink>[0]['tls']) {
  return connectLink({ host: '127.0.0.1', port: provider.address.port, tls, timeoutMs: 5000 });
}

async function handshakeFailure(t: Test, attempt: Promise<unknown>): Promise<void> {
  const error = await attempt.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, LinkHandshakeError);
  t.equal((error as LinkHandshakeError).statusCode, undefined, `no HTTP answer, the TLS handshake failed: ${(error as Error).message}`);
}

t.test('a client without a certificate fails the TLS handshake', async (t) => {
  const provider = await startProvider(t);
  await handshakeFailure(t, connectWith(provider, { ca: provider.clientTls.ca }));
});

t.test('a client certificate from another CA fails the TLS handshake', async (t) => {
  const provider = await startProvider(t);
  const stranger = await issueClientCert(await makeCA('some other CA'), { cn: 'gateway' });
  await handshakeFailure(t, connectWith(provider, { ca: provider.clientTls.ca, key: stranger.key, cert: stranger.cert }));
});

t.test('allowedSubjects: a trusted certificate with another CN gets 403, on both routes', async (t) => {
  const provider = await startProvider(t, {}, { allowedSubjects: ['someone-else'] });
  const error = await connectWith(provider, provider.clientTls).catch((e: unknown) => e);
  t.match(error, { statusCode: 403, status: { reason: 'Forbidden', message: 'client certificate subject CN=gateway is not allowed to use this provider' } });
  const wsError = await ExecClient.connect(provider, 'echo-1').catch((e: unknown) => e);
  t.match(wsError, { statusCode: 403 });
  t.equal(provider.backend.opened, 0);
});

t.test('allowedSubjects: the allowed CN is served', async (t) => {
  const provider = await startProvider(t, {}, { allowedSubjects: ['gateway'] });
  const link = await provider.connect();
  const stream = link.open({ machine: 'echo-1' });
  await stream.waitOpened();
});

t.test('requireClientCert false serves clients without a certificate (dev)', async (t) => {
  const provider = await startProvider(t, {}, { requireClientCert: false });
  const link = await connectWith(provider, { ca: provider.clientTls.ca });
  t.teardown(() => link.destroy());
  t.ok(link.isOpen);
});

t.test('tls false serves plain HTTP (dev)', async (t) => {
  const provider = await startProvider(t, {}, false);
  const link = await provider.connect();
  const stream = link.open({ machine: 'echo-1' });
  await stream.waitOpened();
});

t.test('requiring client certificates without a CA is a configuration error', async (t) => {
  const ca = await makeCA('ironcore-console provider tests');
  t.throws(() => createProviderServer({ backend: { open: () => Promise.reject(new Error('unused')) }, tls: { key: ca.key, cert: ca.cert }, logger: quietLogger }), /tls.ca is required/);
});
