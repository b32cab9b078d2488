// Development and test PKI made with the openssl CLI: a CA, server certificates for the loopback addresses and
// client certificates with a CN (user) and O (groups), as Kubernetes reads them. Everything is
// cached per process, since key generation is the slow part of a TLS test.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** EC P-256 keys: as good as RSA here and much faster to make. */
const NEW_KEY = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
const CA_EXTENSIONS = '-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign';

export interface KeyPair {
  key: Buffer;
  cert: Buffer;
}

export interface CertificateAuthority extends KeyPair {
  name: string;
}

/** A leaf certificate and the CA certificate that signed it. */
export interface IssuedCert extends KeyPair {
  ca: Buffer;
}

export interface ServerCertOptions {
  /** Subject alternative names; default 127.0.0.1, ::1 and localhost. */
  hosts?: string[];
}

export interface ClientCertOptions {
  cn: string;
  /** Organization(s): Kubernetes takes them as the user's groups. */
  org?: string | string[];
}

const authorities = new Map<string, Promise<CertificateAuthority>>();
const issued = new WeakMap<CertificateAuthority, Map<string, Promise<IssuedCert>>>();

export function makeCA(name = 'ironcore-console test CA'): Promise<CertificateAuthority> {
  return once(authorities, name, () => createCA(name));
}

export function issueServerCert(ca: CertificateAuthority, options: ServerCertOptions = {}): Promise<IssuedCert> {
  const hosts = options.hosts ?? ['127.0.0.1', '::1', 'localhost'];
  const altNames = hosts.map((host) => (isIP(host) ? `IP:${host}` : `DNS:${host}`)).join(',');
  return issueOnce(ca, `server ${altNames}`, subject(hosts[0] ?? 'server'), [
    'extendedKeyUsage=serverAuth',
    `subjectAltName=${altNames}`,
  ]);
}

export function issueClientCert(ca: CertificateAuthority, { cn, org }: ClientCertOptions): Promise<IssuedCert> {
  const orgs = org === undefined ? [] : [org].flat();
  return issueOnce(ca, `client ${JSON.stringify([cn, orgs])}`, subject(cn, orgs), ['extendedKeyUsage=clientAuth']);
}

function issueOnce(ca: CertificateAuthority, key: string, subj: string, extensions: string[]): Promise<IssuedCert> {
  const byCA = issued.get(ca) ?? new Map<string, Promise<IssuedCert>>();
  issued.set(ca, byCA);
  return once(byCA, key, () => issue(ca, subj, extensions));
}

function once<V>(cache: Map<string, V>, key: string, make: () => V): V {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key)!;
}

async function createCA(name: string): Promise<CertificateAuthority> {
  return inTempDir(async (dir) => {
    const args = `req -x509 ${NEW_KEY} -keyout ca.key -out ca.crt -days 3650 ${CA_EXTENSIONS}`;
    await openssl(dir, [...args.split(' '), '-subj', subject(name)]);
    return { name, key: await readFile(join(dir, 'ca.key')), cert: await readFile(join(dir, 'ca.crt')) };
  });
}

async function issue(ca: CertificateAuthority, subj: string, extensions: string[]): Promise<IssuedCert> {
  return inTempDir(async (dir) => {
    await writeFile(join(dir, 'ca.key'), ca.key);
    await writeFile(join(dir, 'ca.crt'), ca.cert);
    const ext = ['basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', ...extensions];
    await writeFile(join(dir, 'ext.cnf'), `${ext.join('\n')}\n`);
    await openssl(dir, [...`req -new ${NEW_KEY} -keyout leaf.key -out leaf.csr`.split(' '), '-subj', subj]);
    const serial = `0x${randomBytes(15).toString('hex')}`;
    const sign = `x509 -req -in leaf.csr -CA ca.crt -CAkey ca.key -out leaf.crt -days 825 -sha256 -set_serial ${serial}`;
    await openssl(dir, [...sign.split(' '), '-extfile', 'ext.cnf']);
    return { key: await readFile(join(dir, 'leaf.key')), cert: await readFile(join(dir, 'leaf.crt')), ca: ca.cert };
  });
}

/** An openssl -subj: CN is the user, each O a group. */
function subject(cn: string, orgs: string[] = []): string {
  const escape = (value: string): string => value.replace(/[\\/+]/g, '\\$&');
  return `/CN=${escape(cn)}${orgs.map((o) => `/O=${escape(o)}`).join('')}`;
}

async function openssl(cwd: string, args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { cwd });
  } catch (err) {
    const { stderr, message } = err as Error & { stderr?: string };
    throw new Error(`openssl ${args[0]} failed: ${stderr?.trim() || message}`, { cause: err });
  }
}

/** Keys never outlive the call on disk: the caller gets them as Buffers. */
async function inTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ironcore-certs-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
