// The console page when the gateway replica it is connected to dies: the status line says it is
// reconnecting, the page connects through the other replica (a round-robin balancer sits in
// front), and the terminal works again where it left off, showing the console's output once.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startBalancedGateways, type BalancedGateways } from '../client/fixtures/balanced-gateways.js';
import { ALICE } from '../fixtures/stack.js';
import { openPage, skipWithoutChromium as skip } from './fixtures/chromium.js';
import { terminalLines } from './fixtures/page-probes.js';

const OUTPUT = fileURLToPath(new URL('../../../test/output', import.meta.url));

let browser: Browser;
let page: Page;

t.before(async () => {
  if (skip) return;
  mkdirSync(OUTPUT, { recursive: true });
  ({ browser, page } = await openPage());
});
t.teardown(async () => {
  if (skip) return;
  await browser?.close();
});

/** The terminal's text, from xterm's DOM renderer. */
async function terminalText(): Promise<string> {
  return (await terminalLines(page)).join('\n');
}

/** Polls from here: the page's CSP forbids the evaluation page.waitForFunction needs. */
async function waitForText(pattern: RegExp): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pattern.test(await terminalText())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; the terminal shows:\n${await terminalText()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The status line as "state: text", polled until a line matches `until` (or 15 s pass); the
 * first time it says reconnecting, a screenshot shows that state to a person.
 */
async function watchStatus(until: RegExp, screenshot: string): Promise<string[]> {
  const seen: string[] = [];
  const status = page.locator('#status');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    // State and text are two reads: a sample counts only when the state did not move between.
    const state = await status.getAttribute('data-state');
    const text = await status.innerText();
    if (state === (await status.getAttribute('data-state'))) {
      const line = `${state}: ${text}`;
      if (line !== seen.at(-1)) seen.push(line);
      if (state === 'reconnecting' && seen.filter((l) => l.startsWith('reconnecting')).length === 1 && line === seen.at(-1)) {
        await page.screenshot({ path: screenshot }).catch(() => {});
      }
      if (until.test(line)) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return seen;
}

// SIGKILL drops the connection; SIGTERM ends the session with a 503 Status after a 1 s grace.
for (const signal of ['SIGKILL', 'SIGTERM'] as const) t.test(`${signal} of the gateway in use: the page says reconnecting, then the terminal works again`, { skip }, async (t) => {
  const setup: BalancedGateways = await startBalancedGateways();
  t.teardown(() => setup.close());
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));
  await page.goto(`${setup.server}/console/#/default/m1`);
  await page.fill('#token', ALICE);
  await page.click('#connect');
  await page.waitForSelector('#status[data-state="connected"]');
  await page.keyboard.type('echo before-$((1+1))\n');
  await waitForText(/^before-2$/m);

  const doomed = await setup.gatewayWithSession();
  // Watched from before the kill: the state may last only the first backoff delay (≤ 250 ms),
  // shorter than Playwright's polling once it has slowed down.
  const statusLines = watchStatus(/^connected: Reconnected to /, `${OUTPUT}/console-reconnecting-${signal}.png`);
  await doomed.kill(signal);
  const seen = await statusLines;
  t.ok(seen.some((line) => /^reconnecting: Reconnecting to default\/m1… \(.+\)$/.test(line)), `the status line said it was reconnecting, and why: ${JSON.stringify(seen)}`);
  t.equal(seen.at(-1), 'connected: Reconnected to default/m1.');
  t.not((await setup.gatewayWithSession()).port, doomed.port, 'the page now goes through the other gateway');

  await page.keyboard.type('echo after-$((2+2))\n');
  await waitForText(/^after-4$/m);
  const text = await terminalText();
  t.equal(text.match(/^before-2$/gm)?.length, 1, 'the old output shows once');
  t.match(sockets[0], /\?stdin=true&tty=true&announceOffset=true&announceRole=true$/);
  t.match(sockets.at(-1), /&announceOffset=true&announceRole=true&replayFrom=[1-9]\d*$/, 'the reconnection resumed from the announced offset');
  await page.click('#disconnect');
  await page.waitForSelector('#status[data-state="closed"]');
});
