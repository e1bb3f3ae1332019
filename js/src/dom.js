// Element helpers for the view and the cards: elements are made with createElement and
// text is set with textContent, so nothing from a run is ever parsed as HTML.

/** An element with an optional class and text. */
export function h(tag, className, text) {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Set an element's text only when it changed (a card is updated once per frame). */
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

