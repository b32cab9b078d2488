/// <reference lib="dom" />
// xterm's DOM renderer styles the terminal in two ways the page's Content-Security-Policy
// (style-src 'self', no 'unsafe-inline') refuses, each with a violation report: <style>
// elements it appends (theme, cursor, font and row rules), and style attributes it sets with
// setAttribute (truecolor cells, search-match colours). Styles set through the CSSOM are outside
// CSP, so both are routed there before the terminal opens:
//  - appending a <style> mirrors its text into a constructed sheet the document adopts, and the
//    element stays out of the document (xterm goes on updating the detached element it holds;
//    a MutationObserver follows);
//  - setAttribute('style', text) on an element becomes element.style.cssText = text.
// Nothing is refused, so the console stays free of CSP errors and every colour shows.
export function routeInlineStylesThroughCssom(): void {
  const append = Node.prototype.appendChild;
  Node.prototype.appendChild = function appendChild<T extends Node>(this: Node, child: T): T {
    if (!(child instanceof HTMLStyleElement)) return append.call(this, child) as T;
    mirror(child);
    return child;
  };
  const setAttribute = Element.prototype.setAttribute;
  Element.prototype.setAttribute = function (this: Element, name: string, value: string): void {
    if (name.toLowerCase() === 'style' && this instanceof HTMLElement) this.style.cssText = value;
    else setAttribute.call(this, name, value);
  };
}

const mirrored = new WeakSet<HTMLStyleElement>();

function mirror(element: HTMLStyleElement): void {
  if (mirrored.has(element)) return;
  mirrored.add(element);
  const sheet = new CSSStyleSheet();
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  const update = (): void => sheet.replaceSync(element.textContent ?? '');
  update();
  new MutationObserver(update).observe(element, { childList: true, characterData: true, subtree: true });
}
