/// <reference lib="dom" />
// The terminal: xterm filling its container, refitted when the window changes size. The refit
// is debounced because dragging a window fires resize events at frame rate, and each change of
// size becomes a resize message to the machine.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { routeInlineStylesThroughCssom } from './csp-styles.js';

const REFIT_DELAY_MS = 100;

export function openTerminal(container: HTMLElement): Terminal {
  const terminal = new Terminal({
    fontFamily: '"DejaVu Sans Mono", Menlo, Consolas, "Liberation Mono", monospace',
    fontSize: 14,
    scrollback: 5000,
    cursorBlink: true,
    // The search addon's match highlighting (decorations) is still a proposed API in xterm 6.
    allowProposedApi: true,
    theme: { background: '#101418' }, // the page's --background
  });
  const fit = new FitAddon();
  terminal.loadAddon(fit);
  routeInlineStylesThroughCssom();
  terminal.open(container);
  fit.fit();

  let refit: ReturnType<typeof setTimeout> | undefined;
  window.addEventListener('resize', () => {
    clearTimeout(refit);
    refit = setTimeout(() => fit.fit(), REFIT_DELAY_MS);
  });
  return terminal;
}
