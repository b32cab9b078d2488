// Waits until a gateway answers /readyz with 200: its machine pool watch has synced, so the
// first session it is sent finds the bench provider.
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';

const READY_TIMEOUT_MS = 20_000;

export async function waitUntilReady(port: number, tls: boolean, ca: Buffer): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await isReady(port, tls, ca))) {
    if (Date.now() > deadline) throw new Error(`gateway not ready after ${READY_TIMEOUT_MS} ms`);
    await sleep(50);
  }
}

function isReady(port: number, tls: boolean, ca: Buffer): Promise<boolean> {
  const get = tls ? httpsGet : httpGet;
  return new Promise((resolve) => {
    get({ host: '127.0.0.1', port, path: '/readyz', ca }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    }).on('error', () => resolve(false));
  });
}
