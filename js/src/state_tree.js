// The live state panel: a graph's state (the state_delta patches applied so far,
// live_state.js) as a collapsible tree, redrawn on each delta, with what the last
// delta changed marked: the node at each changed path gets the class
// `lcsse-state-changed` and a "changed" badge (text, so a screen reader says it too),
// and the nodes above it `lcsse-state-changed-inside` and open, so a change deep in a
// closed branch is in sight. A branch the user opened or closed stays so across deltas.
//
//   details.lcsse-state
//     summary.lcsse-state-summary       "state · 2 keys · changed: todos"
//     div.lcsse-state-error             a patch could not be applied (the last good state is shown)
//     div.lcsse-state-tree
//       details.lcsse-state-node        an object or list: summary (key, "{…} 3 keys"), children
//       div.lcsse-state-leaf            key ": " span.lcsse-state-value (the value as JSON)
//
// Bounded for a wide or deep state: a closed branch's children are built only when it
// opens, at most NODES_LIMIT nodes per draw ("… N more" after), MAX_DEPTH levels, and
// long strings are cut. Keys and values are text (textContent): never HTML.

import { h } from "./dom.js";
import { asText } from "./values.js";

const NODES_LIMIT = 1500;
const MAX_DEPTH = 40;
const VALUE_SHOWN = 400; // characters of a value's JSON
const OPEN_SIZE = 20; // a top-level branch this small starts open

function escapeKey(key) {
  return String(key).replaceAll("~", "~0").replaceAll("/", "~1");
}

function pathOf(pointer) {
  return pointer === "" ? [] : pointer.split("/").slice(1).map((k) => k.replaceAll("~1", "/").replaceAll("~0", "~"));
}

function isBranch(value) {
  return value !== null && typeof value === "object";
}

/** The pointer of the deepest node of `state` on the way to `pointer` ("" for the root). */
function deepestExisting(state, pointer) {
  let at = state;
  let found = "";
  for (const key of pathOf(pointer)) {
    if (!isBranch(at) || !Object.hasOwn(at, key)) break;
    at = at[key];
    found += `/${escapeKey(key)}`;
  }
  return found;
}

/** The marks of the last delta: {changed: Set of pointers, inside: Set of their ancestors}. */
function marksOf(state, pointers) {
  const changed = new Set();
  const inside = new Set();
  for (const pointer of pointers) {
    const at = deepestExisting(state, pointer);
    if (at === "") continue; // the root itself (a key removed from it): the summary says it
    changed.add(at);
    for (let i = at.lastIndexOf("/"); i > 0; i = at.lastIndexOf("/", i - 1)) inside.add(at.slice(0, i));
  }
  return { changed, inside };
}

/** A value as one line of JSON, cut at VALUE_SHOWN characters. */
function valueText(value) {
  let text;
  try {
    text = JSON.stringify(value) ?? asText(value);
  } catch (_) {
    text = asText(value);
  }
  return text.length > VALUE_SHOWN ? `${text.slice(0, VALUE_SHOWN - 1)}…` : text;
}

function valueType(value) {
  return value === null ? "null" : typeof value;
}

function sizeText(value) {
  const n = Object.keys(value).length;
  if (Array.isArray(value)) return `[…] ${n} ${n === 1 ? "item" : "items"}`;
  return `{…} ${n} ${n === 1 ? "key" : "keys"}`;
}

function badge() {
  const el = h("span", "lcsse-state-badge", "changed");
  el.setAttribute("title", "changed by the last update");
  return el;
}

/** One draw of the tree: the marks, the user's open/closed choices, a node budget. */
class TreeDraw {
  constructor(marks, opened) {
    this.marks = marks;
    this.opened = opened; // pointer -> open, the user's choices
    this.left = NODES_LIMIT;
  }

  /** The children of a branch (its entries) into `container`, as far as the budget goes. */
  fill(container, value, pointer, depth) {
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i += 1) {
      if (this.left <= 0) {
        container.append(h("div", "lcsse-state-more", `… ${keys.length - i} more`));
        return;
      }
      this.left -= 1;
      container.append(this.node(keys[i], value[keys[i]], `${pointer}/${escapeKey(keys[i])}`, depth));
    }
  }

  node(key, value, pointer, depth) {
    const changed = this.marks.changed.has(pointer);
    const keyEl = h("span", "lcsse-state-key", key);
    let el;
    if (isBranch(value) && Object.keys(value).length && depth < MAX_DEPTH) {
      el = h("details", "lcsse-state-node");
      const summary = h("summary", "lcsse-state-node-summary");
      summary.append(keyEl, h("span", "lcsse-state-type", sizeText(value)));
      if (changed) summary.append(badge());
      const children = h("div", "lcsse-state-children");
      el.append(summary, children);
      const inside = this.marks.inside.has(pointer);
      const small = Object.keys(value).length <= OPEN_SIZE;
      const open = this.opened.has(pointer) ? this.opened.get(pointer) : inside || (depth === 0 && small);
      let filled = false;
      const fillOnce = () => {
        if (filled || !el.open) return;
        filled = true;
        this.fill(children, value, pointer, depth + 1);
      };
      el.open = open;
      fillOnce();
      // The user's choice is kept for the next draws; a branch opened later fills then.
      summary.addEventListener("click", () => this.opened.set(pointer, !el.open));
      el.addEventListener("toggle", () => {
        if (el.open) this.left = Math.max(this.left, NODES_LIMIT / 2); // a new budget for what the user asked to see
        fillOnce();
      });
      if (inside) el.className += " lcsse-state-changed-inside";
    } else {
      el = h("div", "lcsse-state-leaf");
      const shown = h("span", "lcsse-state-value", valueText(value));
      shown.dataset.type = valueType(value);
      el.append(keyEl, document.createTextNode(": "), shown);
      if (changed) el.append(badge());
    }
    if (changed) el.className += " lcsse-state-changed";
    el.dataset.pointer = pointer;
    return el;
  }
}

/** The top-level keys a patch's pointers touched, in order. */
function changedKeys(pointers) {
  const keys = [];
  for (const pointer of pointers) {
    const key = pathOf(pointer)[0];
    if (key !== undefined && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** The state panel: `update(live)` with the run's LiveState; hidden until a delta came. */
export function statePanel() {
  const el = h("details", "lcsse-state");
  const summary = h("summary", "lcsse-state-summary");
  const title = h("span", "lcsse-state-title", "state");
  const info = h("span", "lcsse-state-info");
  summary.append(title, info);
  const error = h("div", "lcsse-state-error");
  error.hidden = true;
  const tree = h("div", "lcsse-state-tree");
  el.append(summary, error, tree);
  el.open = true;
  el.hidden = true;
  let shown = null; // [version, failures] drawn
  let opened = new Map();
  return {
    el,
    reset() {
      tree.replaceChildren();
      shown = null;
      opened = new Map();
      el.hidden = true;
      error.hidden = true;
    },
    update(live) {
      if (shown && shown[0] === live.version && shown[1] === live.failures) return;
      shown = [live.version, live.failures];
      el.hidden = live.value === null && !live.failures;
      const state = live.value;
      const parts = [];
      if (state !== null && isBranch(state)) parts.push(sizeText(state).replace(/^\S+ /, ""));
      const keys = changedKeys(live.changed);
      if (live.version && keys.length) parts.push(`changed: ${keys.slice(0, 10).join(", ")}${keys.length > 10 ? ", …" : ""}`);
      info.textContent = parts.length ? ` · ${parts.join(" · ")}` : "";
      error.textContent = live.failures
        ? `${live.failures === 1 ? "an update" : `${live.failures} updates`} could not be applied (${live.lastError}): the state shown is the last one that applied`
        : "";
      error.hidden = !live.failures;
      const draw = new TreeDraw(marksOf(state, live.changed), opened);
      tree.replaceChildren();
      if (isBranch(state)) draw.fill(tree, state, "", 0);
      else if (state !== null) tree.append(h("div", "lcsse-state-leaf", valueText(state)));
    },
  };
}
