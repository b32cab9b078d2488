// `make demo` as a person runs it, in a real terminal (tmux), left attached for three minutes
// (DEMO_TMUX_SECONDS): the console works at the start and at the end, and no log line, warning
// or notice ever reaches the pane; only the console's own prompt and output do. A quiet watch
// of the kube API re-established after 120 s once printed a warning with a stack trace here.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const TMUX = ['/usr/bin/tmux', '/bin/tmux'].find((path) => existsSync(path));
const SECONDS = Number(process.env.DEMO_TMUX_SECONDS ?? 180);
const SAMPLE_MS = 5000;
/** A tmux server of this test's own: it never sees (or ends) anyone else's sessions. */
const SOCKET = `ironcore-console-demo-${process.pid}`;

t.setTimeout((SECONDS + 120) * 1000);

function tmux(...args: string[]): string {
  return execFileSync(TMUX!, ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

/** The pane's whole history, one string. */
function pane(): string {
  return tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'demo');
}

async function waitForPane(pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = pane();
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; the pane shows:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Lines after the attach banner that are not the console's prompt or what the test typed and got. */
function strangers(text: string, expected: RegExp): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => /^Connected to default\/demo as the writer\./.test(line));
  return lines.slice(start + 1).filter((line) => line.trim() !== '' && !/^console@demo:\S*[#$]( echo tmux-\S+)?\s*$/.test(line) && !expected.test(line));
}

t.test(`make demo stays quiet in the terminal for ${SECONDS} s`, { skip: TMUX ? false : 'no tmux: install Debian\'s tmux package to run the demo test' }, async (t) => {
  // -o: never (re)install node_modules from here; `make build` has built everything already.
  tmux('new-session', '-d', '-s', 'demo', '-x', '160', '-y', '50', '-c', REPO,
    `make --no-print-directory -o node_modules/.package-lock.json demo; echo DEMO-EXIT=$?; sleep 60`);
  t.teardown(() => void spawnSync(TMUX!, ['-L', SOCKET, 'kill-server']));

  await waitForPane(/Connected to default\/demo as the writer\. Escape character is \^\]/, 90_000);
  const banner = pane();
  t.match(banner, /its logs go to \S+\.log/, 'the banner names the log file');
  t.match(banner, /browser: +http:\/\/127\.0\.0\.1:\d+\/console\/#\/default\/demo\?login=/);

  tmux('send-keys', '-t', 'demo', 'echo tmux-$((6*7))', 'Enter');
  await waitForPane(/^tmux-42$/m, 20_000);

  const deadline = Date.now() + SECONDS * 1000;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(SAMPLE_MS, Math.max(0, deadline - Date.now()))));
    const unexpected = strangers(pane(), /^tmux-42$/);
    if (unexpected.length > 0) {
      t.fail(`after ${Math.round((SECONDS * 1000 - (deadline - Date.now())) / 1000)} s something other than the console reached the pane`, { unexpected });
      return;
    }
  }
  t.pass(`only the console's own output in the pane for ${SECONDS} s`);

  tmux('send-keys', '-t', 'demo', 'echo tmux-$((6*8))', 'Enter');
  await waitForPane(/^tmux-48$/m, 20_000);
  t.same(strangers(pane(), /^tmux-4[28]$/), [], 'the console still answers, and nothing else is there');

  tmux('send-keys', '-t', 'demo', 'C-]');
  const end = await waitForPane(/^DEMO-EXIT=\d+$/m, 30_000);
  t.match(end, /^DEMO-EXIT=0$/m, '^] leaves, the stack stops, and make exits 0');
});
