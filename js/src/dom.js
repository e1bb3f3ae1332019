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


/**
 * A <details> this code opens and closes (the returned `want(open)`) until the user
 * opens or closes it: from then on it is left as the user left it.
 */
export function autoOpen(el, summary, initial) {
  let auto = initial; // the open state this code set last
  let manual = false;
  el.open = initial;
  summary.addEventListener("click", () => {
    manual = true; // the user's click (or Enter on the summary)
  });
  el.addEventListener("toggle", () => {
    if (el.open !== auto) manual = true; // a toggle this code did not make
  });
  return (open) => {
    if (!manual && auto !== open) {
      auto = open;
      el.open = open;
    }
  };
}

/**
 * Make `el`'s children the `nodes` (in order), touching the DOM only when they differ
 * from `shown` (what the last call put there): appended when only new ones came,
 * else moved into place (moving keeps a node's state: open cards, selections).
 */
export function reconcile(el, shown, nodes) {
  const same = (count) => {
    for (let i = 0; i < count; i += 1) if (shown[i] !== nodes[i]) return false;
    return true;
  };
  if (shown.length === nodes.length && same(nodes.length)) return;
  if (shown.length < nodes.length && same(shown.length)) el.append(...nodes.slice(shown.length));
  else el.replaceChildren(...nodes);
}
