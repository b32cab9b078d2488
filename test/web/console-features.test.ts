// The console page as a person meets it from `ironcore-console dev`, in a real Chromium that
// trusts no test CA: the printed link connects by itself over loopback HTTP; two pages move the
// write lock with Take over; the picker lists the machines; search, copy, paste and download
// work on the terminal's text; and the console shows no error of any kind. Screenshots of each
// state go to test/output/ for a person to look at.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parse } from 'yaml';
import { CLI, tempDir } from '../client/fixtures/cli.js';
import { openPage, skipWithoutChromium as skip } from './fixtures/chromium.js';
import { poll, waitForLine, waitForText } from './fixtures/page-probes.js';

const OUTPUT = fileURLToPath(new URL('../../../test/output/', import.meta.url));

let dev: ChildProcess;
let banner = '';
let link: string;
let token: string;
let browser: Browser;
let context: BrowserContext;
let first: Page;
let second: Page;
/** Every console error, page error and CSP violation, from any page. */
const problems: string[] = [];
/** Every URL a page asked for. */
const requested: string[] = [];
const dir = tempDir('web-features-');

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  await page.addInitScript({ content: "document.addEventListener('securitypolicyviolation', (e) => console.error('csp-violation ' + e.effectiveDirective))" });
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  page.on('request', (request) => requested.push(request.url()));
  page.on('websocket', (socket) => requested.push(socket.url()));
  return page;
}

function screenshot(page: Page, name: string): Promise<Buffer> {
  return page.screenshot({ path: join(OUTPUT, `console-${name}.png`) });
}

t.before(async () => {
  if (skip) return;
  mkdirSync(OUTPUT, { recursive: true });
  dev = spawn(process.execPath, [CLI, 'dev', '--log-file', join(dir.path, 'dev.log')], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, HOME: dir.path } });
  await new Promise<void>((resolve, reject) => {
    dev.stderr!.on('data', (chunk: Buffer) => {
      banner += chunk;
      if (banner.includes('press Ctrl-C')) resolve();
    });
    dev.once('exit', (code) => reject(new Error(`dev exited with ${code}: ${banner}`)));
  });
  link = /^browser:\s+(\S+)/m.exec(banner)![1]!;
  const kubeconfig = / --kubeconfig (\S+)/.exec(banner)![1]!;
  token = (parse(readFileSync(kubeconfig, 'utf8')) as { users: { user: { token: string } }[] }).users[0]!.user.token;
  ({ browser, context } = await openPage({ asPeopleDo: true }));
  await context.pages()[0]!.close();
  first = await newPage();
  second = await newPage();
});
t.teardown(async () => {
  if (!skip) {
    await browser?.close();
    dev?.kill('SIGINT');
  }
  dir.remove();
});

t.test('the printed link opens a connected console: plain loopback HTTP, no pasting, the token in no URL', { skip }, async (t) => {
  t.match(link, /^http:\/\/127\.0\.0\.1:\d+\/console\/#\/default\/demo\?login=[\w-]{22}$/, 'a loopback http:// link: no certificate to accept');
  t.notMatch(banner, new RegExp(token), 'the banner does not print the token');
  await first.goto(link);
  await waitForText(first, '#status', /^Connected to default\/demo\.$/);
  t.equal(await first.locator('#role').innerText(), 'Writer', 'the badge says the role');
  await waitForLine(first, /console@demo/);
  t.equal(new URL(first.url()).hash, '#/default/demo', 'the code is gone from the address bar');
  t.equal(await first.inputValue('#token'), token, 'logged in without pasting');
  t.same(requested.filter((url) => url.includes(token)), [], 'the token is in no URL the page asked for');
  await screenshot(first, 'dev-link-connected');

  // The code is spent: the same link again says so, and asks for nothing else.
  await second.goto(link);
  await waitForText(second, '#status', /^Not logged in: this login code is unknown, used or expired/);
  // The browser reports the refused login itself; it is the only error it may report here.
  t.same(problems.splice(0), ['error: Failed to load resource: the server responded with a status of 403 (Forbidden)']);
});

t.test('Take over moves the write lock between two pages', { skip }, async (t) => {
  await second.fill('#token', token);
  await second.click('#connect');
  await waitForText(second, '#status', /^Connected to default\/demo\.$/);
  await waitForText(second, '#role', /^Viewer$/);
  t.ok(await second.locator('#takeover').isVisible(), 'a viewer gets a Take over button');
  t.notOk(await first.locator('#takeover').isVisible(), 'the writer does not');
  await second.keyboard.type('x');
  await poll(second, 'the badge to flash', async () => ((await second.locator('#role.refused').count()) === 1 ? true : undefined));
  t.pass('typing as a viewer flashes the badge: the keys were not sent');
  await screenshot(second, 'viewer');

  await second.click('#takeover');
  await waitForText(second, '#role', /^Writer$/);
  t.equal(await second.locator('#status').innerText(), 'Connected to default/demo.');
  await waitForText(first, '#role', /^Viewer$/);
  t.ok(await first.locator('#takeover').isVisible(), 'the page that lost the lock can take it back');
  await second.keyboard.type('echo moved-$((5+5))\n');
  await waitForLine(first, /^moved-10$/);
  await screenshot(first, 'taken-over');

  await first.click('#takeover');
  await waitForText(first, '#role', /^Writer$/);
  await waitForText(second, '#role', /^Viewer$/);
  await first.keyboard.type('echo back-$((5+6))\n');
  await waitForLine(second, /^back-11$/);
  const backs = (await second.locator('.xterm-rows > div').allTextContents()).filter((row) => row.replace(/\u00a0/g, ' ').trim() === 'back-11');
  t.equal(backs.length, 1, 'after two takeovers no output shows twice');
});

t.test('the picker lists the namespace\'s machines with pool and state; choosing one connects', { skip }, async (t) => {
  await first.click('#pick');
  await waitForText(first, '#picker-status', /^2 machines in default:$/);
  const entries = await first.locator('#machine-list button').allInnerTexts();
  t.match(entries[0], /demo\s+pool demo-pool\s+Running/);
  t.match(entries[1], /web-0\s+pool demo-pool\s+Running/);
  await screenshot(first, 'picker');
  await first.click('#machine-list button[data-machine="web-0"]');
  await waitForText(first, '#status', /^Connected to default\/web-0\.$/);
  await waitForLine(first, /console@web-0/);
  t.equal(new URL(first.url()).hash, '#/default/web-0');
});

t.test('search finds a line in the scrollback; a selection is copied; a right click pastes; the output downloads', { skip }, async (t) => {
  await first.locator('.xterm').click();
  await first.keyboard.type('echo findme-$((6*7)); seq 1 80\n');
  await waitForLine(first, /^80$/);
  await first.fill('#search', 'findme-42');
  await waitForText(first, '#search-result', /^1 of 1$/);
  await screenshot(first, 'search');
  await first.press('#search', 'Escape');
  t.equal(await first.locator('#search-result').innerText(), '');

  await first.keyboard.type('echo copyme-$((3*3))\n');
  await waitForLine(first, /^copyme-9$/);
  const row = first.locator('.xterm-rows > div', { hasText: /^copyme-9\s*$/ }).last();
  const box = (await row.boundingBox())!;
  await first.mouse.dblclick(box.x + 12, box.y + box.height / 2);
  t.equal(await first.evaluate<string>('navigator.clipboard.readText()'), 'copyme-9', 'the selected word is on the clipboard');

  await first.evaluate('navigator.clipboard.writeText("echo pasted-$((1+1))")');
  await first.locator('.xterm').click({ button: 'right' });
  await waitForLine(first, /echo pasted-\$\(\(1\+1\)\)$/);
  await first.keyboard.press('Enter');
  await waitForLine(first, /^pasted-2$/);

  const [download] = await Promise.all([first.waitForEvent('download'), first.click('#download')]);
  t.equal(download.suggestedFilename(), 'default_web-0-console.txt');
  const saved = readFileSync((await download.path())!, 'utf8');
  t.match(saved, /findme-42/);
  t.match(saved, /copyme-9/);
  t.match(saved, /pasted-2/);
});

t.test('no console error, page error or CSP violation on any page, from load to here', { skip }, async (t) => {
  t.same(problems, []);
});

t.test('the dev stack logged to its file and printed nothing after its banner', { skip }, async (t) => {
  t.match(banner, new RegExp(`its logs go to ${join(dir.path, 'dev.log').replace(/[.]/g, '\\.')}`));
  t.match(readFileSync(join(dir.path, 'dev.log'), 'utf8'), /"msg":"console session opened"/, 'the sessions are in the log file');
  t.match(banner.trimEnd(), /press Ctrl-C to stop$/, 'nothing on the terminal since');
});
