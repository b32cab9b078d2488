/// <reference lib="dom" />
// xterm's DOM renderer keeps its theme, cursor, font and row rules in <style> elements it
// creates, which the page's Content-Security-Policy (style-src 'self', no 'unsafe-inline')
// refuses to apply. Stylesheets constructed by a script are outside CSP, so the text of each
// such element is mirrored into a constructed sheet adopted by the document. The element is
// then taken out of the document (xterm keeps its reference and goes on updating it): a
// detached <style> is never checked, so violations are reported only while the terminal opens.
// Truecolor cells, which xterm colours with style attributes, stay uncoloured; the 256-colour
// palette is in the theme rules.
export function mirrorInlineStyles(root: HTMLElement): void {
  const mirror = (element: HTMLStyleElement): void => {
    const sheet = new CSSStyleSheet();
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
    const update = (): void => sheet.replaceSync(element.textContent ?? '');
    update();
    element.remove();
    new MutationObserver(update).observe(element, { childList: true, characterData: true, subtree: true });
  };

  new MutationObserver((records) => {
    for (const record of records) {
      for (const added of record.addedNodes) if (added instanceof HTMLStyleElement) mirror(added);
    }
  }).observe(root, { childList: true, subtree: true });
}
