// The bench's certificates as files (uWS and socat read files): one CA, a server certificate
// for 127.0.0.1 that every TLS server in the bench presents, and one client certificate that
// the gateway, the proxies and the load generator present to the provider (mTLS).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueClientCert, issueServerCert, makeCA } from '../../test/fixtures/certs.js';
import { FRONT_PROXY_NAME } from '../fixture-names.js';

export interface PkiFiles {
  caFile: string;
  serverKeyFile: string;
  serverCertFile: string;
  clientKeyFile: string;
  clientCertFile: string;
  /** Key and certificate in one file, as socat's `cert=` wants them. */
  serverPemFile: string;
  clientPemFile: string;
}

export interface Pki extends PkiFiles {
  remove(): void;
}

export async function createPki(): Promise<Pki> {
  const ca = await makeCA('ironcore-console bench CA');
  const server = await issueServerCert(ca, { hosts: ['127.0.0.1', 'localhost'] });
  const client = await issueClientCert(ca, { cn: FRONT_PROXY_NAME });
  const dir = mkdtempSync(join(tmpdir(), 'ironcore-bench-pki-'));
  const write = (name: string, ...contents: Buffer[]) => {
    const path = join(dir, name);
    writeFileSync(path, Buffer.concat(contents), { mode: 0o600 });
    return path;
  };
  return {
    caFile: write('ca.crt', ca.cert),
    serverKeyFile: write('server.key', server.key),
    serverCertFile: write('server.crt', server.cert),
    clientKeyFile: write('client.key', client.key),
    clientCertFile: write('client.crt', client.cert),
    serverPemFile: write('server.pem', server.key, server.cert),
    clientPemFile: write('client.pem', client.key, client.cert),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
