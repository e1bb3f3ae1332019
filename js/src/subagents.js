// A run's subagents, folded from its events: `subagent` (started, finished, error),
// `subagent_text`, `subagent_reasoning`, and every JSON event tagged `"subagent": id`
// (its tool calls, results, steps, sources). Each is kept in order of its first event,
// with its own text, reasoning, tool calls (tool_calls.js), steps and sources, and none
// of it ever reaches the root's answer, tool calls or step. Pure: no DOM.
//
// Nesting: a subagent is placed where the view shows it, under its owner (its
// `parent`, else the root): at the owner's tool call that started it (`tool_call_id`),
// else among the owner's items (its tool calls and subagents, in order of their first
// event). A later `subagent` event that names another parent or call moves it; a
// parent chain that loops (a hostile stream) places it under the root instead.
//
// Bounded: SUBAGENTS_LIMIT subagents (events of any more are dropped, and counted),
// and each one's text and reasoning up to SUBAGENT_TEXT_LIMIT characters.

import { ToolCalls } from "./tool_calls.js";
import { asText, isObject } from "./values.js";

export const SUBAGENTS_LIMIT = 100;
export const SUBAGENT_TEXT_LIMIT = 100000;
export const STEPS_LIMIT = 100; // open steps kept per agent (a step started and never finished)

const STATUSES = { started: "running", finished: "finished", error: "error" };

/** Text appended up to a limit: {text, cut} (cut once something was left out). */
function appended(text, delta, limit) {
  if (text.length + delta.length <= limit) return { text: text + delta, cut: false };
  return { text: text + delta.slice(0, Math.max(0, limit - text.length)), cut: true };
}

/** The steps of an agent, innermost last: a `step` payload started or finished one. */
export function stepEvent(steps, step) {
  if (!isObject(step) || step.name == null) return;
  const name = asText(step.name);
  const kind = step.kind == null ? "" : asText(step.kind);
  if (step.status === "started") {
    steps.push({ name, kind });
    if (steps.length > STEPS_LIMIT) steps.splice(0, steps.length - STEPS_LIMIT);
  } else if (step.status === "finished") {
    for (let i = steps.length - 1; i >= 0; i -= 1) {
      const s = steps[i];
      if (s.name === name && (!kind || !s.kind || s.kind === kind)) {
        steps.splice(i, 1);
        break;
      }
    }
  }
}

/** Documents of a `sources` payload, as {page_content, metadata}. */
export function documentsOf(payload) {
  const documents = Array.isArray(payload) ? payload : isObject(payload) ? payload.documents : null;
  if (!Array.isArray(documents)) return [];
  return documents.filter(isObject).map((doc) => ({
    page_content: asText(doc.page_content),
    metadata: isObject(doc.metadata) ? doc.metadata : {},
  }));
}

/** One subagent: its own text, reasoning, tool calls, steps and sources. */
export class Subagent {
  constructor(id, seq, nextSeq) {
    this.kind = "subagent";
    this.seq = seq;
    this.id = id;
    this.name = "";
    this.status = "running"; // running, finished or error (its last `subagent` event)
    this.parent = null;
    this.toolCallId = null;
    this.text = ""; // all its subagent_text, joined
    this.reasoning = "";
    this.answerStart = 0; // where its text since its last tool call or result starts
    this.textCut = false;
    this.interrupts = []; // ids of the interrupts it finished waiting at
    this.error = "";
    this.steps = [];
    this.sources = [];
    this.items = []; // its tool calls and the subagents it holds, in order (the view's)
    // Not enumerable: a subagent as JSON is plain data (these point back at it).
    Object.defineProperty(this, "calls", { value: new ToolCalls(this, nextSeq) });
    // The list it sits in (an owner's items or a call's subagents).
    Object.defineProperty(this, "placedIn", { value: null, writable: true });
  }

  get toolCalls() {
    return this.calls.list;
  }

  /** Its text since its last tool call or result: what its card shows after its calls. */
  get answer() {
    return this.text.slice(this.answerStart);
  }

  /** The step it is in, or null. */
  get step() {
    const step = this.steps[this.steps.length - 1];
    return step ? { name: step.name, kind: step.kind } : null;
  }

  // ToolCalls' owner: the preface is its text since its previous call or result.
  takePreface() {
    const preface = this.text.slice(this.answerStart);
    this.answerStart = this.text.length;
    return preface;
  }

  resultCame() {
    this.answerStart = this.text.length;
  }

  added(call) {
    this.items.push(call);
  }

  addText(delta) {
    const next = appended(this.text, delta, SUBAGENT_TEXT_LIMIT);
    this.text = next.text;
    this.textCut ||= next.cut;
  }

  addReasoning(delta) {
    const next = appended(this.reasoning, delta, SUBAGENT_TEXT_LIMIT);
    this.reasoning = next.text;
    this.textCut ||= next.cut;
  }
}

/** Insert `item` into `list` by its `seq` (lists are short and kept in order). */
function insertBySeq(list, item) {
  let i = list.length;
  while (i > 0 && list[i - 1].seq > item.seq) i -= 1;
  list.splice(i, 0, item);
}

export class Subagents {
  /** `root`: the run's root owner ({items, calls}); `nextSeq` as for ToolCalls. */
  constructor(root, nextSeq) {
    this.root = root;
    this.nextSeq = nextSeq;
    this.list = []; // in order of their first event
    this.byId = new Map();
    this.dropped = 0; // events of subagents past the limit
  }

  /** The subagent with this id, made at its first event; null past the limit. */
  get(id) {
    let agent = this.byId.get(id);
    if (agent) return agent;
    if (this.list.length >= SUBAGENTS_LIMIT) {
      this.dropped += 1;
      return null;
    }
    agent = new Subagent(id, this.nextSeq(), this.nextSeq);
    this.list.push(agent);
    this.byId.set(id, agent);
    this.place(agent);
    return agent;
  }

  /** A `subagent` event: its name, status, parent, starting call, interrupts, error. */
  event(payload) {
    if (!isObject(payload) || payload.id == null || payload.id === "") return;
    const agent = this.get(asText(payload.id));
    if (!agent) return;
    if (payload.name != null && asText(payload.name)) agent.name = asText(payload.name);
    if (Object.hasOwn(STATUSES, payload.status)) agent.status = STATUSES[payload.status];
    if (payload.parent !== undefined) agent.parent = payload.parent == null || payload.parent === "" ? null : asText(payload.parent);
    if (payload.tool_call_id !== undefined) {
      agent.toolCallId = payload.tool_call_id == null || payload.tool_call_id === "" ? null : asText(payload.tool_call_id);
    }
    // What its last event says: the interrupts it waits at, its error.
    agent.interrupts = Array.isArray(payload.interrupts) ? payload.interrupts.slice(0, 100).map(asText) : [];
    agent.error = payload.error == null ? "" : asText(payload.error);
    this.place(agent);
  }

  /** The owner an agent sits under: its parent when known and not itself below it. */
  ownerOf(agent) {
    const parent = agent.parent === null ? null : this.byId.get(agent.parent);
    if (!parent) return this.root;
    // Walk up from the parent: reaching the agent again means a loop.
    const seen = new Set();
    for (let at = parent; at; at = at.parent === null ? null : this.byId.get(at.parent)) {
      if (at === agent || seen.has(at)) return this.root;
      seen.add(at);
    }
    return parent;
  }

  place(agent) {
    const owner = this.ownerOf(agent);
    const call = agent.toolCallId === null ? null : owner.calls.byId.get(agent.toolCallId);
    const target = call ? call.subagents : owner.items;
    if (agent.placedIn === target) return;
    if (agent.placedIn) agent.placedIn.splice(agent.placedIn.indexOf(agent), 1);
    insertBySeq(target, agent);
    agent.placedIn = target;
  }
}
