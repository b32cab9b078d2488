// Roles reach the CLI by the provider's per-machine websocket endpoint too (the gateway's
// `--upstream websocket`): the query parameter announceRole is passed on, not only the link's Open.
import t from 'tap';
import { PtyRun, cliCommand, leaveWithEscape, useCliStack } from './fixtures/cli.js';

const cli = useCliStack(t, { sharing: 'shared', gateway: { upstream: 'websocket' } });

t.test('the banner says writer and viewer, and a takeover is announced, over the websocket upstream', async (t) => {
  const writer = new PtyRun(cliCommand(['exec', 'm1']), cli.env);
  t.teardown(() => writer.kill());
  await writer.waitFor(/Connected to default\/m1 as the writer\./);
  const viewer = new PtyRun(cliCommand(['exec', 'm1']), cli.env);
  t.teardown(() => viewer.kill());
  await viewer.waitFor(/Connected to default\/m1 as a viewer: \^\] then --takeover to write\./);
  const taker = new PtyRun(cliCommand(['exec', 'm1', '--takeover']), cli.env);
  t.teardown(() => taker.kill());
  await taker.waitFor(/as the writer\./);
  await writer.waitFor(/another session took the write lock: you are a viewer now/);
  for (const run of [taker, viewer, writer]) await leaveWithEscape(t, run);
});
