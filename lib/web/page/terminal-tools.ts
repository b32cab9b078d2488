/// <reference lib="dom" />
// What a person does with the terminal's text: a selection is copied to the clipboard as it is
// made; a right click pastes the clipboard (as the console's input, through xterm's paste, so
// bracketed paste works); the search box finds text in the scrollback and says "n of m".
import { SearchAddon } from '@xterm/addon-search';
import type { Terminal } from '@xterm/xterm';

const SEARCH_DECORATIONS = {
  matchBackground: '#3a4b5e',
  matchOverviewRuler: '#4da3ff',
  activeMatchBackground: '#7a5b00',
  activeMatchColorOverviewRuler: '#e3b341',
};

export function copyOnSelect(terminal: Terminal): void {
  terminal.onSelectionChange(() => {
    // A search selects its match: that is not the person's selection.
    if (document.activeElement instanceof HTMLInputElement) return;
    const text = terminal.getSelection();
    // A page without clipboard access (an insecure origin, a denied permission) still selects.
    if (text) navigator.clipboard?.writeText(text).catch(() => {});
  });
}

export function pasteOnRightClick(terminal: Terminal, container: HTMLElement): void {
  container.addEventListener('contextmenu', (event) => {
    if (!navigator.clipboard) return; // the browser's own menu then
    event.preventDefault();
    navigator.clipboard.readText().then((text) => text && terminal.paste(text), () => {});
  });
}

export function searchScrollback(terminal: Terminal, input: HTMLInputElement, result: HTMLElement): void {
  const search = new SearchAddon();
  terminal.loadAddon(search);
  search.onDidChangeResults(({ resultIndex, resultCount }) => {
    result.textContent = !input.value ? '' : resultCount === 0 ? 'no match' : resultIndex < 0 ? `${resultCount}+ matches` : `${resultIndex + 1} of ${resultCount}`;
  });
  const find = (backwards: boolean, incremental: boolean) => {
    if (!input.value) {
      search.clearDecorations();
      result.textContent = '';
      return;
    }
    const options = { decorations: SEARCH_DECORATIONS, incremental };
    if (backwards) search.findPrevious(input.value, options);
    else search.findNext(input.value, options);
  };
  input.addEventListener('input', () => find(false, true));
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      find(event.shiftKey, false);
    } else if (event.key === 'Escape') {
      input.value = '';
      find(false, false);
      terminal.focus();
    }
  });
}
