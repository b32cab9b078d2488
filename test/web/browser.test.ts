// The console page in a real headless Chromium against the whole stack: the form, the bearer
// subprotocol, typing into a shell, resizing, the end-of-session Status, and a refused token.
import t from 'tap';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { ALICE, startStack, type Stack } from '../fixtures/stack.js';
import { openPage, skipWithoutChromium as skip } from './fixtures/chromium.js';
import { poll as pollPage, terminalLines as readTerminalLines, waitForLine as waitForPageLine } from './fixtures/page-probes.js';

const SCREENSHOT = fileURLToPath(new URL('../../../test/output/console.png', import.meta.url));

let stack: Stack;
let browser: Browser;
let page: Page;
/** The CSP directives the page violated, in order (reported by the page itself). */
const violations: string[] = [];
let violationsOnLoad = 0;

t.before(async () => {
  if (skip) return;
  stack = await startStack();
  ({ browser, page } = await openPage());
  await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => console.log('csp-violation ' + e.effectiveDirective))" });
  page.on('console', (message) => {
    const [marker, directive] = message.text().split(' ');
    if (marker === 'csp-violation') violations.push(directive!);
  });
});
t.teardown(async () => {
  if (skip) return;
  await browser.close();
  await stack.close();
});

// The shared probes (fixtures/page-probes.ts), on this file's one page.
const terminalLines = () => readTerminalLines(page);
const poll = <T>(what: string, probe: () => Promise<T | undefined>) => pollPage(page, what, probe);
const waitForLine = (pattern: RegExp) => waitForPageLine(page, pattern);

async function status(): Promise<{ state: string | null; text: string }> {
  const line = page.locator('#status');
  return { state: await line.getAttribute('data-state'), text: await line.innerText() };
}

/** Resizes the window and waits for the debounced refit to change the terminal's rows. */
async function resizeWindow(width: number, height: number): Promise<void> {
  const rows = (await terminalLines()).length;
  await page.setViewportSize({ width, height });
  await poll('the terminal to refit', async () => ((await terminalLines()).length !== rows ? true : undefined));
}

/** Types a command and returns the rows and columns `stty size` reports. */
async function sttySize(): Promise<{ rows: number; cols: number }> {
  const marker = `size-${Math.random().toString(36).slice(2, 8)}`;
  await page.keyboard.type(`echo ${marker} $(stty size)\n`);
  const [, rows, cols] = await waitForLine(new RegExp(`^${marker} (\\d+) (\\d+)$`));
  return { rows: Number(rows), cols: Number(cols) };
}

t.test('the page takes the machine from the hash and a token, and runs a shell', { skip }, async (t) => {
  await page.goto(`https://127.0.0.1:${stack.gateway.port}/console/#/default/m1`);
  t.equal(await page.inputValue('#namespace'), 'default');
  t.equal(await page.inputValue('#machine'), 'm1');
  t.equal(await page.getAttribute('#token', 'type'), 'password');
  t.same(await status(), { state: 'idle', text: 'Not connected.' });

  const sockets: string[] = [];
  page.on('websocket', (socket) => sockets.push(socket.url()));
  await page.fill('#token', ALICE);
  await page.click('#connect');
  await page.waitForSelector('#status[data-state="connected"]');
  violationsOnLoad = violations.length;
  t.equal((await status()).text, 'Connected to default/m1.');
  t.notMatch(page.url(), ALICE, 'the token is not in the page URL');
  t.same(sockets, [`wss://127.0.0.1:${stack.gateway.port}/apis/compute.ironcore.dev/v1alpha1/namespaces/default/machines/m1/exec?stdin=true&tty=true&announceOffset=true&announceRole=true`], 'nor in the websocket URL');

  await page.keyboard.type('echo browser-$((6*7))\n');
  await waitForLine(/^browser-42$/);
  t.pass('typed input reached the shell and its output reached the terminal');
  t.equal(await page.evaluate<string>('getComputedStyle(document.querySelector(".xterm-rows")).whiteSpace'), 'pre', "xterm's own rules apply under the CSP");
});

t.test('the terminal size follows the window', { skip }, async (t) => {
  const before = await sttySize();
  t.equal(before.rows, (await terminalLines()).length, 'the size was sent when the session opened');

  await resizeWindow(640, 400);
  const after = await sttySize();
  t.ok(after.rows < before.rows && after.cols < before.cols, `stty size went from ${before.rows}x${before.cols} to ${after.rows}x${after.cols}`);
  t.equal(after.rows, (await terminalLines()).length, 'the machine has the rows the terminal shows');

  await resizeWindow(1000, 700);
  t.same(await sttySize(), before, 'and back');
  mkdirSync(dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT });
});

t.test('the Status on the error channel says why the session ended', { skip }, async (t) => {
  await page.keyboard.type('exit 3\n');
  await page.waitForSelector('#status[data-state="closed"]');
  t.equal((await status()).text, 'Closed: command terminated with non-zero exit code: error executing command [console], exit code 3.');
  t.equal(await page.isEnabled('#connect'), true);
  t.equal(await page.isEnabled('#disconnect'), false);
});

t.test('a wrong token ends in a clean refused state', { skip }, async (t) => {
  await page.fill('#token', 'not-a-token');
  await page.click('#connect');
  await page.locator('#status[data-state="closed"]', { hasText: 'refused' }).waitFor();
  t.equal((await status()).text, 'Closed: connection refused by the gateway (check the token, namespace and machine).');
  t.equal(await page.isEnabled('#connect'), true, 'the user can correct the form and try again');
});

t.test('the form refuses names the gateway would refuse, before connecting', { skip }, async (t) => {
  await page.fill('#namespace', 'Not_A_Namespace');
  await page.fill('#token', ALICE);
  await page.click('#connect');
  t.equal(await page.evaluate<boolean>('document.querySelector("#namespace").matches(":invalid")'), true);
  t.equal((await status()).state, 'closed', 'no new session was started');
  t.match(page.url(), /#\/default\/m1$/, 'the hash still names the last machine');
});

t.test('the page broke no CSP rule, on load or after', { skip }, async (t) => {
  t.same(violations, [], 'not even xterm\'s <style> elements: they are never inserted');
  t.equal(violationsOnLoad, 0);
});
