// RunEvents: one run's typed state (answer text, reasoning, tool calls, sources, steps,
// usage, subagents, live state, end) folded from its parsed SSE events. Pure: no DOM, no
// model, no transport. Its Python twin is jupyter_lcsse's RunState;
// tests/vectors/run_events.json holds the streams both must read alike.
//
// Typed events share the run's id sequence: no `event:` line is answer text,
// `reasoning` is plain text, `tool_call_start|delta|end`, `tool_result`, `step`,
// `sources`, `usage`, `data`, `state`, `state_delta`, `interrupt`, `subagent`,
// `subagent_text`, `subagent_reasoning`, `error`, `end` and `metadata` carry JSON
// (docs/protocol.md). An unknown event name is kept (`events`, the wire panel) and not
// rendered. A run that stops for a human sends one `interrupt` per open interrupt, then
// `end` with reason "interrupted" (its `interrupts` ids and `thread_id` are kept in
// `end`); the payloads are kept as they came, in order, one per id.
//
// Nested agents: every event tagged `"subagent": id` (and subagent, subagent_text,
// subagent_reasoning) belongs to that subagent (subagents.js), never to the root's
// text, tool calls or step; its usage still counts in the run's. The root's text stays
// the answer: the message text after the root's last tool call or result (a final
// answer a subagent wrote comes as `message` at the end). `state_delta` patches build
// `liveState` (live_state.js).

import { LiveState } from "./live_state.js";
import { Subagents, documentsOf, stepEvent } from "./subagents.js";
import { ToolCalls } from "./tool_calls.js";
import { asText, isObject, parseJSON } from "./values.js";

/** Events that count as chunks, as the first token and as "streaming". */
const CHUNK_EVENTS = new Set([
  "message",
  "reasoning",
  "tool_call_start",
  "tool_call_delta",
  "sources",
  "data",
  "subagent_text",
  "subagent_reasoning",
]);
/** Events a `"subagent"` tag hands to that subagent. */
const TAGGED_EVENTS = new Set(["tool_call_start", "tool_call_delta", "tool_call_end", "tool_result", "step", "sources", "data", "usage"]);
const EVENTS_LIMIT = 5000;
const INTERRUPTS_LIMIT = 100; // open interrupts of one run kept (a card each)
const USAGE_KEYS = ["input_tokens", "output_tokens", "total_tokens"];

/** The numeric token counts of a usage object, or null when it has none. */
function usageOf(value) {
  if (!isObject(value)) return null;
  const usage = {};
  let any = false;
  for (const key of USAGE_KEYS) {
    const n = value[key];
    usage[key] = Number.isFinite(n) ? n : 0;
    any ||= Number.isFinite(n);
  }
  if (!any) return null;
  if (!Number.isFinite(value.total_tokens)) usage.total_tokens = usage.input_tokens + usage.output_tokens;
  return usage;
}

/** The subagent a payload is tagged with, as text, or null (the root's). */
function tagOf(payload) {
  return isObject(payload) && payload.subagent != null && payload.subagent !== "" ? asText(payload.subagent) : null;
}

/**
 * One run's typed state, from its parsed SSE events ({type, data, id}), in order.
 *
 * Pure: no DOM, no model. `apply` never throws, whatever the payload; it returns true
 * when the event counts as a chunk (message, reasoning, tool_call_start,
 * tool_call_delta, sources, data, subagent_text, subagent_reasoning). `end` carries the
 * run's own totals: its `chunks`, `finish_reason` and (when not null) `usage` replace
 * what the events added up to.
 */
export class RunEvents {
  constructor() {
    this.text = ""; // the answer: the message text since the last tool call or result
    this.reasoning = "";
    let seq = 0;
    const nextSeq = () => (seq += 1);
    this.calls = new ToolCalls(this, nextSeq);
    /** The root's tool calls and the subagents it holds directly, in order (the view's). */
    this.items = [];
    this.subagentsTable = new Subagents(this, nextSeq);
    this.live = new LiveState();
    this.sources = []; // documents: {page_content, metadata}
    this.steps = []; // started and not finished yet, innermost last
    this.usage = null; // {input_tokens, output_tokens, total_tokens}, summed
    this.finishReason = null;
    this.graphState = null;
    this.interrupts = []; // `interrupt` payloads, in order of their first event; one per id
    this.metadata = null;
    this.error = "";
    this.end = null; // the end event's payload ({} when it was not JSON)
    this.chunks = 0;
    this.firstTokenSeen = false;
    this.events = []; // every event applied (the newest EVENTS_LIMIT), unknown ones too
    this.version = 0; // bumped by every event: views redraw when it changes
  }

  /** In order of their first event: {id, name, argsText, args, result, resultStatus, state, preface}. */
  get toolCalls() {
    return this.calls.list;
  }

  get callsById() {
    return this.calls.byId;
  }

  /** The subagents in order of their first event (subagents.js's Subagent). */
  get subagents() {
    return this.subagentsTable.list;
  }

  /** The state the state_delta patches built (null before the first). */
  get liveState() {
    return this.live.value;
  }

  /** The current step: the last one started and not finished, or null. */
  get step() {
    const step = this.steps[this.steps.length - 1];
    return step ? { name: step.name, kind: step.kind } : null;
  }

  get ended() {
    return this.end !== null;
  }

  // ToolCalls' owner: the answer so far was a preface to a new call; a result ends it too.
  takePreface() {
    const preface = this.text;
    this.text = "";
    return preface;
  }

  resultCame() {
    this.text = "";
  }

  added(call) {
    this.items.push(call);
  }

  /** The call with this id (see ToolCalls.call). */
  call(id, options) {
    return this.calls.call(id, options);
  }

  /** Apply one parsed event; true when it counts as a chunk. */
  apply(event) {
    if (!event || typeof event !== "object") return false;
    const type = typeof event.type === "string" && event.type ? event.type : "message";
    const data = typeof event.data === "string" ? event.data : asText(event.data);
    this.events.push(event);
    if (this.events.length > EVENTS_LIMIT) this.events.splice(0, this.events.length - EVENTS_LIMIT);
    this.version += 1;
    try {
      this.dispatch(type, data);
    } catch (_) {
      /* a payload of an unexpected shape: keep what was applied before */
    }
    if (!CHUNK_EVENTS.has(type)) return false;
    this.chunks += 1;
    this.firstTokenSeen = true;
    return true;
  }

  dispatch(type, data) {
    switch (type) {
      case "message":
        this.text += data;
        return;
      case "reasoning":
        this.reasoning += data;
        return;
      case "error": {
        const error = parseJSON(data);
        this.error = isObject(error) && error.message != null ? asText(error.message) : data;
        return;
      }
      case "end":
        this.endEvent(parseJSON(data));
        return;
      case "interrupt":
        this.interruptEvent(parseJSON(data));
        return;
      case "metadata": {
        const metadata = parseJSON(data);
        if (isObject(metadata)) this.metadata = metadata;
        return;
      }
      case "state": {
        const state = parseJSON(data);
        if (state !== undefined) this.graphState = state;
        return;
      }
      case "state_delta":
        this.live.apply(parseJSON(data));
        return;
      case "subagent":
        this.subagentsTable.event(parseJSON(data));
        return;
      case "subagent_text":
      case "subagent_reasoning":
        this.subagentText(type, parseJSON(data));
        return;
      default:
        if (TAGGED_EVENTS.has(type)) this.agentEvent(type, parseJSON(data));
        return; // unknown: kept in `events`, nothing else
    }
  }

  /** A JSON event of an agent: the root's, or the subagent it is tagged with. */
  agentEvent(type, payload) {
    if (type === "usage") {
      this.usageEvent(payload); // the run's usage counts its subagents' tokens
      if (tagOf(payload) !== null) this.subagentsTable.get(tagOf(payload));
      return;
    }
    const tag = tagOf(payload);
    const agent = tag === null ? null : this.subagentsTable.get(tag);
    if (tag !== null && !agent) return; // a subagent past the limit: dropped, never the root's
    if (type === "data") return;
    if (type === "step") {
      stepEvent(agent ? agent.steps : this.steps, payload);
    } else if (type === "sources") {
      (agent ? agent.sources : this.sources).push(...documentsOf(payload));
    } else {
      (agent ? agent.calls : this.calls).apply(type, payload);
    }
  }

  subagentText(type, payload) {
    const tag = tagOf(payload);
    if (tag === null) return;
    const agent = this.subagentsTable.get(tag);
    if (!agent || payload.delta == null) return;
    if (type === "subagent_text") agent.addText(asText(payload.delta));
    else agent.addReasoning(asText(payload.delta));
  }

  usageEvent(payload) {
    const usage = usageOf(payload);
    if (!usage) return;
    const sum = this.usage ?? { input_tokens: 0, output_tokens: 0, total_tokens: 0 };
    for (const key of USAGE_KEYS) sum[key] += usage[key];
    this.usage = sum;
  }

  endEvent(end) {
    this.end = isObject(end) ? end : {};
    if (Number.isFinite(this.end.chunks)) this.chunks = this.end.chunks;
    if (typeof this.end.finish_reason === "string") this.finishReason = this.end.finish_reason;
    const usage = usageOf(this.end.usage);
    if (usage) this.usage = usage;
    this.steps = []; // the run is over: no step is running
    for (const agent of this.subagents) agent.steps = [];
    if (this.end.reason === "interrupted") {
      // The calls an approval is about have not run: their cards say they wait.
      const waiting = new Set(this.interrupts.flatMap((i) => (Array.isArray(i.actions) ? i.actions : []).map((a) => a?.tool_call_id)));
      this.calls.markWaiting(waiting);
      for (const agent of this.subagents) agent.calls.markWaiting(waiting);
    }
  }

  /** An open interrupt: a repeat of an id replaces the payload in its place. */
  interruptEvent(payload) {
    if (!isObject(payload) || payload.id == null || payload.id === "") return;
    const interrupt = { ...payload, id: asText(payload.id) };
    const index = this.interrupts.findIndex((i) => i.id === interrupt.id);
    if (index === -1) {
      if (this.interrupts.length < INTERRUPTS_LIMIT) this.interrupts.push(interrupt);
    } else {
      this.interrupts[index] = interrupt;
    }
  }
}
