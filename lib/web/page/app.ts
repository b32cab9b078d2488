/// <reference lib="dom" />
// The console page: the form names a machine and carries the token; Connect opens a
// ConsoleSession whose output goes to the terminal and whose state goes to the status line.
// The token stays in this tab (memory and sessionStorage), never in the URL.
import { invalidLabel, invalidSubdomain } from '../../protocol/names.js';
import { ConsoleSession, type SessionState } from './console-session.js';
import { execUrl, hashFor, targetFromHash, type ConsoleTarget } from './target.js';
import { openTerminal } from './terminal-view.js';
import './console.css';

const TOKEN_KEY = 'ironcore-console.token';

const form = byId<HTMLFormElement>('target');
const namespaceInput = byId<HTMLInputElement>('namespace');
const machineInput = byId<HTMLInputElement>('machine');
const tokenInput = byId<HTMLInputElement>('token');
const connectButton = byId<HTMLButtonElement>('connect');
const disconnectButton = byId<HTMLButtonElement>('disconnect');
const statusLine = byId<HTMLParagraphElement>('status');
const terminal = openTerminal(byId<HTMLDivElement>('terminal'));

let session: ConsoleSession | undefined;

showTarget(targetFromHash(location.hash));
tokenInput.value = sessionStorage.getItem(TOKEN_KEY) ?? '';
window.addEventListener('hashchange', () => showTarget(targetFromHash(location.hash)));
namespaceInput.addEventListener('input', checkNames);
machineInput.addEventListener('input', checkNames);

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const target = { namespace: namespaceInput.value, machine: machineInput.value };
  const token = tokenInput.value;
  sessionStorage.setItem(TOKEN_KEY, token);
  history.replaceState(null, '', hashFor(target));
  connect(target, token);
});
disconnectButton.addEventListener('click', () => session?.close());
terminal.onData((data) => session?.sendInput(data));
terminal.onBinary((data) => session?.sendBinary(data));
terminal.onResize(({ cols, rows }) => session?.resize(cols, rows));

function connect(target: ConsoleTarget, token: string): void {
  session?.close();
  terminal.reset();
  const name = `${target.namespace}/${target.machine}`;
  const current: ConsoleSession = new ConsoleSession(execUrl(location, target), token, {
    output: (bytes) => terminal.write(bytes),
    connected: (kind) => {
      if (current !== session) return; // a session the user already replaced
      // The whole scrollback is replayed next and redraws the screen (see console-session.ts).
      if (kind === 'replayed') terminal.reset();
      current.resize(terminal.cols, terminal.rows);
      terminal.focus();
      showState('connected', `${kind === 'new' ? 'Connected' : 'Reconnected'} to ${name}.`);
    },
    state: (state, reason) => {
      if (current !== session) return;
      showState(state, state === 'reconnecting' ? `Reconnecting to ${name}… (${reason})` : `Closed: ${reason}.`);
    },
  });
  session = current;
  showState('connecting', `Connecting to ${name}…`);
}

function showState(state: SessionState, text: string): void {
  statusLine.dataset.state = state;
  statusLine.textContent = text;
  connectButton.disabled = state === 'connecting';
  disconnectButton.disabled = state === 'closed';
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
