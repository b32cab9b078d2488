/// <reference lib="dom" />
// The console page: the form names a machine and carries the token (or the dev stack's link
// logs in by itself); Connect opens a ReconnectingSession whose output goes to the terminal, whose
// state goes to the status line and whose role goes to the badge and the Take over button.
// The picker lists the namespace's machines; search, copy, paste and download work on the
// terminal's text. The token stays in this tab (memory and sessionStorage), never in the URL.
import { invalidLabel, invalidSubdomain } from '../../protocol/names.js';
import type { RoleEvent } from '../../protocol/role.js';
import { ReconnectingSession, type SessionState } from './reconnecting-session.js';
import { redeemLoginCode } from './dev-login.js';
import { showMachines } from './machine-picker.js';
import { OutputRecord } from './output-record.js';
import { pageExecUrl, hashFor, loginCodeFromHash, targetFromHash, type ConsoleTarget } from './target.js';
import { copyOnSelect, pasteOnRightClick, searchScrollback } from './terminal-tools.js';
import { openTerminal } from './terminal-view.js';
import './console.css';

const TOKEN_KEY = 'ironcore-console.token';

const ROLE_LABELS = { writer: 'Writer', viewer: 'Viewer', 'read-only': 'Read-only' } as const;
const REFUSED_FLASH_MS = 1500;

const form = byId<HTMLFormElement>('target');
const namespaceInput = byId<HTMLInputElement>('namespace');
const machineInput = byId<HTMLInputElement>('machine');
const tokenInput = byId<HTMLInputElement>('token');
const connectButton = byId<HTMLButtonElement>('connect');
const disconnectButton = byId<HTMLButtonElement>('disconnect');
const pickButton = byId<HTMLButtonElement>('pick');
const picker = byId<HTMLElement>('picker');
const statusLine = byId<HTMLParagraphElement>('status');
const roleBadge = byId<HTMLSpanElement>('role');
const takeoverButton = byId<HTMLButtonElement>('takeover');
const downloadButton = byId<HTMLButtonElement>('download');
const terminalElement = byId<HTMLDivElement>('terminal');
const terminal = openTerminal(terminalElement);
const record = new OutputRecord();

let session: ReconnectingSession | undefined;
let sessionName = '';
let refusedTimer: ReturnType<typeof setTimeout> | undefined;

copyOnSelect(terminal);
pasteOnRightClick(terminal, terminalElement);
searchScrollback(terminal, byId<HTMLInputElement>('search'), byId<HTMLSpanElement>('search-result'));

const loginCode = loginCodeFromHash(location.hash);
showTarget(targetFromHash(location.hash));
// Out of the address bar (and so out of the history) before anything else happens.
if (loginCode) history.replaceState(null, '', hashFor(targetFromHash(location.hash)));
tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
if (loginCode) void logIn(loginCode);
window.addEventListener('hashchange', () => showTarget(targetFromHash(location.hash)));
namespaceInput.addEventListener('input', checkNames);
machineInput.addEventListener('input', checkNames);

form.addEventListener('submit', (event) => {
  event.preventDefault();
  connectToForm();
});
disconnectButton.addEventListener('click', () => session?.close());
takeoverButton.addEventListener('click', () => {
  takeoverButton.disabled = true;
  session?.takeover();
  terminal.focus();
});
downloadButton.addEventListener('click', () => record.download(`${sessionName.replace('/', '_')}-console.txt`));
pickButton.addEventListener('click', () => {
  const open = picker.hidden;
  picker.hidden = !open;
  pickButton.setAttribute('aria-expanded', String(open));
  if (!open) return;
  if (!namespaceInput.reportValidity() || !tokenInput.reportValidity()) {
    picker.hidden = true;
    pickButton.setAttribute('aria-expanded', 'false');
    return;
  }
  void showMachines(namespaceInput.value, tokenInput.value, { list: byId('machine-list'), status: byId('picker-status') }, (machine) => {
    machineInput.value = machine;
    checkNames();
    connectToForm();
  });
});
terminal.onData((data) => session?.sendInput(data));
terminal.onBinary((data) => session?.sendBinary(data));
terminal.onResize(({ cols, rows }) => session?.resize(cols, rows));

async function logIn(code: string): Promise<void> {
  showState('connecting', 'Logging in…');
  const login = await redeemLoginCode(code);
  if ('error' in login) return showState('closed', `Not logged in: ${login.error}.`);
  tokenInput.value = login.token;
  sessionStorage.setItem(TOKEN_KEY, login.token);
  if (namespaceInput.value && machineInput.value && form.checkValidity()) connectToForm();
  else showState('idle', 'Logged in. Name a machine, or pick one.');
}

function connectToForm(): void {
  if (!form.reportValidity()) return;
  const target = { namespace: namespaceInput.value, machine: machineInput.value };
  const token = tokenInput.value;
  sessionStorage.setItem(TOKEN_KEY, token);
  history.replaceState(null, '', hashFor(target));
  connect(target, token);
}

function connect(target: ConsoleTarget, token: string): void {
  session?.close();
  terminal.reset();
  record.clear();
  showRole(undefined);
  const name = `${target.namespace}/${target.machine}`;
  sessionName = name;
  const current: ReconnectingSession = new ReconnectingSession(pageExecUrl(location, target), token, {
    output: (bytes) => {
      terminal.write(bytes);
      record.add(bytes);
      downloadButton.disabled = false;
    },
    role: (event) => {
      if (current === session) showRole(event);
    },
    connected: (kind) => {
      if (current !== session) return; // a session the user already replaced
      // The whole scrollback is replayed next and redraws the screen (see reconnecting-session.ts).
      if (kind === 'replayed') {
        terminal.reset();
        record.clear();
      }
      current.resize(terminal.cols, terminal.rows);
      terminal.focus();
      showState('connected', `${kind === 'new' || kind === 'takeover' ? 'Connected' : 'Reconnected'} to ${name}.`);
    },
    state: (state, reason) => {
      if (current !== session) return;
      if (state === 'closed') showRole(undefined);
      showState(state, state === 'reconnecting' ? `Reconnecting to ${name}… (${reason})` : `Closed: ${reason}.`);
    },
  });
  session = current;
  showState('connecting', `Connecting to ${name}…`);
}

/** The badge and the Take over button; undefined hides both (no session, or an older gateway). */
function showRole(event: RoleEvent | undefined): void {
  if (event === 'input-refused') {
    // Keys went nowhere: say so where the eye is, briefly.
    roleBadge.classList.add('refused');
    roleBadge.title = 'Your keys were not sent: another session holds the write lock. Take over to type.';
    clearTimeout(refusedTimer);
    refusedTimer = setTimeout(() => roleBadge.classList.remove('refused'), REFUSED_FLASH_MS);
    return;
  }
  roleBadge.hidden = event === undefined;
  roleBadge.dataset.role = event ?? 'none';
  roleBadge.textContent = event ? ROLE_LABELS[event] : '';
  roleBadge.title = event === 'viewer' ? 'Another session holds the write lock: your keys are not sent.' : '';
  takeoverButton.hidden = event !== 'viewer';
  takeoverButton.disabled = false;
}

function showState(state: SessionState | 'idle', text: string): void {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
  connectButton.disabled = state === 'connecting';
  disconnectButton.disabled = state === 'closed' || state === 'idle';
}

function showTarget(target: ConsoleTarget): void {
  namespaceInput.value = target.namespace;
  machineInput.value = target.machine;
  checkNames();
}

/** Names the gateway would refuse are caught here, where the page can say why. */
function checkNames(): void {
  namespaceInput.setCustomValidity(namespaceInput.value && (invalidLabel(namespaceInput.value) ?? ''));
  machineInput.setCustomValidity(machineInput.value && (invalidSubdomain(machineInput.value) ?? ''));
}

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`the page has no #${id}`);
  return element as T;
}
