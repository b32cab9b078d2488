// A gateway replica dies under a CLI session: the CLI reconnects through the other replica (a
// round-robin balancer sits in front), says so, and goes on with the same console, without
// printing again what it had already printed.
import t from 'tap';
import { startBalancedGateways, type BalancedGateways } from '../client/fixtures/balanced-gateways.js';
import { PtyRun, cliCommand, leaveWithEscape } from '../client/fixtures/cli.js';

function count(text: string, word: string): number {
  return text.split(word).length - 1;
}

// SIGKILL: the connection just drops. SIGTERM: the replica ends the session with a 503 Status
// after its grace (1 s here), which the CLI takes as "reconnect" too.
for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
  t.test(`${signal} of the gateway in use: the CLI reconnects through the other and replays nothing twice`, async (t) => {
    const setup: BalancedGateways = await startBalancedGateways();
    t.teardown(() => setup.close());
    const run = new PtyRun(cliCommand(['exec', 'm1', '--kubeconfig', setup.kubeconfig, '--reconnect']), setup.env);
    t.teardown(() => run.kill());
    await run.waitFor(/Connected to default\/m1 as the writer\./);
    // The typed line echoes as `before-$((1+1))`; only the shell's answer reads `before-2`.
    await run.typeAndSee('echo before-$((1+1))\r', /before-2/);

    const doomed = await setup.gatewayWithSession();
    const killedAt = run.output.length;
    await doomed.kill(signal);
    const why = signal === 'SIGTERM' ? 'the console gateway is shutting down; reconnect to continue' : '.+';
    await run.waitFor(new RegExp(`\\r+\\n\\[ironcore-console\\] connection lost: ${why}; reconnecting…\\r+\\n`), 10_000, killedAt);
    await run.waitFor(/\[ironcore-console\] reconnected\r+\n/, 10_000, killedAt);
    const survivor = await setup.gatewayWithSession();
    t.not(survivor.port, doomed.port, 'the session now goes through the other gateway');

    await run.typeAndSee('echo after-$((2+2))\r', /after-4/);
    // The gateway announced the output offset in-band; the reconnection asked to replay from there.
    t.equal(count(run.output, 'before-2'), 1, 'the output from before the drop, once');
    t.equal(count(run.output, 'after-4'), 1);
    await leaveWithEscape(t, run);
  });
}
