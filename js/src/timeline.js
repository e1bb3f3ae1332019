// What an agent did, in order: its tool calls (each with the text it wrote before it,
// its preface, as text) and the subagents it ran, one card each (subagent_cards.js).
// The root's timeline sits above the answer; each subagent card holds one of its own.
//
// A subagent that one of the agent's tool calls started (deepagents' `task`, a tool
// that asks a worker) is shown right after that call's card, indented: the call's
// arguments are what it was asked, the card below is how it went, and it stays in
// sight (as a one-line summary once finished) when the call's card closes on its
// result. A subagent no call started (a graph node, a supervisor's turn) is an item of
// its own, in the order it began, between the calls around it.
//
// Cards are made once per call or subagent and updated in place; new ones are
// appended, and only a subagent moved by a later event re-orders the list.

import { toolCard } from "./cards.js";
import { h, reconcile } from "./dom.js";

/** A call's preface, card and the subagents it started. */
function callEntry(call, subagentCard) {
  const card = toolCard();
  // What the model wrote before calling the tool ("Let me compute that."): shown
  // above its card, as text; the answer below is only what came after.
  const preface = h("div", "lcsse-tool-preface", call.preface || "");
  preface.hidden = !call.preface;
  const started = timeline(subagentCard, "lcsse-tool-subagents");
  return {
    nodes: [preface, card.el, started.el],
    update(item, ctx) {
      card.update(item);
      started.update(item.subagents, ctx);
    },
  };
}

/**
 * The items of an agent ({kind: "call"} tool calls, {kind: "subagent"} subagents), in
 * order: `update(items, ctx)` with ctx {markdown, ended}. `subagentCard()` makes a
 * subagent's card ({el, update(subagent, ctx)}).
 */
export function timeline(subagentCard, className = "lcsse-timeline") {
  const el = h("div", className);
  el.hidden = true;
  let entries = new Map();
  let shown = [];
  return {
    el,
    reset() {
      el.replaceChildren();
      entries = new Map();
      shown = [];
      el.hidden = true;
    },
    update(items, ctx) {
      const nodes = [];
      for (const item of items) {
        let entry = entries.get(item);
        if (!entry) {
          if (item.kind === "subagent") {
            const card = subagentCard();
            entry = { nodes: [card.el], update: (s, c) => card.update(s, c) };
          } else {
            entry = callEntry(item, subagentCard);
          }
          entries.set(item, entry);
        }
        entry.update(item, ctx);
        nodes.push(...entry.nodes);
      }
      reconcile(el, shown, nodes);
      shown = nodes;
      el.hidden = !nodes.length;
    },
  };
}
