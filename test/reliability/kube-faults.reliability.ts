// Kubernetes API faults against the gateway process: the API down, slow, answering 500s or
// garbage, and watch streams cut or expired. Every open gets a clear Status within the
// gateway's own deadlines (never a hang), sessions already open carry on, the pool watch
// cache recovers and sees later changes, and nothing is left behind.
import t from 'tap';
import { refused } from './fixtures/console-client.js';
import { sessionWorks, untilSessionsWork } from './fixtures/session-probe.js';
import { startEchoProvider, type EchoProvider } from './fixtures/echo-provider.js';
import { expectNoLeaks, footprint, type Footprint } from './fixtures/leak-check.js';
import { runLoadSession } from './fixtures/load-session.js';
import { seededRandom } from './fixtures/random.js';
import { settings } from './fixtures/settings.js';
import { sleep, waitFor } from './fixtures/wait.js';
import { ALICE, spareToken, startWorld, type World } from './fixtures/world.js';

/**
 * What the lookup faults hit: a machine the gateway's Machine watch does not have, so an open
 * GETs it (a watched machine costs no request), and the stub answers that GET.
 */
const UNWATCHED = 'unwatched';
const MACHINE_PATH = `/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/${UNWATCHED}`;
const POOLS_PATH = '/apis/compute.ironcore.dev/v1alpha1/machinepools';
const TOKEN_REVIEWS_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';
/** The gateway's cache of machines it GETs lives 2 s: past it, an open asks the API again. */
const MACHINE_CACHE_MS = 2100;

let world: World;
let home: EchoProvider;
let elsewhere: EchoProvider;
let baseline: Footprint;
let nextSpare = 0;
let nextSessionId = 1;
const random = seededRandom(settings.seed);

t.before(async () => {
  world = await startWorld({ machines: [['default', 'echo', 'home-pool'], ['default', 'mover', 'moving-pool']] });
  [home, elsewhere] = await Promise.all([startEchoProvider(world.pki), startEchoProvider(world.pki)]);
  world.setPool('home-pool', home.port);
  world.setPool('moving-pool', home.port);
  await untilSessionsWork(world.gateway, 'echo');
  baseline = footprint(world.gateway);
});

t.teardown(async () => {
  world?.kube.setDown(false);
  await world?.close();
  await Promise.all([home?.close(), elsewhere?.close()]);
});

/** A valid token of alice that no gateway cache has seen: the open must ask the API. */
function freshToken(): string {
  return spareToken(nextSpare++);
}

const opensAndEchoes = (machine: string, token: string) => sessionWorks(world.gateway, machine, token);

/** Checked traffic that must survive the fault: it needs no API once it is open. */
function trafficDuring(seconds: number) {
  return runLoadSession({
    gateway: world.gateway, token: ALICE, machine: 'echo', sessionId: nextSessionId++, random,
    stopAt: Date.now() + seconds * 1000, endMode: 'eof', resizeStormChance: 0.01, endTimeoutMs: 30_000,
  });
}

async function timedRefusal(machine: string, token: string) {
  const started = Date.now();
  const answer = await refused(world.gateway, 'default', machine, { token });
  return { ...answer, elapsed: Date.now() - started };
}

t.test('the API down: opens get 401 at once (as kube-apiserver, a token that cannot be reviewed), open sessions carry on, and it recovers', async (t) => {
  const ongoing = trafficDuring(6);
  await sleep(500);
  world.kube.setDown(true);
  const { code, status, elapsed } = await timedRefusal('echo', freshToken());
  t.equal(code, 401, `HTTP 401 after ${elapsed} ms`);
  t.match(status, { reason: 'Unauthorized', message: 'Unauthorized' });
  t.ok(elapsed < 10_000, 'no hang');
  await sleep(2000);
  world.kube.setDown(false);
  t.same((await ongoing).problems, [], 'the session that was open carried every byte through the outage');
  await waitFor(() => opensAndEchoes('echo', freshToken()), 'opens to work again', 30_000, 500);
  t.pass('opens work again once the API is back');
  await expectNoLeaks(t, world.gateway, baseline, { zero: { 'open console streams': () => home.backend.openStreams } });
});

t.test('the API slow (6 s an answer, past the gateway\'s 5 s deadline): 401 for a review, 504 for a lookup, not a hang', async (t) => {
  // 6 s and not exactly 5 s: at 5 s the answer and the deadline would race.
  world.kube.setLatency(6000);
  const { code, status, elapsed } = await timedRefusal('echo', freshToken());
  t.equal(code, 401, `a TokenReview past the deadline: HTTP 401 after ${elapsed} ms`);
  t.match(status, { reason: 'Unauthorized', message: 'Unauthorized' });
  world.kube.setLatency(0);
  t.ok(await opensAndEchoes('echo', ALICE), 'ALICE opens: her review and access are cached from here on');
  await sleep(MACHINE_CACHE_MS);
  world.kube.setLatency(6000, MACHINE_PATH);
  const lookup = await timedRefusal(UNWATCHED, ALICE);
  world.kube.setLatency(0, MACHINE_PATH);
  t.equal(lookup.code, 504, `a machine GET past the deadline: HTTP 504 after ${lookup.elapsed} ms`);
  t.match(lookup.status, { reason: 'Timeout', message: 'the Kubernetes API did not answer in time; try again later' });
  t.ok(elapsed < 15_000, 'answered within the deadline, give or take');
  await waitFor(() => opensAndEchoes('echo', freshToken()), 'opens to work again', 30_000, 500);
  await expectNoLeaks(t, world.gateway, baseline, { zero: { 'open console streams': () => home.backend.openStreams } });
});

t.test('the API answering 500: the open fails with a Status that says so', async (t) => {
  world.kube.stub(TOKEN_REVIEWS_PATH, { status: 500, body: 'upstream connect error or disconnect/reset before headers', contentType: 'text/plain' });
  const review = await timedRefusal('echo', freshToken());
  world.kube.stub(TOKEN_REVIEWS_PATH, undefined);
  t.equal(review.code, 401, 'a TokenReview answered with 500: HTTP 401, as kube-apiserver');
  t.equal(review.status.message, 'Unauthorized', 'nothing about the review reaches the user');

  await sleep(MACHINE_CACHE_MS);
  world.kube.stub(MACHINE_PATH, { status: 500, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500, reason: 'InternalError', message: 'etcdserver: request timed out' } });
  const lookup = await timedRefusal(UNWATCHED, ALICE);
  world.kube.stub(MACHINE_PATH, undefined);
  t.equal(lookup.code, 500, 'a machine GET answered with a 500 Status: HTTP 500');
  t.equal(lookup.status.message, 'the machine could not be looked up: the Kubernetes API answered 500', 'the API\'s words stay in the gateway\'s log');
  await waitFor(() => opensAndEchoes('echo', ALICE), 'opens to work again', 15_000, 250);
  await expectNoLeaks(t, world.gateway, baseline);
});

t.test('the API answering garbage: the open fails with 502, not a crash', async (t) => {
  world.kube.stub(TOKEN_REVIEWS_PATH, { status: 201, body: '{"kind":"TokenReview","status":{"authent' });
  const review = await timedRefusal('echo', freshToken());
  world.kube.stub(TOKEN_REVIEWS_PATH, undefined);
  t.equal(review.code, 401, 'a truncated TokenReview: HTTP 401');

  await sleep(MACHINE_CACHE_MS);
  world.kube.stub(MACHINE_PATH, { status: 200, body: '<html>502 Bad Gateway</html>', contentType: 'text/html' });
  const lookup = await timedRefusal(UNWATCHED, ALICE);
  world.kube.stub(MACHINE_PATH, undefined);
  t.equal(lookup.code, 502, 'a machine GET answered with HTML: HTTP 502');
  t.match(lookup.status.message, /the Kubernetes API answered 502/);

  await sleep(MACHINE_CACHE_MS);
  world.kube.stub(MACHINE_PATH, { status: 200, body: 'null' });
  const shape = await timedRefusal(UNWATCHED, ALICE);
  world.kube.stub(MACHINE_PATH, undefined);
  t.equal(shape.code, 502, 'a machine GET answered with JSON that is no object: HTTP 502');
  t.notMatch(shape.status.message ?? '', /^internal error$/, `a message that says what went wrong (got ${JSON.stringify(shape.status.message)})`);

  t.ok(world.gateway.alive, 'the gateway is still running');
  await sleep(MACHINE_CACHE_MS);
  await waitFor(() => opensAndEchoes('echo', ALICE), 'opens to work again', 15_000, 250);
  await expectNoLeaks(t, world.gateway, baseline);
});

/** Moves the pool of machine "mover" to `provider` and waits until new sessions land there. */
async function movePoolTo(provider: EchoProvider, what: string): Promise<number> {
  const moved = Date.now();
  world.setPool('moving-pool', provider.port);
  const before = provider.backend.opened;
  await waitFor(async () => (await opensAndEchoes('mover', ALICE)) && provider.backend.opened > before, what, 20_000, 300);
  return Date.now() - moved;
}

t.test('watch streams cut, cut mid-event, or expired: the pool cache recovers and sees later changes', async (t) => {
  const watches = () => world.kube.requestCount(POOLS_PATH, { watch: true });
  let started = watches();
  world.kube.cutWatches();
  await waitFor(() => watches() > started && world.kube.watchCount >= 1, 'the pool watch to reconnect after a cut', 15_000);
  t.comment(`moved to another provider, seen after ${await movePoolTo(elsewhere, 'the move after a cut')} ms`);
  t.pass('after a cut, a pool change is seen');

  // A watch that ends in the middle of an event line: the half event must not be applied.
  started = watches();
  world.kube.stub(POOLS_PATH, { status: 200, body: '{"type":"MODIFIED","object":{"kind":"MachinePool","apiVersion":"compute.ironcore.dev/v1alpha1","metadata":{"na' });
  world.kube.cutWatches();
  await waitFor(() => watches() > started, 'the watch to hit the truncated event', 15_000);
  await sleep(1000);
  world.kube.stub(POOLS_PATH, undefined);
  t.ok(await opensAndEchoes('mover', ALICE), 'sessions still open meanwhile, from the cache');
  t.comment(`moved back, seen after ${await movePoolTo(home, 'the move after a truncated event')} ms`);
  t.pass('after a truncated event, a pool change is seen');

  // Wait for the relist and the new watch before changing anything: the fixture writes a
  // change made right after expireWatches() to the ended stream (see the next test).
  started = world.kube.requestCount(POOLS_PATH, { watch: false });
  world.kube.expireWatches();
  await waitFor(() => world.kube.requestCount(POOLS_PATH, { watch: false }) > started && world.kube.watchCount >= 1, 'the pool cache to relist and watch again after 410 Gone', 15_000);
  t.comment(`moved again, seen after ${await movePoolTo(elsewhere, 'the move after 410 Gone')} ms`);
  t.pass('after 410 Gone (a relist), a pool change is seen');
  world.setPool('moving-pool', home.port);
  await expectNoLeaks(t, world.gateway, baseline, {
    zero: { 'open console streams': () => home.backend.openStreams + elsewhere.backend.openStreams },
  });
});

// A bug in the kube-apiserver fixture (lib/kube/fixture/watches.ts), which the dev stack
// serves too: expireWatches() ends each watch response but leaves it subscribed to the store
// until its 'close' event, so a change made in between is written after end(), an unhandled
// 'error' event that kills the process. Caught here, so that it fails this test only.
t.test('kube fixture: a change right after expireWatches() does not write to the ended watch', async (t) => {
  const uncaught: Error[] = [];
  const onUncaught = (error: Error) => void uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  try {
    world.kube.expireWatches();
    world.setPool('moving-pool', elsewhere.port);
    world.setPool('moving-pool', home.port);
    await sleep(500);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
  t.same(uncaught.map((error) => error.message), [], 'no write after end');
  await waitFor(() => opensAndEchoes('mover', ALICE), 'sessions to work after the relist', 20_000, 300);
});
