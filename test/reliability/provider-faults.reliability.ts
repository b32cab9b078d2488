// Provider faults, with traffic in flight, against the gateway process: a provider SIGKILLed
// mid-stream, the provider restarted on the same port, and a "provider" that accepts TCP and
// then says nothing. (A gateway SIGTERM is in gateway-shutdown.) Providers are the real
// `ironcore-console provider` process (tcp-serial backend) in front of an echoing device.
// After each fault: the gateway holds no session, file descriptor or memory it did not hold before.
import t from 'tap';
import type { RunningProcess } from '../fixtures/processes.js';
import { refused } from './fixtures/console-client.js';
import { metricValue } from './fixtures/gateway-process.js';
import { expectNoLeaks, footprint, type Footprint } from './fixtures/leak-check.js';
import { runLoadSession, type EndMode, type LoadSessionResult } from './fixtures/load-session.js';
import { startProviderProcess } from './fixtures/provider-process.js';
import { seededRandom } from './fixtures/random.js';
import { settings } from './fixtures/settings.js';
import { startEchoDevice, startSilentServer, type TcpServer } from './fixtures/tcp-servers.js';
import { sessionWorks, untilSessionsWork } from './fixtures/session-probe.js';
import { sleep, waitFor } from './fixtures/wait.js';
import { ALICE, startWorld, type World } from './fixtures/world.js';

let world: World;
let device: TcpServer;
let silent: TcpServer;
const providers: Record<'doomed' | 'survivor', RunningProcess | undefined> = { doomed: undefined, survivor: undefined };
let baseline: Footprint;
const random = seededRandom(settings.seed);
let nextSessionId = 1;

t.before(async () => {
  device = await startEchoDevice();
  silent = await startSilentServer();
  world = await startWorld({
    machines: [['default', 'doomed', 'doomed-pool'], ['default', 'survivor', 'survivor-pool'], ['default', 'silent', 'silent-pool']],
    pools: [['silent-pool', silent.port]],
  });
  const start = (name: string) => startProviderProcess({ dir: world.dir, name, pki: world.pki, device });
  [providers.doomed, providers.survivor] = await Promise.all([start('doomed'), start('survivor')]);
  world.setPool('doomed-pool', providers.doomed!.port);
  world.setPool('survivor-pool', providers.survivor!.port);
  await untilSessionsWork(world.gateway, 'doomed');
  await untilSessionsWork(world.gateway, 'survivor');
  baseline = footprint(world.gateway);
});

t.teardown(async () => {
  await Promise.all([world?.close(), providers.doomed?.kill(), providers.survivor?.kill()]);
  await Promise.all([device?.close(), silent?.close()]);
});

/** Checked traffic on `machine` until `seconds` from now (or until a fault ends it). */
function traffic(machine: string, seconds: number, endMode: EndMode): Promise<LoadSessionResult> {
  return runLoadSession({
    gateway: world.gateway, token: ALICE, machine, sessionId: nextSessionId++, random,
    stopAt: Date.now() + seconds * 1000, endMode, resizeStormChance: 0.01, endTimeoutMs: 30_000,
  });
}

const deviceConnections = () => device.connections.size;
/**
 * RSS keeps the allocator's high water: ten bulk sessions, each with a full window, stdin held
 * and a client watermark in flight when a provider dies, measured 66-72 MiB over the baseline on
 * a loaded machine. A leak grows with every test of the file and still fails this.
 */
const leakCheck = { zero: { 'device connections': deviceConnections }, rssSlackBytes: 96 * 1048576 };

t.test('a provider SIGKILLed with traffic in flight: its sessions get a Status at once, the others go on', async (t) => {
  const doomed = Array.from({ length: 5 }, () => traffic('doomed', 120, 'close'));
  const survivors = Array.from({ length: 5 }, () => traffic('survivor', 6, 'drain'));
  await sleep(2000);
  const killedAt = Date.now();
  await providers.doomed!.kill('SIGKILL');
  const ended = await Promise.all(doomed);
  const elapsed = Date.now() - killedAt;
  t.ok(elapsed < 15_000, `the doomed sessions ended ${elapsed} ms after the kill`);
  for (const result of ended) {
    t.same(result.problems, [], `doomed session ${result.sessionId}: what came back before the kill is intact (${result.verifiedBytes} bytes)`);
    t.match(result.status, { status: 'Failure', message: /connection to provider 127\.0\.0\.1:\d+ lost/ }, 'its Status says the provider connection was lost');
  }
  const survived = await Promise.all(survivors);
  for (const result of survived) t.same(result.problems, [], `survivor ${result.sessionId}: all ${result.sentBytes} bytes back, then a clean close`);
  t.comment(`verified ${ended.reduce((s, r) => s + r.verifiedBytes, 0)} bytes on doomed sessions, ${survived.reduce((s, r) => s + r.verifiedBytes, 0)} on survivors`);
  await expectNoLeaks(t, world.gateway, baseline, leakCheck);
});

t.test('while the provider is down, opens fail fast with 503', async (t) => {
  const started = Date.now();
  const { code, status } = await refused(world.gateway, 'default', 'doomed', { token: ALICE });
  t.equal(code, 503, `HTTP 503 after ${Date.now() - started} ms`);
  t.match(status.message, /provider 127\.0\.0\.1:\d+ is unreachable/);
});

t.test('a provider restarted on the same port: the link reconnects, new sessions work within seconds', async (t) => {
  const port = providers.doomed!.port;
  providers.doomed = await startProviderProcess({ dir: world.dir, name: 'doomed-again', pki: world.pki, device, port });
  t.equal(providers.doomed.port, port, 'the new provider took the old port');
  const restartedAt = Date.now();
  await untilSessionsWork(world.gateway, 'doomed', 20_000);
  t.comment(`first session through the restarted provider ${Date.now() - restartedAt} ms after it started`);
  const links = metricValue(await world.gateway.metrics(), 'ironcore_console_provider_links');
  t.ok(links >= 1, `${links} links open to providers`);
  const results = await Promise.all(Array.from({ length: 3 }, () => traffic('doomed', 3, 'drain')));
  for (const result of results) t.same(result.problems, [], `session ${result.sessionId} on the restarted provider: all bytes back`);
  await expectNoLeaks(t, world.gateway, baseline, leakCheck);
});

t.test('a provider that accepts TCP and says nothing: 504 within the connect timeout, not a hang', async (t) => {
  const started = Date.now();
  const { code, status } = await refused(world.gateway, 'default', 'silent', { token: ALICE });
  const elapsed = Date.now() - started;
  t.equal(code, 504, 'HTTP 504');
  t.match(status, { reason: 'Timeout', message: /provider 127\.0\.0\.1:\d+ did not answer in time/ });
  t.ok(elapsed < 20_000, `answered after ${elapsed} ms (the gateway's connect timeout is 5 s)`);
  t.ok(silent.accepted >= 1, 'the gateway did connect');
  await waitFor(() => silent.connections.size === 0, 'the gateway to close its connection to the silent provider', 10_000);
  t.pass('the gateway closed its connection to the silent provider');
  t.ok(await sessionWorks(world.gateway, 'survivor'), 'a healthy provider is still served');
  await expectNoLeaks(t, world.gateway, baseline, leakCheck);
});
